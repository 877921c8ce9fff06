#include "train/prepared_corpus.hpp"

#include <cstdio>
#include <filesystem>
#include <limits>
#include <span>
#include <system_error>

#include "core/error.hpp"
#include "data/corpus.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/corpus_sources.hpp"
#include "io/run_lock.hpp"
#include "io/token_manifest.hpp"
#include "io/tokenizer_file.hpp"
#include "io/tokenizer_json.hpp"
#include "train/streaming_prepare.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTrainStore = "train.tokens";
constexpr const char* kValStore = "val.tokens";
constexpr const char* kValBytesStore = "val.token_bytes";
constexpr const char* kManifest = "manifest.json";

std::string hex16(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// The cheap fingerprint: every setting that changes the ids, and each source file as a stat
// sees it. `from` says where the vocabulary comes from: "built" (by the config: built, trained
// or data.tokenizer_path) or "given VOCABULARY_FINGERPRINT" (resume, fine-tuning).
Json store_key(const TrainConfig& config, const std::string& from) {
    const DataSection& d = config.data;
    Json key{{"store_version", kTokenStoreVersion}, {"manifest_version", kTokenManifestVersion}};
    key["train_files"] = stamps_to_json(stamp_files(expand_corpus_sources(d.path_entries(), "data.path")));
    const std::vector<std::string> val = d.val_path_entries();
    if (!val.empty()) key["val_files"] = stamps_to_json(stamp_files(expand_corpus_sources(val, "data.val_path")));
    else key["val_fraction"] = d.val_fraction;
    key["jsonl_field"] = d.jsonl_field;
    key["tokenizer_from"] = from;
    if (from == "built") {
        key["tokenizer"] = d.tokenizer;
        if (!d.tokenizer_path.empty()) {
            const std::vector<char> model = read_file_bytes(d.tokenizer_path);
            key["tokenizer_path"] = d.tokenizer_path;
            key["tokenizer_path_fingerprint"] = hex16(fnv1a64(model.data(), model.size()));
        } else if (d.tokenizer == "bpe" || d.tokenizer == "unigram") {
            key["vocab_size"] = d.vocab_size;
            key["seed"] = config.run.seed;
        }
    }
    return key;
}

// The folder's name: the key without the files' sizes and times, so that a changed file finds
// its old folder (stale: rebuilt in place, with a message) instead of a new one beside it.
std::string store_folder(const TrainConfig& config, const Json& key) {
    Json named = key;
    for (const char* files : {"train_files", "val_files"})
        if (named.contains(files))
            for (Json& f : named[files]) f.erase("bytes"), f.erase("mtime_ns");
    const std::string text = json_line(named);
    return (fs::path(config.run.dir) / ".token-stores" / hex16(fnv1a64(text.data(), text.size()))).string();
}

std::string given_from(const Tokenizer& t) { return "given " + hex16(vocabulary_fingerprint(t)); }

std::string join(const std::string& folder, const std::string& file) { return (fs::path(folder) / file).string(); }

Json tokenizer_entry(const Tokenizer& t) {
    if (t.is_subword()) return Json{{"kind", to_string(t.kind())}, {"model_file", "tokenizer.model"}};
    return tokenizer_to_json(t, "token store manifest");
}

Tokenizer manifest_tokenizer(const TokenManifest& m, const std::string& folder, const std::string& name) {
    if (m.tokenizer.contains("model_file")) return read_tokenizer_model(join(folder, "tokenizer.model"), name);
    return tokenizer_from_json(m.tokenizer, name + ": tokenizer");
}

// Throws UserError saying why the folder's stores cannot be used for `key` (damaged, stale,
// another vocabulary); the data otherwise. Reads no corpus.
TrainingData open_existing(const std::string& folder, const Json& key, const Tokenizer* given,
                           std::uint64_t full_check_bytes) {
    const std::string manifest_path = join(folder, kManifest);
    const std::vector<char> text = read_file_bytes(manifest_path);
    const TokenManifest m = parse_token_manifest(std::string_view(text.data(), text.size()), manifest_path);
    if (m.key != key) throw UserError(manifest_path + ": stale: the corpus files (size or mtime) or data settings changed");
    Tokenizer tokenizer = manifest_tokenizer(m, folder, manifest_path);
    if (vocabulary_fingerprint(tokenizer) != m.vocabulary_fingerprint)
        throw UserError(manifest_path + ": the tokenizer does not match its recorded fingerprint");
    if (given && vocabulary_fingerprint(*given) != m.vocabulary_fingerprint)
        throw UserError(manifest_path + ": made with another vocabulary");
    const TokenStoreSource source{m.vocabulary_fingerprint, m.text_fingerprint, m.text_bytes};
    const bool word = tokenizer.kind() == TokenizerKind::Word;
    std::size_t stores = 0;
    const auto open = [&](const char* file, std::uint64_t expected_count) {
        const std::string path = join(folder, file);
        bool recorded = false;
        for (const FileStamp& s : m.stores)
            if (s.path == file) {
                const FileStamp now = stamp_file(path);
                if (now.bytes != s.bytes || now.mtime_ns != s.mtime_ns)
                    throw UserError(path + ": changed since it was written (size or mtime differ from " + manifest_path + ")");
                recorded = true;
            }
        if (!recorded) throw UserError(manifest_path + ": records no " + file);
        ++stores;
        const TokenStoreCheck check = stamp_file(path).bytes <= full_check_bytes ? TokenStoreCheck::Full : TokenStoreCheck::Header;
        TokenStore store = TokenStore::open(path, source, check);
        if (store.ids().size() != expected_count)
            throw UserError(path + ": holds " + std::to_string(store.ids().size()) + " tokens, " + manifest_path + " says " +
                            std::to_string(expected_count));
        return store;
    };
    TokenStore train = open(kTrainStore, m.train_tokens);
    TokenStore val = open(kValStore, m.val_tokens);
    std::optional<TokenStore> val_bytes;
    if (word) val_bytes.emplace(open(kValBytesStore, m.val_tokens));
    if (stores != m.stores.size()) throw UserError(manifest_path + ": records stores this tokenizer does not have");
    return TrainingData{m.name,  m.text_bytes,      m.text_fingerprint, m.train_bytes, std::move(tokenizer), folder,
                        std::move(train), std::move(val), std::move(val_bytes), true};
}

// What a preparation wrote, for the manifest.
TokenManifest written_manifest(const Json& key, const PreparedText& p) {
    TokenManifest m;
    m.key = key;
    m.name = p.name;
    m.text_fingerprint = p.hash;
    m.text_bytes = p.bytes;
    m.train_bytes = p.train_bytes;
    m.vocabulary_fingerprint = vocabulary_fingerprint(p.tokenizer);
    m.tokenizer = tokenizer_entry(p.tokenizer);
    m.train_tokens = p.train_tokens;
    m.val_tokens = p.val_tokens;
    return m;
}

// Writes the folder's stores and then its manifest. The old manifest goes first: a kill
// part-way leaves a folder without one, which the next start rebuilds.
void write_folder(const std::string& folder, const Json& key, const TrainConfig& config, const DataRequest& request,
                  std::ostream& log) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw OutputError("cannot create the token store folder " + folder + ": " + ec.message());
    fs::remove(join(folder, kManifest), ec);
    log << "tokenizing the corpus into token stores in " << folder << " (once: later starts reuse them)\n" << std::flush;
    try {
        const PreparedText p =
            stream_prepare(config, request.given, folder, request.block_bytes, request.progress, log);
        write_tokenizer_model(folder, p.tokenizer);
        TokenManifest m = written_manifest(key, p);
        for (const char* file : {kTrainStore, kValStore, kValBytesStore})
            if (p.tokenizer.kind() == TokenizerKind::Word || std::string(file) != kValBytesStore) {
                FileStamp s = stamp_file(join(folder, file));
                s.path = file;
                m.stores.push_back(s);
            }
        write_file_atomically(join(folder, kManifest), encode_token_manifest(m));
    } catch (const UserError& e) {
        // A write that failed is the disk's fault, not the input's: exit code 3.
        const std::string what = e.what();
        if (what.find(folder) == 0) throw OutputError(what);
        throw;
    }
}

