// core/json: the one JSON library every part of lrnn writes and reads through (metrics.jsonl,
// summary.json, compare's results.json, eval --json, bench --json). Its text is valid JSON
// whatever bytes a string carries, in the one-line layout line-oriented scripts rely on.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "core/json.hpp"

namespace lrnn {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

std::string quoted(const std::string& s) { return json_line(Json(s)); }

TEST(Json, EscapesWhatJsonRequires) {
    EXPECT_EQ(quoted("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
}

TEST(Json, EveryControlCharacterIsEscaped) {
    for (int c = 0; c < 0x20; ++c) {
        const std::string text = quoted(std::string(1, char(c)));
        EXPECT_EQ(text[1], '\\') << "byte " << c << ": " << text;
        for (const char ch : text) EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << "byte " << c;
        EXPECT_EQ(parse_json(text, "t").get<std::string>(), std::string(1, char(c)));
    }
}

TEST(Json, WellFormedUtf8PassesThrough) {
    const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";  // é € 😀
    EXPECT_EQ(quoted(text), "\"" + text + "\"");
}

// A char model's sample can cut a character in two; a file name can be Latin-1. What is not
// well-formed UTF-8 becomes U+FFFD (written as the character itself), so the file stays
// readable: one U+FFFD per byte that cannot start a character, and one for the lead and
// continuation bytes of a sequence cut short (Unicode's "maximal subpart" practice).
TEST(Json, IllFormedBytesBecomeTheReplacementCharacter) {
    const std::string r = kReplacement;
    EXPECT_EQ(quoted("name\xFF.bin"), "\"name" + r + ".bin\"");
    EXPECT_EQ(quoted("\xFF\x80\x80"), "\"" + r + r + r + "\"");  // 0xF5..0xFF never lead
    EXPECT_EQ(quoted("\xF5\x80\x80\x80"), "\"" + r + r + r + r + "\"");
    EXPECT_EQ(quoted("cut \xE2\x82"), "\"cut " + r + "\"");            // truncated sequence
    EXPECT_EQ(quoted("\x80x"), "\"" + r + "x\"");                      // stray continuation
    EXPECT_EQ(quoted("\xC0\xAF"), "\"" + r + r + "\"");                // overlong '/'
    EXPECT_EQ(quoted("\xED\xA0\x80"), "\"" + r + r + r + "\"");        // a surrogate
    EXPECT_EQ(quoted("\xF4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // > U+10FFFF
    // What is written reads back: the text with the replacement characters.
    EXPECT_EQ(parse_json(quoted("name\xFF.bin"), "t").get<std::string>(), "name" + r + ".bin");
}

TEST(Json, OneLineInInsertionOrder) {
    Json row;
    row["step"] = 40;
    row["loss"] = 2.5;
    row["name"] = "x";
    row["absent"] = nullptr;
    row["ok"] = true;
    EXPECT_EQ(json_line(row), R"({"step": 40, "loss": 2.5, "name": "x", "absent": null, "ok": true})");
    EXPECT_EQ(json_line(Json::parse(R"({"z": 1, "a": [1, "b", {"c": []}]})")), R"({"z": 1, "a": [1, "b", {"c": []}]})");
    EXPECT_EQ(json_line(Json::object()), "{}");
    EXPECT_EQ(json_line(Json::array()), "[]");
}

// eval --json and bench --json: the same text without spaces, as they always printed it.
TEST(Json, CompactLayoutForEvalAndBench) {
    EXPECT_EQ(json_compact(Json{{"loss", 3.25}, {"tokens", 47}, {"model", "m\xFF"}, {"x", std::nan("")}}),
              "{\"loss\":3.25,\"tokens\":47,\"model\":\"m" + kReplacement + "\",\"x\":null}");
}

// Numbers in their shortest round-trip form. A double that is a whole number keeps a ".0"
// (the library's way: it stays a float for a reader that distinguishes); integers are integers.
TEST(Json, NumbersShortestExactNonFiniteAsNull) {
    EXPECT_EQ(json_line(Json(0.1)), "0.1");
    EXPECT_EQ(json_line(Json(2.7487443789610095)), "2.7487443789610095");
    EXPECT_EQ(parse_json(json_line(Json(2.7487443789610095)), "t").get<double>(), 2.7487443789610095);
    EXPECT_EQ(json_line(Json(1e300)), "1e+300");
    EXPECT_EQ(json_line(Json(2.0)), "2.0");
    EXPECT_EQ(json_line(Json(std::int64_t{95232})), "95232");
    EXPECT_EQ(json_line(Json(std::numeric_limits<double>::quiet_NaN())), "null");
    EXPECT_EQ(json_line(Json(std::numeric_limits<double>::infinity())), "null");
    EXPECT_EQ(json_line(Json(-std::numeric_limits<double>::infinity())), "null");
    EXPECT_EQ(json_line(Json{{"loss", std::nan("")}}), R"({"loss": null})");
}

TEST(Json, ParseErrorsNameTheSource) {
    for (const char* bad : {"", "{", R"({"a": 1,})", R"({a: 1})", R"({"a": 1} x)", "{\"a\": \"\x01\"}"}) {
        try {
            (void)parse_json(bad, "runs/x/summary.json");
            ADD_FAILURE() << "parsed: " << bad;
        } catch (const UserError& e) {
            EXPECT_EQ(std::string(e.what()).rfind("runs/x/summary.json: not valid JSON (", 0), 0u) << e.what();
        }
    }
    EXPECT_EQ(parse_json(R"({"b": 1, "a": 2})", "t").begin().key(), "b") << "order kept when read";
}

}  // namespace
}  // namespace lrnn
