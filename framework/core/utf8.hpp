#pragma once
// Well-formed UTF-8 (Unicode 15, table 3-7): where a character starts and ends, so that
// tokenizers can hand a library only valid text and generated text is printed whole
// characters at a time.

#include <cstddef>
#include <string>
#include <string_view>

namespace lrnn {

// The length of the well-formed UTF-8 sequence at the start of `s` (no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 if it does not start with one (or is empty).
std::size_t utf8_sequence_length(std::string_view s);

// How many bytes at the end of `s` are the start of a well-formed sequence that is not yet
// complete (0 to 3): the bytes a stream holds back until the next ones complete them.
std::size_t utf8_incomplete_tail(std::string_view s);

// Streams bytes out as text, whole characters at a time: push() returns what may be printed
// now (everything but an incomplete character at the end, which waits for its next bytes);
// bytes that can never become a character are passed on as they are. finish() drops an
// incomplete character left at the end, so that a sample never ends in half of one.
class Utf8Stream {
public:
    std::string push(std::string_view bytes);
    // The bytes dropped (0 to 3), for callers that count them.
    std::size_t finish();

private:
    std::string pending_;
};

}  // namespace lrnn
