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

// An output the user asked for could not be written (standard output on a full disk or
// closed): exit code 3, like a checkpoint that cannot be saved. Not the user's input at fault.
class OutputError : public std::runtime_error {
public:
    explicit OutputError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lrnn
