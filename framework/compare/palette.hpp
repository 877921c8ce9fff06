#pragma once
// One colour per run, the same in every chart and in the table's column headers, so a line
// is found in the table at a glance. Tableau's 10 colours: distinct, readable on white, and
// kinder to colour-blind readers than a rainbow.

#include <cstddef>

namespace lrnn {

inline const char* run_color(std::size_t index) {
    static constexpr const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                              "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    return kColors[index % (sizeof kColors / sizeof kColors[0])];
}

// Past ten runs the colours repeat; a dash pattern tells the repeats apart ("" = solid).
inline const char* run_dash(std::size_t index) {
    static constexpr const char* kDashes[] = {"", "8 4", "2 3", "8 3 2 3"};
    return kDashes[(index / 10) % (sizeof kDashes / sizeof kDashes[0])];
}

}  // namespace lrnn
