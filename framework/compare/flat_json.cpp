#include "compare/flat_json.hpp"

#include <cmath>

#include <cctype>
#include <cstdlib>

#include "core/error.hpp"
#include "train/metrics.hpp"

namespace lrnn {

namespace {

class FlatJsonParser {
public:
    FlatJsonParser(std::string_view text, const std::string& where) : s_(text), where_(where) {}

    FlatJsonObject object() {
        FlatJsonObject out;
        skip_space();
        expect('{');
        skip_space();
        if (peek() == '}') {
            ++at_;
        } else {
            for (;;) {
                skip_space();
                std::string key = string_token();
                skip_space();
                expect(':');
                skip_space();
                out[std::move(key)] = value();
                skip_space();
                if (peek() == ',') {
                    ++at_;
                    continue;
                }
                expect('}');
                break;
            }
        }
        skip_space();
        if (at_ != s_.size()) fail("unexpected text after the object");
        return out;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw UserError(where_ + ": malformed JSON at character " + std::to_string(at_ + 1) + ": " + what);
    }
    char peek() const { return at_ < s_.size() ? s_[at_] : '\0'; }
    void skip_space() {
        while (at_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[at_]))) ++at_;
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++at_;
    }
    bool take_word(std::string_view word) {
        if (s_.substr(at_, word.size()) != word) return false;
        at_ += word.size();
        return true;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    unsigned hex4() {
        if (at_ + 4 > s_.size()) fail("short \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[at_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
            else fail("bad \\u escape");
        }
        return v;
    }

    std::string string_token() {
        expect('"');
        std::string out;
        for (;;) {
            if (at_ >= s_.size()) fail("unterminated string");
            const char c = s_[at_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_ >= s_.size()) fail("unterminated escape");
            switch (const char e = s_[at_++]) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = hex4();
                    // A surrogate pair encodes one code point above U+FFFF.
                    if (cp >= 0xD800 && cp < 0xDC00 && take_word("\\u")) {
                        const unsigned low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) fail("bad surrogate pair");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail(std::string("unknown escape '\\") + e + "'");
            }
        }
    }

    FlatJsonValue value() {
        FlatJsonValue v;
        const char c = peek();
        if (c == '"') {
            v.kind = FlatJsonValue::Kind::String;
            v.text = string_token();
        } else if (c == '{' || c == '[') {
            fail("nested objects and arrays are not expected here");
        } else if (take_word("null")) {
            v.kind = FlatJsonValue::Kind::Null;
        } else if (take_word("true")) {
            v.kind = FlatJsonValue::Kind::Boolean, v.number = 1;
        } else if (take_word("false")) {
            v.kind = FlatJsonValue::Kind::Boolean, v.number = 0;
        } else {
            // JSON's number grammar; strtod then reads the exact double the writer printed.
            const std::size_t start = at_;
            if (peek() == '-') ++at_;
            const std::size_t digits = at_;
            while (std::isdigit(static_cast<unsigned char>(peek()))) ++at_;
            if (at_ == digits) fail("expected a value");
            if (peek() == '.') {
                ++at_;
                const std::size_t frac = at_;
                while (std::isdigit(static_cast<unsigned char>(peek()))) ++at_;
                if (at_ == frac) fail("expected digits after '.'");
            }
            if (peek() == 'e' || peek() == 'E') {
                ++at_;
                if (peek() == '+' || peek() == '-') ++at_;
                const std::size_t exp = at_;
                while (std::isdigit(static_cast<unsigned char>(peek()))) ++at_;
                if (at_ == exp) fail("expected digits in the exponent");
            }
            v.kind = FlatJsonValue::Kind::Number;
            v.text = std::string(s_.substr(start, at_ - start));
            v.number = std::strtod(v.text.c_str(), nullptr);
        }
        return v;
    }

    std::string_view s_;
    const std::string& where_;
    std::size_t at_ = 0;
};

}  // namespace

FlatJsonObject parse_flat_json_object(std::string_view json, const std::string& where) {
    return FlatJsonParser(json, where).object();
}

std::optional<double> json_number_field(const FlatJsonObject& object, const std::string& key,
                                        const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end() || it->second.kind == FlatJsonValue::Kind::Null) return std::nullopt;
    if (it->second.kind != FlatJsonValue::Kind::Number)
        throw UserError(where + ": \"" + key + "\" is not a number");
    const double v = it->second.number;
    // best_step is -1 when no validation loss was finite (a diverged run): the one negative.
    if (!std::isfinite(v) || (v < 0 && !(key == "best_step" && v == -1)))
        throw UserError(where + ": \"" + key + "\" is " + (std::isfinite(v) ? json_number(v) : std::string("out of range")) +
                        ", expected a finite number >= 0");
    return v;
}

}  // namespace lrnn