// The folder's stores if they are usable, saying on `log` why not when there is a folder.
// `then` ends the message: what happens instead.
std::optional<TrainingData> try_existing(const std::string& folder, const Json& key, const Tokenizer* given,
                                         std::uint64_t full_check_bytes, std::ostream& log, const char* then,
                                         bool had_folder) {
    std::error_code ec;
    if (!fs::exists(join(folder, kManifest), ec)) {
        if (had_folder && fs::exists(join(folder, kTrainStore), ec))
            log << "token store " << folder << " has no manifest (an unfinished preparation); " << then << "\n";
        return std::nullopt;
    }
    try {
        return open_existing(folder, key, given, full_check_bytes);
    } catch (const UserError& e) {
        log << "token store " << folder << " is not usable (" << e.what() << "); " << then << "\n";
    }
    return std::nullopt;
}

// A resume's tokenizer may be the one the config builds: then the config's own folder serves,
// when it made the same vocabulary. (Another vocabulary there is no fault: a resume that
// accepted a changed corpus.)
std::optional<TrainingData> try_built_folder(const TrainConfig& config, const Tokenizer& given,
                                             std::uint64_t full_check_bytes, std::ostream& log) {
    const Json built = store_key(config, "built");
    const std::string built_folder = store_folder(config, built);
    std::error_code ec;
    if (!fs::exists(join(built_folder, kManifest), ec)) return std::nullopt;
    try {
        return open_existing(built_folder, built, &given, full_check_bytes);
    } catch (const UserError& e) {
        if (std::string(e.what()).find("made with another vocabulary") == std::string::npos)
            log << "token store " << built_folder << " is not usable (" << e.what() << "); not using it\n";
    }
    return std::nullopt;
}

}  // namespace

