#pragma once
// Errors a user can cause (bad config, bad file, bad flag). The command-line program turns
// them into a message on stderr and exit code 2; anything else is a bug.

#include <stdexcept>
#include <string>

namespace lrnn {

class UserError : public std::runtime_error {
public:
    explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lrnn
