#include "io/corpus_sources.hpp"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "core/json.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

bool is_hidden(const fs::path& name) {
    const std::string s = name.filename().string();
    return !s.empty() && s[0] == '.';
}

bool is_glob(const std::string& entry) { return entry.find_first_of("*?[") != std::string::npos; }

// A directory's files: regular files, or symlinks to regular files; hidden names skipped and
// not descended into; symlinked directories not entered (recursive_directory_iterator's
// default). Sorted byte-wise by the path relative to `dir`.
std::vector<std::string> directory_files(const std::string& dir, const std::string& key) {
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) throw UserError(key + ": " + dir + ": cannot list the directory (" + ec.message() + ")");
    std::vector<std::string> relative;
    std::size_t entries = 0;
    for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
        if (ec) throw UserError(key + ": " + dir + ": cannot list the directory (" + ec.message() + ")");
        ++entries;
        if (is_hidden(it->path())) {
            if (it->is_directory(ec) && !it->is_symlink(ec)) it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ec))  // follows a symlink: one to a regular file counts
            relative.push_back(it->path().lexically_relative(dir).generic_string());
    }
    if (entries == 0) throw UserError(key + ": " + dir + ": the directory is empty");
    if (relative.empty())
        throw UserError(key + ": " + dir + ": the directory holds no text files (only hidden names, "
                        "subdirectories without files, or entries that are not regular files)");
    std::sort(relative.begin(), relative.end());  // std::string compares bytes as unsigned char
    std::vector<std::string> files;
    files.reserve(relative.size());
    for (const std::string& r : relative) files.push_back((fs::path(dir) / r).string());
    return files;
}

std::vector<std::string> glob_files(const std::string& pattern, const std::string& key) {
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
            std::error_code ec;
            if (fs::is_regular_file(g.gl_pathv[i], ec)) files.emplace_back(g.gl_pathv[i]);
        }
    ::globfree(&g);
    if (rc == GLOB_ABORTED) throw UserError(key + ": " + pattern + ": cannot read a directory of the glob");
    if (rc == GLOB_NOSPACE) throw UserError(key + ": " + pattern + ": out of memory expanding the glob");
    if (files.empty()) throw UserError(key + ": " + pattern + ": the glob matches no file");
    std::sort(files.begin(), files.end());
    return files;
}

// The whole file; UserError naming it when it vanished since the listing or cannot be read.
std::string read_whole_file(const std::string& path, const std::string& key) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        if (err == ENOENT)
            throw UserError(key + ": " + path + ": the file vanished between listing and reading it");
        throw UserError(key + ": " + path + ": cannot read the file (" + std::strerror(err) + ")");
    }
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw UserError(key + ": " + path + ": read failed");
    return text;
}

bool is_jsonl(const std::string& path) { return fs::path(path).extension() == ".jsonl"; }

bool is_blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// A non-empty document after the ones before it, a separator between.
void append_document(std::string& joined, std::string_view document) {
    if (document.empty()) return;
    if (!joined.empty()) joined += kDocumentSeparator;
    joined += document;
}

// Appends each record's `field` as one document.
void append_jsonl_documents(const std::string& path, const std::string& text, const std::string& field,
                            const std::string& key, std::string& joined) {
    std::size_t start = 0;
    for (std::size_t line_no = 1; start < text.size(); ++line_no) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string_view line = std::string_view(text).substr(start, end - start);
        start = end + 1;
        if (is_blank(line)) continue;
        const std::string where = key + ": " + path + ":" + std::to_string(line_no);
        const Json record = parse_json(line, where);
        if (!record.is_object()) throw UserError(where + ": expected a JSON object, one document per line");
        const auto it = record.find(field);
        if (it == record.end())
            throw UserError(where + ": the record has no \"" + field + "\" field (data.jsonl_field)");
        if (!it->is_string())
            throw UserError(where + ": \"" + field + "\" is " + std::string(it->type_name()) + ", expected a string");
        append_document(joined, it->get_ref<const std::string&>());
    }
}

}  // namespace

