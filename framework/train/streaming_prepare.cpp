#include "train/streaming_prepare.hpp"

#include <unistd.h>

#include <array>
#include <chrono>
#include <exception>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <tbb/parallel_for.h>

#include "core/error.hpp"
#include "core/status_line.hpp"
#include "core/thread_limit.hpp"
#include "data/corpus.hpp"
#include "io/corpus_sources.hpp"
#include "io/token_store.hpp"
#include "train/run_corpus.hpp"

namespace lrnn {

namespace {

constexpr std::uint64_t kNoSplit = std::numeric_limits<std::uint64_t>::max();

// The corpus files of the config, listed once.
struct Sources {
    std::vector<std::string> train_files, val_files;  // val_files empty: split by data.val_fraction
    std::string train_name, val_name;
    std::string jsonl_field;
};

Sources list_sources(const TrainConfig& config) {
    Sources s;
    const std::vector<std::string> train = config.data.path_entries(), val = config.data.val_path_entries();
    s.train_files = expand_corpus_sources(train, "data.path");
    s.train_name = corpus_sources_name(train, s.train_files);
    if (!val.empty()) {
        s.val_files = expand_corpus_sources(val, "data.val_path");
        s.val_name = corpus_sources_name(val, s.val_files);
    }
    s.jsonl_field = config.data.jsonl_field;
    return s;
}

// The corpus's text as blocks of part 0 (the training text) and part 1 (the validation text),
// in text order. Each block is about block_bytes long and ends after a '\n' or at its part's
// end (cut_anywhere: at block_bytes, for the byte tokenizer); a line longer than a block makes
// its block longer. With one source list, the text splits into its parts at byte `split`.
class BlockReader {
public:
    BlockReader(const Sources& s, std::uint64_t split, std::size_t block_bytes, bool cut_anywhere)
        : train_(s.train_files, s.train_name, "data.path", s.jsonl_field, std::min<std::size_t>(block_bytes, 4u << 20)),
          split_(s.val_files.empty() ? split : kNoSplit), block_bytes_(std::max<std::size_t>(block_bytes, 1)),
          cut_anywhere_(cut_anywhere) {
        if (!s.val_files.empty())
            val_.emplace(s.val_files, s.val_name, "data.val_path", s.jsonl_field, std::min<std::size_t>(block_bytes, 4u << 20));
    }

    bool next(int& part, std::string& block) {
        for (;;) {
            if (const std::size_t cut = cut_point(); cut > 0) return emit(part, block, cut);
            int piece_part = 0;
            if (!next_piece(piece_part)) {
                if (buf_.empty()) return false;
                return emit(part, block, buf_.size());
            }
            if (!buf_.empty() && piece_part != buf_part_) {
                held_part_ = piece_part, held_ = true;  // keep the piece for the next block
                return emit(part, block, buf_.size());
            }
            buf_part_ = piece_part;
            buf_ += piece_;
        }
    }

private:
    // Where the next block ends (0: not yet).
    std::size_t cut_point() const {
        if (buf_.size() < block_bytes_) return 0;
        if (cut_anywhere_) return block_bytes_;
        const std::size_t nl = buf_.rfind('\n');
        return nl == std::string::npos ? 0 : nl + 1;
    }

    bool emit(int& part, std::string& block, std::size_t cut) {
        part = buf_part_;
        block.assign(buf_, 0, cut);
        buf_.erase(0, cut);
        if (held_) {
            buf_ += piece_;  // the held piece starts the next block
            buf_part_ = held_part_;
            held_ = false;
        }
        return true;
    }

    // The next piece into piece_, with its part.
    bool next_piece(int& part) {
        if (!rest_.empty()) {
            piece_ = std::move(rest_);
            rest_.clear();
            part = 1;
            return true;
        }
        if (!train_done_) {
            if (train_.next(piece_)) {
                part = 0;
                if (offset_ < split_ && offset_ + piece_.size() > split_) {
                    rest_ = piece_.substr(std::size_t(split_ - offset_));
                    piece_.resize(std::size_t(split_ - offset_));
                } else if (offset_ >= split_) {
                    part = 1;
                }
                offset_ += piece_.size() + rest_.size();
                return true;
            }
            train_done_ = true;
        }
        if (val_ && val_->next(piece_)) {
            part = 1;
            return true;
        }
        return false;
    }

