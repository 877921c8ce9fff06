// JSON strings written by lrnn (metrics, summaries, compare results, eval --json) are valid
// JSON text whatever bytes they carry.

#include <gtest/gtest.h>

#include <string>

#include "train/metrics.hpp"

namespace lrnn {
namespace {

TEST(JsonQuote, EscapesWhatJsonRequires) {
    EXPECT_EQ(json_quote("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
}

TEST(JsonQuote, WellFormedUtf8PassesThrough) {
    const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";  // é € 😀
    EXPECT_EQ(json_quote(text), "\"" + text + "\"");
}

// A char model's sample can cut a character in two; a file name can be Latin-1. Each byte that
// is not part of a well-formed sequence becomes U+FFFD, so the file stays readable.
TEST(JsonQuote, IllFormedBytesBecomeTheReplacementCharacter) {
    EXPECT_EQ(json_quote("name\xFF.bin"), "\"name\\ufffd.bin\"");
    EXPECT_EQ(json_quote("\xFF\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // 0xF5..0xFF never lead
    EXPECT_EQ(json_quote("\xF5\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    EXPECT_EQ(json_quote("cut \xE2\x82"), "\"cut \\ufffd\\ufffd\"");        // truncated sequence
    EXPECT_EQ(json_quote("\x80x"), "\"\\ufffdx\"");                          // stray continuation
    EXPECT_EQ(json_quote("\xC0\xAF"), "\"\\ufffd\\ufffd\"");                 // overlong '/'
    EXPECT_EQ(json_quote("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");      // a surrogate
    EXPECT_EQ(json_quote("\xF4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
}

}  // namespace
}  // namespace lrnn
