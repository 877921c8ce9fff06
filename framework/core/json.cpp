#include "core/json.hpp"

#include "core/error.hpp"

namespace lrnn {

namespace {

constexpr auto kReplaceInvalidUtf8 = nlohmann::ordered_json::error_handler_t::replace;

void append(std::string& out, const Json& value) {
    if (value.is_object()) {
        out += '{';
        bool first = true;
        for (const auto& [key, item] : value.items()) {
            if (!first) out += ", ";
            first = false;
            out += Json(key).dump(-1, ' ', false, kReplaceInvalidUtf8);
            out += ": ";
            append(out, item);
        }
        out += '}';
    } else if (value.is_array()) {
        out += '[';
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (i > 0) out += ", ";
            append(out, value[i]);
        }
        out += ']';
    } else {
        out += value.dump(-1, ' ', false, kReplaceInvalidUtf8);
    }
}

}  // namespace

std::string json_line(const Json& value) {
    std::string out;
    append(out, value);
    return out;
}

std::string json_compact(const Json& value) { return value.dump(-1, ' ', false, kReplaceInvalidUtf8); }

Json parse_json(std::string_view text, const std::string& where) {
    try {
        return Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw UserError(where + ": not valid JSON (" + std::string(e.what()) + ")");
    }
}

}  // namespace lrnn
