#pragma once
// A file written a piece at a time, each piece flushed before write() returns, so that a kill
// loses at most the piece being written: metrics.jsonl (one JSON row a piece), compare's
// train.log (the child's output as it arrives). Whole files are written by io/atomic_file.hpp.

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace lrnn {

class AppendFile {
public:
    enum class Start { Append, Truncate };

    // UserError naming the path if it cannot be opened. `what` names the content in the
    // write error: "PATH: cannot write WHAT (REASON)".
    AppendFile(std::string path, Start start, std::string what = "to it");

    // UserError as above if the bytes cannot all be written and flushed (a full disk).
    void write(std::string_view text);

    const std::string& path() const { return path_; }

private:
    struct Close {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::string path_;
    std::string what_;
    std::unique_ptr<std::FILE, Close> file_;
};

}  // namespace lrnn
