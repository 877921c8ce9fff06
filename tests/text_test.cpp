// core/text: printable() (what every error message goes through before it reaches the
// terminal) and edit_distance() (the "did you mean" of config keys and generate settings).

#include <gtest/gtest.h>

#include <string>

#include "core/text.hpp"

namespace lrnn {
namespace {

TEST(Printable, KeepsPrintableAsciiAndWellFormedUtf8) {
    EXPECT_EQ(printable("unknown key 'trian' (did you mean 'train'?)"),
              "unknown key 'trian' (did you mean 'train'?)");
    EXPECT_EQ(printable("слово 'привет' 単語 \xF0\x9F\x98\x80"), "слово 'привет' 単語 \xF0\x9F\x98\x80");
    EXPECT_EQ(printable(""), "");
    EXPECT_EQ(printable("back\\slash"), "back\\slash");
}

TEST(Printable, EscapesControlCharacters) {
    EXPECT_EQ(printable("a\nb\tc\rd"), "a\\x0ab\\x09c\\x0dd");
    EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
    EXPECT_EQ(printable(std::string("nul\0here", 8)), "nul\\x00here");
    EXPECT_EQ(printable("del\x7f"), "del\\x7f");
    // C1 controls (U+0080..U+009F) are well-formed UTF-8 but controls all the same; U+00A0 is not.
    EXPECT_EQ(printable("\xC2\x9B" "2J \xC2\x85"), "\\xc2\\x9b2J \\xc2\\x85");
    EXPECT_EQ(printable("\xC2\xA0"), "\xC2\xA0");
}

TEST(Printable, EscapesBytesThatAreNotWellFormedUtf8) {
    // The token of the issue: 'M-WM-j^NsM-^^' through cat -v.
    EXPECT_EQ(printable("\xD7\xEA\x0Es\x9E"), "\\xd7\\xea\\x0es\\x9e");
    // yaml-cpp's message quoting a Latin-1 byte.
    EXPECT_EQ(printable("unknown escape character: \xe3"), "unknown escape character: \\xe3");
    EXPECT_EQ(printable("\xC0\xAF"), "\\xc0\\xaf");              // overlong '/'
    EXPECT_EQ(printable("\xE0\x80\xAF"), "\\xe0\\x80\\xaf");     // overlong, three bytes
    EXPECT_EQ(printable("\xED\xA0\x80"), "\\xed\\xa0\\x80");     // a surrogate
    EXPECT_EQ(printable("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
    EXPECT_EQ(printable("\xF5\x80"), "\\xf5\\x80");
    EXPECT_EQ(printable("cut \xD0"), "cut \\xd0");                // a sequence cut short at the end
    EXPECT_EQ(printable("cut \xE2\x82 x"), "cut \\xe2\\x82 x");   // ... and in the middle
    EXPECT_EQ(printable("\xE2\x82\xAC"), "\xE2\x82\xAC");         // the euro sign itself
}

TEST(EditDistance, CountsSingleByteEdits) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("train", "train"), 0u);
    EXPECT_EQ(edit_distance("trian", "train"), 2u);
    EXPECT_EQ(edit_distance("tokens", "token"), 1u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("top_k", "top_p"), 1u);
}

}  // namespace
}  // namespace lrnn
