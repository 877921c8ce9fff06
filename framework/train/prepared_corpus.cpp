#include "train/prepared_corpus.hpp"

#include <cstdio>
#include <filesystem>
#include <span>
#include <system_error>

#include "core/error.hpp"
#include "io/token_store.hpp"
#include "io/tokenizer_file.hpp"

namespace lrnn {

namespace {

std::string hex16(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// Both parts record the whole text's fingerprint: the folder's name says where it was split.
TokenStoreSource store_source(const Corpus& corpus) {
    return TokenStoreSource{.vocabulary_fingerprint = vocabulary_fingerprint(corpus.tokenizer),
                            .text_fingerprint = corpus.hash,
                            .text_bytes = corpus.bytes};
}

// True when the store at `path` is intact, made from `expected` and holds exactly `ids`
// (a store is only ever kept when it equals what training would compute). Otherwise says why
// on `log` when there is a file.
bool store_is_valid(const std::string& path, const TokenStoreSource& expected, std::span<const TokenId> ids,
                    std::ostream& log) {
    if (!std::filesystem::exists(path)) return false;
    try {
        const TokenStore store = TokenStore::open(path, expected);
        bool same = store.ids().size() == ids.size();
        for (std::size_t i = 0; same && i < ids.size(); ++i) same = store.ids()[i] == ids[i];
        if (same) return true;
        log << "token store " << path << " holds other ids than this corpus gives; rebuilding it\n";
    } catch (const UserError& e) {
        log << "token store " << path << " is not usable (" << e.what() << "); rebuilding it\n";
    }
    return false;
}

}  // namespace

std::string token_store_folder(const TrainConfig& config, const Corpus& corpus) {
    return (std::filesystem::path(config.run.dir) / ".token-stores" /
            (hex16(corpus.hash) + "-" + hex16(vocabulary_fingerprint(corpus.tokenizer)) + "-" +
             std::to_string(corpus.train_bytes)))
        .string();
}

PreparedStores prepare_token_stores(const TrainConfig& config, const Corpus& corpus, std::ostream& log) {
    PreparedStores out;
    out.folder = token_store_folder(config, corpus);
    out.train_path = out.folder + "/train.tokens";
    out.val_path = out.folder + "/val.tokens";
    out.text_bytes = corpus.bytes;
    out.train_tokens = corpus.train_tokens.size();
    out.val_tokens = corpus.val_tokens.size();
    const TokenStoreSource source = store_source(corpus);
    const bool train_ok = store_is_valid(out.train_path, source, corpus.train_tokens, log);
    const bool val_ok = store_is_valid(out.val_path, source, corpus.val_tokens, log);
    out.reused = train_ok && val_ok;
    if (out.reused) return out;
    std::error_code ec;
    std::filesystem::create_directories(out.folder, ec);
    if (ec) throw OutputError("cannot create the token store folder " + out.folder + ": " + ec.message());
    const int vocab = corpus.tokenizer.vocab_size();
    if (!train_ok) write_token_store(out.train_path, corpus.train_tokens, vocab, source);
    if (!val_ok) write_token_store(out.val_path, corpus.val_tokens, vocab, source);
    write_tokenizer_model(out.folder, corpus.tokenizer);
    return out;
}

}  // namespace lrnn
