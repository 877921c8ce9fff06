#include "compare/run_json.hpp"

#include <cmath>

#include "core/error.hpp"

namespace lrnn {

namespace {

std::string out_of_range(const std::string& where, const std::string& key) {
    return where + ": \"" + key + "\" is out of range, expected a finite number >= 0";
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string library_message(const nlohmann::json::exception& e) {
    const std::string what = e.what();
    const auto end = what.find("] ");
    return end == std::string::npos ? what : what.substr(end + 2);
}

}  // namespace

Json parse_flat_json_object(std::string_view text, const std::string& where) {
    // The library refuses a number beyond a double's range (error 406) without saying where it
    // was: the key last read names it.
    std::string last_key;
    const Json::parser_callback_t remember_key = [&](int, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::key) last_key = parsed.get<std::string>();
        return true;
    };
    Json object;
    try {
        object = Json::parse(text, remember_key);
    } catch (const nlohmann::json::out_of_range& e) {
        if (e.id == 406) throw UserError(out_of_range(where, last_key));
        throw UserError(where + ": malformed JSON (" + library_message(e) + ")");
    } catch (const nlohmann::json::exception& e) {
        throw UserError(where + ": malformed JSON (" + library_message(e) + ")");
    }
    if (!object.is_object()) throw UserError(where + ": malformed JSON (expected an object, found " + object.type_name() + ")");
    for (const auto& [key, value] : object.items())
        if (value.is_structured())
            throw UserError(where + ": malformed JSON (\"" + key + "\" holds an " + value.type_name() +
                            "; nested objects and arrays are not expected here)");
    return object;
}

std::optional<double> json_number_field(const Json& object, const std::string& key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) throw UserError(where + ": \"" + key + "\" is not a number");
    const double v = it->get<double>();
    if (!std::isfinite(v)) throw UserError(out_of_range(where, key));
    // best_step is -1 when no validation loss was finite (a diverged run): the one negative.
    if (v < 0 && !(key == "best_step" && v == -1))
        throw UserError(where + ": \"" + key + "\" is " + json_line(*it) + ", expected a finite number >= 0");
    return v;
}

}  // namespace lrnn