std::vector<std::string> expand_corpus_sources(const std::vector<std::string>& entries, const std::string& key) {
    std::vector<std::string> files;
    for (const std::string& entry : entries) {
        std::error_code ec;
        const fs::file_status status = fs::status(entry, ec);
        std::vector<std::string> found;
        if (fs::is_directory(status)) found = directory_files(entry, key);
        else if (fs::is_regular_file(status)) found = {entry};  // named directly: taken as it is
        else if (fs::exists(status))
            throw UserError(key + ": " + entry + ": not a regular file or a directory (a pipe, socket or device)");
        else if (is_glob(entry)) found = glob_files(entry, key);
        else throw UserError(key + ": " + entry + ": file not found");
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

CorpusText read_corpus_files(std::vector<std::string> files, const std::string& name, const std::string& key,
                             const std::string& jsonl_field) {
    CorpusText corpus;
    corpus.files = std::move(files);
    corpus.name = name;
    for (const std::string& path : corpus.files) {
        std::string text = read_whole_file(path, key);
        if (is_jsonl(path)) append_jsonl_documents(path, text, jsonl_field, key, corpus.text);
        else if (corpus.files.size() == 1) corpus.text = std::move(text);  // one file: its bytes, not a copy
        else append_document(corpus.text, text);
    }
    if (corpus.text.empty())
        throw UserError(key + ": " + corpus.name + ": the corpus is empty" +
                        (corpus.files.size() > 1 ? " (every file is empty)" : ""));
    return corpus;
}

std::string corpus_sources_name(const std::vector<std::string>& entries, const std::vector<std::string>& files) {
    const std::string first = entries.empty() ? std::string() : entries.front();
    const bool one_file = entries.size() == 1 && files.size() == 1 && files.front() == first;
    return one_file ? first
                    : (entries.size() == 1 ? first : first + " and " + std::to_string(entries.size() - 1) + " more") +
                          " (" + std::to_string(files.size()) + (files.size() == 1 ? " file)" : " files)");
}

CorpusText read_corpus_sources(const std::vector<std::string>& entries, const std::string& key,
                               const std::string& jsonl_field) {
    std::vector<std::string> files = expand_corpus_sources(entries, key);
    const std::string name = corpus_sources_name(entries, files);
    return read_corpus_files(std::move(files), name, key, jsonl_field);
}

struct CorpusStream::Open {
    std::string path;
    std::ifstream in;
    bool jsonl = false;
    std::size_t line_no = 0;
};

CorpusStream::CorpusStream(std::vector<std::string> files, std::string name, std::string key, std::string jsonl_field,
                           std::size_t piece_bytes)
    : files_(std::move(files)), name_(std::move(name)), key_(std::move(key)), field_(std::move(jsonl_field)),
      piece_bytes_(std::max<std::size_t>(piece_bytes, 1)) {}

CorpusStream::~CorpusStream() = default;

bool CorpusStream::next(std::string& piece) {
    piece.clear();
    while (piece.empty()) {
        if (!fill(piece)) {
            if (emitted_ == 0)
                throw UserError(key_ + ": " + name_ + ": the corpus is empty" +
                                (files_.size() > 1 ? " (every file is empty)" : ""));
            return false;
        }
    }
    emitted_ += piece.size();
    return true;
}

// Appends up to about piece_bytes_ of text to `piece`; false once every file is done. A
// document's separator is written with its first byte, so empty documents add nothing.
bool CorpusStream::fill(std::string& piece) {
    const auto begin_document = [&] {
        if (emitted_ + piece.size() > 0) piece += kDocumentSeparator;
    };
    while (piece.size() < piece_bytes_) {
        if (!open_) {
            if (file_ >= files_.size()) return !piece.empty();
            open_ = std::make_unique<Open>();
            open_->path = files_[file_++];
            open_->in.open(open_->path, std::ios::binary);
            if (!open_->in) {
                const int err = errno;
                if (err == ENOENT)
                    throw UserError(key_ + ": " + open_->path + ": the file vanished between listing and reading it");
                throw UserError(key_ + ": " + open_->path + ": cannot read the file (" + std::strerror(err) + ")");
            }
            open_->jsonl = is_jsonl(open_->path);
            document_started_ = false;
        }
        Open& f = *open_;
        if (f.jsonl) {
            std::string line;
            if (!std::getline(f.in, line)) {
                if (f.in.bad()) throw UserError(key_ + ": " + f.path + ": read failed");
                open_.reset();
                continue;
            }
            ++f.line_no;
            if (is_blank(line)) continue;
            const std::string where = key_ + ": " + f.path + ":" + std::to_string(f.line_no);
            const Json record = parse_json(line, where);
            if (!record.is_object()) throw UserError(where + ": expected a JSON object, one document per line");
            const auto it = record.find(field_);
            if (it == record.end())
                throw UserError(where + ": the record has no \"" + field_ + "\" field (data.jsonl_field)");
            if (!it->is_string())
                throw UserError(where + ": \"" + field_ + "\" is " + std::string(it->type_name()) + ", expected a string");
            const std::string& text = it->get_ref<const std::string&>();
            if (text.empty()) continue;
            begin_document();
            piece += text;
            continue;
        }
        const std::size_t at = piece.size();
        const std::size_t want = piece_bytes_ - at;
        piece.resize(at + want);
        f.in.read(piece.data() + at, std::streamsize(want));
        const std::size_t got = std::size_t(f.in.gcount());
        piece.resize(at + got);
        if (got > 0 && !document_started_) {
            document_started_ = true;
            if (emitted_ + at > 0) piece.insert(at, kDocumentSeparator);
        }
        if (got < want) {
            if (f.in.bad()) throw UserError(key_ + ": " + f.path + ": read failed");
            open_.reset();
        }
    }
    return true;
}

}  // namespace lrnn
