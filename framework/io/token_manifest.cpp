#include "io/token_manifest.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"

namespace lrnn {

namespace {

std::string hex16(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// Fingerprints are hex strings: a JSON number above 2^53 does not survive every reader.
std::uint64_t hex_field(const Json& j, const char* field, const std::string& name) {
    const auto it = j.find(field);
    if (it == j.end() || !it->is_string()) throw UserError(name + ": " + field + " is missing or not a string");
    const std::string& s = it->get_ref<const std::string&>();
    std::uint64_t v = 0;
    if (s.size() != 16) throw UserError(name + ": " + field + " '" + s + "' is not 16 hex digits");
    for (const char c : s) {
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) throw UserError(name + ": " + field + " '" + s + "' is not 16 hex digits");
        v = v << 4 | std::uint64_t(d);
    }
    return v;
}

std::uint64_t count_field(const Json& j, const char* field, const std::string& name) {
    const auto it = j.find(field);
    if (it == j.end() || !it->is_number_unsigned())
        throw UserError(name + ": " + field + " is missing or not a non-negative integer");
    return it->get<std::uint64_t>();
}

const Json& object_field(const Json& j, const char* field, const std::string& name) {
    const auto it = j.find(field);
    if (it == j.end() || !it->is_object()) throw UserError(name + ": " + field + " is missing or not an object");
    return *it;
}

}  // namespace

FileStamp stamp_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw UserError(path + ": cannot read its size and time (" + std::strerror(errno) + ")");
    return FileStamp{path, std::uint64_t(st.st_size), std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

std::vector<FileStamp> stamp_files(const std::vector<std::string>& paths) {
    std::vector<FileStamp> out;
    out.reserve(paths.size());
    for (const std::string& p : paths) out.push_back(stamp_file(p));
    return out;
}

Json stamps_to_json(const std::vector<FileStamp>& stamps) {
    Json a = Json::array();
    for (const FileStamp& s : stamps) a.push_back(Json{{"path", s.path}, {"bytes", s.bytes}, {"mtime_ns", s.mtime_ns}});
    return a;
}

std::string encode_token_manifest(const TokenManifest& m) {
    const Json j{{"format", "lrnn token stores"},
                 {"version", m.version},
                 {"key", m.key},
                 {"name", m.name},
                 {"text_fingerprint", hex16(m.text_fingerprint)},
                 {"text_bytes", m.text_bytes},
                 {"train_bytes", m.train_bytes},
                 {"vocabulary_fingerprint", hex16(m.vocabulary_fingerprint)},
                 {"tokenizer", m.tokenizer},
                 {"train_tokens", m.train_tokens},
                 {"val_tokens", m.val_tokens},
                 {"stores", stamps_to_json(m.stores)}};
    return json_line(j) + "\n";
}

TokenManifest parse_token_manifest(std::string_view text, const std::string& name) {
    const Json j = parse_json(text, name);
    if (!j.is_object()) throw UserError(name + ": not a token store manifest (not a JSON object)");
    if (j.value("format", Json()) != "lrnn token stores") throw UserError(name + ": not a token store manifest (format)");
    TokenManifest m;
    const auto version = j.find("version");
    if (version == j.end() || !version->is_number_integer() || version->get<std::int64_t>() != kTokenManifestVersion)
        throw UserError(name + ": manifest version is not " + std::to_string(kTokenManifestVersion));
    m.key = object_field(j, "key", name);
    const auto n = j.find("name");
    if (n == j.end() || !n->is_string()) throw UserError(name + ": name is missing or not a string");
    m.name = n->get<std::string>();
    m.text_fingerprint = hex_field(j, "text_fingerprint", name);
    m.text_bytes = count_field(j, "text_bytes", name);
    m.train_bytes = count_field(j, "train_bytes", name);
    if (m.train_bytes > m.text_bytes) throw UserError(name + ": train_bytes is larger than text_bytes");
    m.vocabulary_fingerprint = hex_field(j, "vocabulary_fingerprint", name);
    m.tokenizer = object_field(j, "tokenizer", name);
    m.train_tokens = count_field(j, "train_tokens", name);
    m.val_tokens = count_field(j, "val_tokens", name);
    const auto stores = j.find("stores");
    if (stores == j.end() || !stores->is_array()) throw UserError(name + ": stores is missing or not an array");
    for (const Json& s : *stores) {
        if (!s.is_object()) throw UserError(name + ": stores: an entry is not an object");
        const auto p = s.find("path");
        const auto t = s.find("mtime_ns");
        if (p == s.end() || !p->is_string() || p->get_ref<const std::string&>().empty())
            throw UserError(name + ": stores: path is missing or not a string");
        if (t == s.end() || !t->is_number_integer()) throw UserError(name + ": stores: mtime_ns is missing or not an integer");
        m.stores.push_back(FileStamp{p->get<std::string>(), count_field(s, "bytes", name), t->get<std::int64_t>()});
    }
    return m;
}

}  // namespace lrnn
