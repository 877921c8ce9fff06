#!/usr/bin/env python3
"""Fails when a file under framework/ includes a header of a folder to the right of its own.

The folders form a one-way order (docs/architecture.md): a file may include headers of its own
folder and of the folders to its left, never of one to its right. This list is the one place
the order is written down for the build; a new folder must be placed in it.

usage: check_include_order.py FRAMEWORK_DIR
"""

import pathlib
import re
import sys

ORDER = ["core", "model", "data", "io", "config", "dist", "train", "generate", "compare"]

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"/]+)/([^"]+)"')


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    rank = {folder: i for i, folder in enumerate(ORDER)}
    problems = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".hpp", ".cpp", ".h", ".cc") or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        folder = relative.split("/")[0] if "/" in relative else None
        if folder not in rank:
            problems.append(f"framework/{relative}: folder '{folder}' is not in the include order "
                            f"({' < '.join(ORDER)}); add it to {pathlib.Path(__file__).name}")
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target, header = match.group(1), f"{match.group(1)}/{match.group(2)}"
            if target not in rank:
                problems.append(f"framework/{relative}:{number}: includes \"{header}\", a folder "
                                f"outside the include order ({' < '.join(ORDER)})")
            elif rank[target] > rank[folder]:
                problems.append(f"framework/{relative}:{number}: {folder}/ includes \"{header}\", "
                                f"but {target}/ comes after {folder}/ in the order {' < '.join(ORDER)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"include order holds in {root} ({' < '.join(ORDER)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