    CorpusStream train_;
    std::optional<CorpusStream> val_;
    std::uint64_t split_;
    std::size_t block_bytes_;
    bool cut_anywhere_;
    bool train_done_ = false;
    std::uint64_t offset_ = 0;  // bytes of the training sources' text read so far
    std::string piece_, rest_;
    std::string buf_;
    int buf_part_ = 0;
    bool held_ = false;
    int held_part_ = 0;
};

// Pass 1: the size of each part, the whole text's FNV-1a 64 and the bytes that occur in it.
struct TextSurvey {
    std::array<std::uint64_t, 2> part_bytes{};
    std::uint64_t hash = kFnv1a64Basis;
    std::array<bool, 256> seen{};
};

TextSurvey survey(const Sources& s, std::size_t block_bytes) {
    TextSurvey t;
    BlockReader reader(s, kNoSplit, block_bytes, true);
    int part = 0;
    std::string block;
    while (reader.next(part, block)) {
        t.part_bytes[std::size_t(part)] += block.size();
        t.hash = fnv1a64(block.data(), block.size(), t.hash);
        for (const unsigned char b : block) t.seen[b] = true;
    }
    return t;
}

// The bytes of the training text at `ranges` (sorted, apart), read in one pass.
std::vector<std::string> read_ranges(const Sources& s, std::uint64_t split, const std::vector<TextRange>& ranges,
                                     std::size_t block_bytes) {
    std::vector<std::string> out(ranges.size());
    BlockReader reader(s, split, block_bytes, true);
    int part = 0;
    std::string block;
    std::uint64_t at = 0;
    std::size_t r = 0;
    while (r < ranges.size() && reader.next(part, block) && part == 0) {
        const std::uint64_t end = at + block.size();
        for (std::size_t k = r; k < ranges.size() && ranges[k].offset < end; ++k) {
            const std::uint64_t lo = std::max<std::uint64_t>(ranges[k].offset, at);
            const std::uint64_t hi = std::min<std::uint64_t>(ranges[k].offset + ranges[k].size, end);
            if (hi > lo) out[k].append(block, std::size_t(lo - at), std::size_t(hi - lo));
        }
        while (r < ranges.size() && ranges[r].offset + ranges[r].size <= end) ++r;
        at = end;
    }
    return out;
}

std::string megabytes(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / 1e6);
    return buf;
}

}  // namespace

