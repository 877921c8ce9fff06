#pragma once
// The message of the UserError that `f` throws, "" if it throws none: tests assert on what a
// user would read.

#include <string>
#include <utility>

#include "core/error.hpp"

namespace lrnn::test {

template <typename F>
std::string error_of(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace lrnn::test