std::vector<std::uint32_t> TrainingData::val_bytes(std::size_t first, std::size_t count) const {
    std::vector<std::uint32_t> out(count);
    if (val_token_bytes) {
        std::vector<TokenId> counts(count);
        val_token_bytes->ids().copy(first, counts);
        for (std::size_t i = 0; i < count; ++i) out[i] = std::uint32_t(counts[i]);
        return out;
    }
    std::vector<TokenId> ids(count);
    val.ids().copy(first, ids);
    for (std::size_t i = 0; i < count; ++i) out[i] = std::uint32_t(tokenizer.token_bytes(ids[i]).size());
    return out;
}

std::string token_store_folder(const TrainConfig& config) { return store_folder(config, store_key(config, "built")); }

std::optional<TrainingData> existing_training_data(const TrainConfig& config, const Tokenizer* given,
                                                   std::ostream& log) {
    if (given)
        if (std::optional<TrainingData> d = try_built_folder(config, *given, kStartFullCheckBytes, log)) return d;
    const Json key = store_key(config, given ? given_from(*given) : "built");
    const std::string folder = store_folder(config, key);
    std::error_code ec;
    return try_existing(folder, key, given, kStartFullCheckBytes, log, "not using it", fs::exists(folder, ec));
}

TrainingData open_training_data(const TrainConfig& config, const DataRequest& request, std::ostream& log) {
    if (request.given)
        if (std::optional<TrainingData> d = try_built_folder(config, *request.given, request.full_check_bytes, log))
            return std::move(*d);
    const Json key = store_key(config, request.given ? given_from(*request.given) : "built");
    const std::string folder = store_folder(config, key);
    std::error_code ec;
    const bool had_run_dir = fs::exists(config.run.dir, ec), had_folder = fs::exists(folder, ec);
    fs::create_directories(folder, ec);
    if (ec) throw OutputError("cannot create the token store folder " + folder + ": " + ec.message());
    const WaitingLock lock(folder);  // one preparation of a folder at a time
    if (std::optional<TrainingData> d =
            try_existing(folder, key, request.given, request.full_check_bytes, log, "rebuilding it", had_folder))
        return std::move(*d);
    try {
        write_folder(folder, key, config, request, log);
    } catch (...) {
        // Bad input found part-way (a text too short, a byte the vocabulary lacks) leaves
        // nothing this call made: no half-written folder, no new run.dir.
        if (!had_folder) fs::remove_all(folder, ec);
        if (!had_run_dir) fs::remove(fs::path(config.run.dir) / ".token-stores", ec), fs::remove(config.run.dir, ec);
        throw;
    }
    // Just written (their checksums taken from the ids on the way): the header check suffices.
    TrainingData d = open_existing(folder, key, request.given, 0);
    d.reused = false;
    return d;
}

}  // namespace lrnn
