#include "io/tokenizer_json.hpp"

#include <cstdint>
#include <vector>

#include "core/error.hpp"

namespace lrnn {

namespace {

bool is_utf8(const std::string& text) {
    try {
        (void)Json(text).dump();  // strict: throws on bytes that are not well-formed UTF-8
        return true;
    } catch (const nlohmann::json::type_error&) {
        return false;
    }
}

Json word_to_json(const std::string& word) {
    if (is_utf8(word)) return word;
    Json bytes = Json::array();
    for (const char c : word) bytes.push_back(int(static_cast<unsigned char>(c)));
    return bytes;
}

int byte_value(const Json& item, const std::string& where) {
    if (!item.is_number_unsigned() || item.get<std::uint64_t>() > 255)
        throw UserError(where + " must hold byte values 0..255 (got " + item.dump() + ")");
    return int(item.get<std::uint64_t>());
}

std::string word_from_json(const Json& item, const std::string& where) {
    if (item.is_string()) return item.get<std::string>();
    if (!item.is_array()) throw UserError(where + " must be a string or an array of byte values");
    std::string word;
    for (const Json& b : item) word.push_back(char(byte_value(b, where)));
    return word;
}

}  // namespace

Json tokenizer_to_json(const Tokenizer& tokenizer, const std::string& what) {
    Json out;
    if (tokenizer.kind() == TokenizerKind::Char) {
        out["kind"] = "char";
        out["vocab_size"] = tokenizer.vocab_size();
        Json bytes = Json::array();
        for (const std::uint8_t b : tokenizer.chars()) bytes.push_back(int(b));
        out["bytes_by_id"] = std::move(bytes);
    } else if (tokenizer.kind() == TokenizerKind::Word) {
        out["kind"] = "word";
        out["vocab_size"] = tokenizer.vocab_size();
        Json words = Json::array();
        for (const std::string& w : tokenizer.words()) words.push_back(word_to_json(w));
        out["words_by_id"] = std::move(words);
    } else {
        throw UserError(what + ": the model's tokenizer (" + to_string(tokenizer.kind()) +
                        ") has no JSON form in this build; only char and word tokenizers can be written");
    }
    return out;
}

Tokenizer tokenizer_from_json(const Json& json, const std::string& where) {
    if (!json.is_object()) throw UserError(where + ": the tokenizer must be a JSON object");
    const auto kind = json.find("kind");
    if (kind == json.end() || !kind->is_string())
        throw UserError(where + ": the tokenizer has no \"kind\" (expected \"char\" or \"word\")");
    const std::string name = kind->get<std::string>();
    const char* list_key = name == "char" ? "bytes_by_id" : name == "word" ? "words_by_id" : nullptr;
    if (!list_key)
        throw UserError(where + ": unknown tokenizer kind \"" + name + "\" (expected \"char\" or \"word\")");
    const auto list = json.find(list_key);
    if (list == json.end() || !list->is_array())
        throw UserError(where + ": a " + name + " tokenizer needs an array \"" + list_key + "\"");
    if (list->empty()) throw UserError(where + ": \"" + std::string(list_key) + "\" is empty");
    const auto size = json.find("vocab_size");
    if (size != json.end() && (!size->is_number_unsigned() || size->get<std::uint64_t>() != list->size()))
        throw UserError(where + ": \"vocab_size\" is " + size->dump() + " but \"" + list_key +
                        "\" has " + std::to_string(list->size()) + " entries");
    const std::string item_where = where + ": \"" + list_key + "\"";
    try {
        if (name == "char") {
            std::vector<std::uint8_t> bytes;
            for (const Json& b : *list) bytes.push_back(std::uint8_t(byte_value(b, item_where)));
            return Tokenizer::from_chars(std::move(bytes));  // refuses a byte listed twice
        }
        std::vector<std::string> words;
        for (const Json& w : *list) words.push_back(word_from_json(w, item_where));
        return Tokenizer::from_words(std::move(words));
    } catch (const UserError& e) {
        const std::string message = e.what();
        if (message.starts_with(where)) throw;
        throw UserError(where + ": " + message);
    }
}

}  // namespace lrnn