PreparedText stream_prepare(const TrainConfig& config, const Tokenizer* given, const std::string& folder,
                            std::size_t block_bytes, bool progress, std::ostream& log) {
    const ThreadLimit threads(config.train.threads);
    const Sources sources = list_sources(config);
    const TextSurvey text = survey(sources, block_bytes);
    const std::uint64_t all = text.part_bytes[0] + text.part_bytes[1];

    PreparedText p;
    p.name = sources.train_name;
    p.bytes = all;
    p.hash = text.hash;
    if (sources.val_files.empty()) {
        p.train_bytes = std::uint64_t(double(all) * (1.0 - config.data.val_fraction));
        if (p.train_bytes == 0 || p.train_bytes >= all)
            throw UserError("data.path: " + p.name + " (" + std::to_string(all) +
                            " bytes) is too short to split into training and validation parts");
    } else {
        p.train_bytes = text.part_bytes[0];
        if (text.part_bytes[0] == 0) throw UserError("data.path: " + p.name + ": the training text is empty");
        if (text.part_bytes[1] == 0) throw UserError("data.val_path: " + sources.val_name + ": the validation text is empty");
    }

    // The tokenizer, as data/corpus.cpp makes it: the char vocabulary is the whole text's byte
    // set; word and subword vocabularies come from the training part alone.
    const std::string& kind = config.data.tokenizer;
    std::optional<Tokenizer> configured = given ? std::nullopt : configured_tokenizer(config);
    if (given) {
        p.tokenizer = *given;
    } else if (configured) {
        p.tokenizer = std::move(*configured);
    } else if (kind == "bpe" || kind == "unigram") {
        const SubwordTraining subword{.algorithm = kind == "bpe" ? SubwordAlgorithm::Bpe : SubwordAlgorithm::Unigram,
                                      .vocab_size = config.data.vocab_size,
                                      .seed = config.run.seed};
        const std::vector<std::string> sample =
            read_ranges(sources, p.train_bytes, training_sample_ranges(std::size_t(p.train_bytes), config.run.seed), block_bytes);
        const std::vector<std::string_view> views(sample.begin(), sample.end());
        std::uint64_t sample_bytes = 0;
        for (const std::string& part : sample) sample_bytes += part.size();
        const auto trained_from = std::chrono::steady_clock::now();
        p.tokenizer = Tokenizer::train_subword_on_sample(views, subword);
        char line[160];
        std::snprintf(line, sizeof line, "%s tokenizer trained (%d pieces) on a %.1f MB sample of the training part in %.2f s",
                      kind.c_str(), p.tokenizer.vocab_size(), double(sample_bytes) / 1e6,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - trained_from).count());
        log << line << "\n" << std::flush;
    } else if (kind == "char" || (kind == "auto" && all < 20000)) {
        std::vector<std::uint8_t> chars;
        for (int b = 0; b < 256; ++b)
            if (text.seen[std::size_t(b)]) chars.push_back(std::uint8_t(b));
        p.tokenizer = Tokenizer::from_chars(std::move(chars));
    } else if (kind == "word" || kind == "auto") {
        BlockReader reader(sources, p.train_bytes, block_bytes, false);
        std::string block;
        int part = 0;
        p.tokenizer = Tokenizer::build_word_from_blocks([&](std::string_view& out) {
            if (!reader.next(part, block) || part != 0) return false;
            out = block;
            return true;
        });
    } else {
        throw UserError("tokenizer: unknown kind '" + kind + "' (expected char, word or auto)");
    }

    // Pass 3: blocks tokenized in parallel, a group at a time, appended in text order.
    const Tokenizer& tok = p.tokenizer;
    const bool word = tok.kind() == TokenizerKind::Word;
    const TokenStoreSource source{vocabulary_fingerprint(tok), p.hash, p.bytes};
    TokenStoreWriter train_store(folder + "/train.tokens", tok.vocab_size(), source);
    TokenStoreWriter val_store(folder + "/val.tokens", tok.vocab_size(), source);
    std::optional<TokenStoreWriter> val_bytes_store;
    if (word) val_bytes_store.emplace(folder + "/val.token_bytes", std::numeric_limits<TokenId>::max(), source);

    struct Block {
        int part = 0;
        std::uint64_t first = 0;  // where the block starts in its part
        std::string text;
        std::vector<TokenId> ids;
        std::vector<std::uint32_t> bytes;
        std::exception_ptr error;
        std::uint64_t first_id = 0, first_count = 0;  // where its ids (and byte counts) go
        std::string encoded, encoded_counts;          // as written, for the checksums
    };
    // The texts as data/corpus.cpp names them in messages (a byte a given char vocabulary lacks).
    const std::string contexts[2] = {
        p.name + " (training part)",
        sources.val_files.empty() ? p.name + " (validation part, from byte " + std::to_string(p.train_bytes) + ")"
                                  : sources.val_name + " (validation text)"};
    std::uint64_t part_offset[2] = {0, 0};
    std::vector<Block> group(std::size_t(std::max(1, threads.threads())) * 2);
    BlockReader reader(sources, p.train_bytes, block_bytes, tok.kind() == TokenizerKind::Char);
    const auto start = std::chrono::steady_clock::now();
    const bool draw = progress && ::isatty(STDOUT_FILENO);
    std::uint64_t done = 0;
    for (bool more = true; more;) {
        std::size_t n = 0;
        while (n < group.size() && (more = reader.next(group[n].part, group[n].text))) {
            group[n].first = part_offset[group[n].part];
            part_offset[group[n].part] += group[n].text.size();
            ++n;
        }
        tbb::parallel_for(std::size_t(0), n, [&](std::size_t i) {
            Block& b = group[i];
            b.error = nullptr;
            try {
                b.ids = tok.encode(b.text, contexts[b.part], nullptr, word && b.part == 1 ? &b.bytes : nullptr,
                                   std::size_t(b.first));
            } catch (...) {
                b.error = std::current_exception();
            }
        });
        // Placed in text order, written side by side (the page-cache copy of the ids is most of
        // a char preparation's time), checksummed in text order.
        for (std::size_t i = 0; i < n; ++i) {
            Block& b = group[i];
            if (b.error) std::rethrow_exception(b.error);  // the first in text order, as a whole text's
            b.first_id = (b.part == 0 ? train_store : val_store).place(b.ids.size());
            if (word && b.part == 1) b.first_count = val_bytes_store->place(b.bytes.size());
        }
        tbb::parallel_for(std::size_t(0), n, [&](std::size_t i) {
            Block& b = group[i];
            (b.part == 0 ? train_store : val_store).write(b.first_id, b.ids, b.encoded);
            if (word && b.part == 1) {
                const std::vector<TokenId> counts(b.bytes.begin(), b.bytes.end());
                val_bytes_store->write(b.first_count, counts, b.encoded_counts);
            }
        });
        for (std::size_t i = 0; i < n; ++i) {
            Block& b = group[i];
            (b.part == 0 ? train_store : val_store).checksum(b.encoded);
            if (word && b.part == 1) val_bytes_store->checksum(b.encoded_counts);
            done += b.text.size();
        }
        if (draw) {
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            char rate[48];
            std::snprintf(rate, sizeof rate, "%.1f MB/s", s > 0 ? double(done) / 1e6 / s : 0.0);
            draw_status_line(log, "tokenizing " + megabytes(done) + " / " + megabytes(all) + ", " + rate);
        }
    }
    if (draw) erase_status_line(log);
    p.train_tokens = train_store.count();
    p.val_tokens = val_store.count();
    train_store.finish();
    val_store.finish();
    if (val_bytes_store) val_bytes_store->finish();
    return p;
}

}  // namespace lrnn
