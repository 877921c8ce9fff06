// Checkpoints in process: the file format byte by byte (docs/checkpoints.md), a faithful round
// trip, refusal of every kind of damage with a message naming the file and the problem (and no
// allocation from an untrusted size: the suite also runs under ASan), the atomic write, the run
// directory's naming, pruning, best.ckpt and newest-valid fallback, metrics truncation on
// resume, load_model on checkpoints and run directories, and the purity of the chunk order.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/chunk_sampler.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/checksum.hpp"
#include "io/model_loader.hpp"
#include "model/model.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

using ScratchDir = test::TempDir;

// Whole files as bytes in a std::string (tests/temp_dir.hpp).
using test::read_text;
using test::write_text;

template <typename T>
T get(const std::string& bytes, std::size_t at) {
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    return v;
}

template <typename T>
void set(std::string& bytes, std::size_t at, T v) {
    std::memcpy(bytes.data() + at, &v, sizeof v);
}

template <typename T>
void append(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Recomputes both checksums of a (possibly edited) checkpoint image, so a test can build
// files that are well-formed on the outside but wrong inside.
void reseal(std::string& file) {
    set<std::uint64_t>(file, 16, file.size() - 32);
    set<std::uint32_t>(file, 24, crc32c(file.data() + 32, file.size() - 32));
    set<std::uint32_t>(file, 28, crc32c(file.data(), 28));
}

struct Record {
    std::string tag;
    std::string body;
};

std::vector<Record> split_records(const std::string& file) {
    std::vector<Record> out;
    std::size_t at = 32;
    while (at < file.size()) {
        const auto size = get<std::uint64_t>(file, at + 4);
        out.push_back({file.substr(at, 4), file.substr(at + 12, size)});
        at += 12 + size;
    }
    return out;
}

std::string join_records(const std::string& header, const std::vector<Record>& records) {
    std::string file = header.substr(0, 32);
    for (const Record& r : records) {
        file += r.tag;
        append<std::uint64_t>(file, r.body.size());
        file += r.body;
    }
    reseal(file);
    return file;
}

// A checkpoint with every field set to something recognisable.
Checkpoint sample_checkpoint(std::uint64_t seed = 5) {
    Checkpoint c;
    c.model = test::tiny_config();  // vocab 11
    c.config_yaml = "run:\n  name: \"sample\"\n  seed: 5\n";
    c.tokenizer = Tokenizer::from_chars({'\n', ' ', '!', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'});
    Parameters<float> p = test::noisy_parameters<float>(c.model, seed, 0.1);
    c.params = p.values;
    Rng rng(seed + 100);
    c.adam.m.resize(c.params.size());
    c.adam.v.resize(c.params.size());
    for (float& m : c.adam.m) m = float(rng.normal() * 1e-3);
    for (float& v : c.adam.v) v = float(rng.uniform() * 1e-6);
    c.adam.step = 37;
    c.progress.step = 41;
    c.progress.epoch = 3;
    c.progress.position = 17;
    c.progress.skipped_steps = 4;
    c.progress.tokens_seen = 123456789;
    c.progress.elapsed_s = 12.5;
    c.progress.best_val_loss = 1.25;
    c.progress.best_step = 30;
    c.progress.last_val_loss = 1.375;
    c.progress.corpus_hash = 0x0123456789abcdefULL;
    c.progress.corpus_bytes = 20000;
    c.progress.finished = true;
    return c;
}

// The UserError message of reading `path`, or "" if it loaded.
std::string refusal(const std::string& path) {
    try {
        read_checkpoint(path);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CheckpointFormat, RoundTripKeepsEveryField) {
    ScratchDir dir;
    const Checkpoint c = sample_checkpoint();
    const std::string path = dir.file("a.ckpt");
    write_checkpoint(path, c);
    ASSERT_TRUE(is_checkpoint_file(path));
    const Checkpoint r = read_checkpoint(path);
    EXPECT_EQ(r.config_yaml, c.config_yaml);
    EXPECT_TRUE(r.model == c.model);  // every field of the shape
    EXPECT_TRUE(r.tokenizer == c.tokenizer);
    EXPECT_TRUE(test::same_bits(r.params, c.params));
    EXPECT_TRUE(test::same_bits(r.adam.m, c.adam.m));
    EXPECT_TRUE(test::same_bits(r.adam.v, c.adam.v));
    EXPECT_EQ(r.adam.step, 37);
    const TrainingProgress& p = r.progress;
    EXPECT_EQ(p.step, 41);
    EXPECT_EQ(p.epoch, 3u);
    EXPECT_EQ(p.position, 17u);
    EXPECT_EQ(p.skipped_steps, 4);
    EXPECT_EQ(p.tokens_seen, 123456789u);
    EXPECT_EQ(p.elapsed_s, 12.5);
    EXPECT_EQ(p.best_val_loss, 1.25);
    EXPECT_EQ(p.best_step, 30);
    EXPECT_EQ(p.last_val_loss, 1.375);
    EXPECT_EQ(p.corpus_hash, 0x0123456789abcdefULL);
    EXPECT_EQ(p.corpus_bytes, 20000u);
    EXPECT_TRUE(p.finished);

    // The defaults of a run that never evaluated: infinity and NaN survive too.
    Checkpoint fresh = c;
    fresh.progress = TrainingProgress{};
    write_checkpoint(path, fresh);
    const Checkpoint f = read_checkpoint(path);
    EXPECT_TRUE(std::isinf(f.progress.best_val_loss));
    EXPECT_TRUE(std::isnan(f.progress.last_val_loss));
    EXPECT_EQ(f.progress.best_step, -1);
    EXPECT_FALSE(f.progress.finished);
}

TEST(CheckpointFormat, WordTokenizerRoundTrips) {
    ScratchDir dir;
    Checkpoint c = sample_checkpoint();
    c.tokenizer = Tokenizer::from_words({"<unk>", "<pad>", " ", "\n", "the", "king", "", "Ünïcode", "a b", "x", "yz"});
    const std::string path = dir.file("w.ckpt");
    write_checkpoint(path, c);
    const Checkpoint r = read_checkpoint(path);
    EXPECT_EQ(r.tokenizer.kind(), TokenizerKind::Word);
    EXPECT_EQ(r.tokenizer.words(), c.tokenizer.words());
}

// The byte layout docs/checkpoints.md describes.
TEST(CheckpointFormat, LayoutIsAsDocumented) {
    ScratchDir dir;
    const Checkpoint c = sample_checkpoint();
    const std::string path = dir.file("a.ckpt");
    write_checkpoint(path, c);
    const std::string file = read_text(path);
    ASSERT_GT(file.size(), 32u);
    EXPECT_EQ(file.substr(0, 8), "LRNNCKPT");
    EXPECT_EQ(get<std::uint32_t>(file, 8), kCheckpointVersion);
    EXPECT_EQ(kCheckpointVersion, 1u);
    EXPECT_EQ(get<std::uint32_t>(file, 12), 0u) << "flags";
    EXPECT_EQ(get<std::uint64_t>(file, 16), file.size() - 32) << "payload size";
    EXPECT_EQ(get<std::uint32_t>(file, 24), crc32c(file.data() + 32, file.size() - 32)) << "payload CRC-32C";
    EXPECT_EQ(get<std::uint32_t>(file, 28), crc32c(file.data(), 28)) << "header CRC-32C";

    const std::vector<Record> records = split_records(file);
    ASSERT_EQ(records.size(), 6u);
    const char* tags[] = {"CONF", "MODL", "TOKN", "PARM", "ADAM", "PROG"};
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(records[i].tag, tags[i]);
    const std::size_t P = c.params.size();
    EXPECT_EQ(records[0].body, c.config_yaml);
    // MODL: seven int32 then a float64.
    const std::string& modl = records[1].body;
    ASSERT_EQ(modl.size(), 7 * 4 + 8u);
    EXPECT_EQ(get<std::int32_t>(modl, 0), c.model.vocab_size);
    EXPECT_EQ(get<std::int32_t>(modl, 4), c.model.n_layer);
    EXPECT_EQ(get<std::int32_t>(modl, 8), c.model.n_embd);
    EXPECT_EQ(get<std::int32_t>(modl, 12), c.model.n_head);
    EXPECT_EQ(get<std::int32_t>(modl, 16), c.model.ctx_len);
    EXPECT_EQ(get<std::int32_t>(modl, 20), c.model.decay_lora_rank);
    EXPECT_EQ(get<std::int32_t>(modl, 24), c.model.n_mem_slots);
    EXPECT_EQ(get<double>(modl, 28), c.model.ffn_multiplier);
    // TOKN (char): kind 0, count, the bytes.
    const std::string& tokn = records[2].body;
    ASSERT_EQ(tokn.size(), 8u + 11u);
    EXPECT_EQ(get<std::uint32_t>(tokn, 0), 0u);
    EXPECT_EQ(get<std::uint32_t>(tokn, 4), 11u);
    EXPECT_EQ(tokn.substr(8), std::string("\n !abcdefgh"));
    // PARM: P float32 in layout order.
    ASSERT_EQ(records[3].body.size(), P * 4);
    EXPECT_EQ(std::memcmp(records[3].body.data(), c.params.data(), P * 4), 0);
    // ADAM: int64 step, m, v.
    const std::string& adam = records[4].body;
    ASSERT_EQ(adam.size(), 8 + 2 * P * 4);
    EXPECT_EQ(get<std::int64_t>(adam, 0), 37);
    EXPECT_EQ(std::memcmp(adam.data() + 8, c.adam.m.data(), P * 4), 0);
    EXPECT_EQ(std::memcmp(adam.data() + 8 + P * 4, c.adam.v.data(), P * 4), 0);
    // PROG: 11 eight-byte fields and one byte.
    const std::string& prog = records[5].body;
    ASSERT_EQ(prog.size(), 11 * 8 + 1u);
    EXPECT_EQ(get<std::int64_t>(prog, 0), 41);
    EXPECT_EQ(get<std::uint64_t>(prog, 8), 3u);
    EXPECT_EQ(get<std::uint64_t>(prog, 16), 17u);
    EXPECT_EQ(get<std::int64_t>(prog, 24), 4);
    EXPECT_EQ(get<std::uint64_t>(prog, 32), 123456789u);
    EXPECT_EQ(get<double>(prog, 40), 12.5);
    EXPECT_EQ(get<double>(prog, 48), 1.25);
    EXPECT_EQ(get<std::int64_t>(prog, 56), 30);
    EXPECT_EQ(get<double>(prog, 64), 1.375);
    EXPECT_EQ(get<std::uint64_t>(prog, 72), 0x0123456789abcdefULL);
    EXPECT_EQ(get<std::uint64_t>(prog, 80), 20000u);
    EXPECT_EQ(prog[88], 1);

    // Word vocabulary: kind 1, count, then (uint32 length, bytes) per word.
    Checkpoint w = c;
    w.tokenizer = Tokenizer::from_words({"<unk>", "<pad>", " ", "\n", "to", "be", "or", "not", "", "x", "yz"});
    write_checkpoint(path, w);
    const std::string wt = split_records(read_text(path))[2].body;
    EXPECT_EQ(get<std::uint32_t>(wt, 0), 1u);
    EXPECT_EQ(get<std::uint32_t>(wt, 4), 11u);
    EXPECT_EQ(get<std::uint32_t>(wt, 8), 5u);
    EXPECT_EQ(wt.substr(12, 5), "<unk>");
}

TEST(CheckpointFormat, SameContentGivesSameBytes) {
    ScratchDir dir;
    write_checkpoint(dir.file("a.ckpt"), sample_checkpoint());
    write_checkpoint(dir.file("b.ckpt"), sample_checkpoint());
    EXPECT_EQ(read_text(dir.file("a.ckpt")), read_text(dir.file("b.ckpt")));
}

TEST(CheckpointDamage, ZeroByteFileIsRefused) {
    ScratchDir dir;
    const std::string path = dir.file("empty.ckpt");
    write_text(path, "");
    const std::string msg = refusal(path);
    EXPECT_TRUE(contains(msg, path)) << msg;
    EXPECT_TRUE(contains(msg, "empty (0 bytes)")) << msg;
    EXPECT_FALSE(is_checkpoint_file(path));
}

TEST(CheckpointDamage, TruncationAtAnyOffsetIsRefused) {
    ScratchDir dir;
    const std::string good = dir.file("good.ckpt");
    write_checkpoint(good, sample_checkpoint());
    const std::string bytes = read_text(good);
    std::vector<std::size_t> offsets;
    for (std::size_t n = 1; n <= 80; ++n) offsets.push_back(n);  // inside and just after the header
    for (std::size_t n = 81; n < bytes.size(); n += 89) offsets.push_back(n);
    for (std::size_t n = bytes.size() - 16; n < bytes.size(); ++n) offsets.push_back(n);
    const std::string path = dir.file("cut.ckpt");
    for (std::size_t n : offsets) {
        write_text(path, bytes.substr(0, n));
        const std::string msg = refusal(path);
        EXPECT_TRUE(contains(msg, path)) << "cut at " << n << ": " << msg;
        EXPECT_TRUE(contains(msg, "truncated")) << "cut at " << n << ": " << msg;
    }
    // Appended bytes are refused as well: the header's payload size is the truth.
    write_text(path, bytes + "junk");
    EXPECT_TRUE(contains(refusal(path), "unexpected bytes after the payload")) << refusal(path);
}

TEST(CheckpointDamage, FlippedBitsAreRefused) {
    ScratchDir dir;
    const std::string good = dir.file("good.ckpt");
    write_checkpoint(good, sample_checkpoint());
    const std::string bytes = read_text(good);
    std::vector<std::size_t> positions;
    for (std::size_t i = 0; i < 32; ++i) positions.push_back(i);  // every header byte
    for (std::size_t i = 32; i < bytes.size(); i += 61) positions.push_back(i);
    positions.push_back(bytes.size() - 1);
    const std::string path = dir.file("flipped.ckpt");
    for (std::size_t at : positions) {
        for (int bit : {0, 5}) {
            std::string damaged = bytes;
            damaged[at] = char(damaged[at] ^ (1 << bit));
            write_text(path, damaged);
            const std::string msg = refusal(path);
            EXPECT_TRUE(contains(msg, path)) << "byte " << at << " bit " << bit << ": " << msg;
            const bool named = at < 8 ? contains(msg, "wrong magic")
                             : at < 32 ? contains(msg, "header checksum mismatch")
                                       : contains(msg, "payload checksum mismatch");
            EXPECT_TRUE(named) << "byte " << at << " bit " << bit << ": " << msg;
        }
    }
}

TEST(CheckpointDamage, OtherVersionsAreRefusedByNumber) {
    ScratchDir dir;
    const std::string good = dir.file("good.ckpt");
    write_checkpoint(good, sample_checkpoint());
    const std::string path = dir.file("v.ckpt");
    for (std::uint32_t version : {0u, 2u, 0xFFFFFFFFu}) {
        std::string bytes = read_text(good);
        set<std::uint32_t>(bytes, 8, version);
        reseal(bytes);  // a genuine file of another version, not a damaged one
        write_text(path, bytes);
        const std::string msg = refusal(path);
        EXPECT_TRUE(contains(msg, path)) << msg;
        EXPECT_TRUE(contains(msg, "format version " + std::to_string(version) + " is not supported")) << msg;
        EXPECT_TRUE(is_checkpoint_file(path));
    }
}

TEST(CheckpointDamage, OtherFilesAreNotCheckpoints) {
    ScratchDir dir;
    const std::string path = dir.file("text.ckpt");
    write_text(path, "ROMEO: what light through yonder window breaks\n");
    EXPECT_FALSE(is_checkpoint_file(path));
    EXPECT_TRUE(contains(refusal(path), "not an lrnn checkpoint (wrong magic)")) << refusal(path);
    write_text(path, "LRN");
    EXPECT_TRUE(contains(refusal(path), "truncated")) << refusal(path);
    EXPECT_FALSE(is_checkpoint_file(dir.file("missing.ckpt")));
    EXPECT_TRUE(contains(refusal(dir.file("missing.ckpt")), "cannot open")) << refusal(dir.file("missing.ckpt"));
    EXPECT_TRUE(contains(refusal(dir.path().string()), "is a directory")) << refusal(dir.path().string());
}

// Files whose checksums are right but whose content is not: every size is checked against the
// record before anything is allocated from it.
TEST(CheckpointDamage, InconsistentContentIsRefusedBeforeAllocating) {
    ScratchDir dir;
    const std::string good = dir.file("good.ckpt");
    write_checkpoint(good, sample_checkpoint());
    const std::string bytes = read_text(good);
    const std::vector<Record> records = split_records(bytes);
    const std::string path = dir.file("bad.ckpt");
    auto expect_refused = [&](const std::vector<Record>& recs, const std::string& what) {
        write_text(path, join_records(bytes, recs));
        const std::string msg = refusal(path);
        EXPECT_TRUE(contains(msg, path)) << what << ": " << msg;
        EXPECT_TRUE(contains(msg, what)) << what << ": " << msg;
    };
    for (const char* tag : {"CONF", "MODL", "TOKN", "PARM", "ADAM", "PROG"}) {
        std::vector<Record> recs;
        for (const Record& r : records)
            if (r.tag != tag) recs.push_back(r);
        expect_refused(recs, std::string("record ") + tag + " is missing");
    }
    {
        auto recs = records;
        recs.push_back(records[3]);
        expect_refused(recs, "record PARM appears twice");
    }
    {
        auto recs = records;
        recs[3].body.resize(recs[3].body.size() - 4);
        expect_refused(recs, "record PARM holds");
    }
    {
        auto recs = records;
        recs[4].body += "xxxx";
        expect_refused(recs, "record ADAM holds");
    }
    {
        // The largest shape the model accepts: the parameter count is computed, compared with
        // the record, and refused; nothing of that size is ever allocated.
        auto recs = records;
        set<std::int32_t>(recs[1].body, 4, 1024);   // n_layer
        set<std::int32_t>(recs[1].body, 8, 16384);  // n_embd
        expect_refused(recs, "record PARM holds");
    }
    {
        auto recs = records;
        set<std::int32_t>(recs[1].body, 12, 3);  // n_head not dividing n_embd 8
        expect_refused(recs, "divisible by n_head");
    }
    {
        auto recs = records;
        set<std::int32_t>(recs[1].body, 4, 1 << 20);  // n_layer
        expect_refused(recs, "sizes out of range");
    }
    {
        auto recs = records;
        recs[1].body.resize(20);
        expect_refused(recs, "ends early");
    }
    {
        auto recs = records;
        recs[1].body += "x";
        expect_refused(recs, "unexpected bytes after the model shape");
    }
    {
        auto recs = records;
        set<std::uint32_t>(recs[2].body, 4, 12);
        expect_refused(recs, "vocabulary size 12 disagrees with the model's 11");
    }
    {
        auto recs = records;
        set<std::uint32_t>(recs[2].body, 0, 7);
        expect_refused(recs, "unknown tokenizer kind 7");
    }
    {
        auto recs = records;
        recs[2].body[9] = recs[2].body[8];  // a byte listed twice
        expect_refused(recs, "twice");
    }
    {
        // A word vocabulary whose count claims more words than the record could hold.
        auto recs = records;
        std::string body;
        append<std::uint32_t>(body, 1);
        append<std::uint32_t>(body, 11);
        append<std::uint32_t>(body, 0x7FFFFFFF);  // first word's length
        recs[2].body = body;
        expect_refused(recs, "word vocabulary size exceeds the record");
        body.resize(8);
        for (int i = 0; i < 11; ++i) append<std::uint32_t>(body, i == 10 ? 0x7FFFFFFF : 0);
        recs[2].body = body;
        expect_refused(recs, "ends early");
    }
    {
        auto recs = records;
        recs[5].body.pop_back();
        expect_refused(recs, "ends early");
        recs[5].body += "xy";
        expect_refused(recs, "unexpected bytes after the progress record");
    }
    {
        // A record whose size runs past the payload.
        std::string file = bytes;
        set<std::uint64_t>(file, 32 + 4, std::uint64_t(1) << 62);
        reseal(file);
        write_text(path, file);
        const std::string msg = refusal(path);
        EXPECT_TRUE(contains(msg, "ends early while reading record CONF")) << msg;
    }
    {
        // Unknown records are skipped: a later version may add some.
        auto recs = records;
        recs.push_back({"XTRA", "future data"});
        write_text(path, join_records(bytes, recs));
        EXPECT_NO_THROW(read_checkpoint(path));
    }
}

TEST(CheckpointWrite, FailureMidWriteKeepsThePreviousFile) {
    ScratchDir dir;
    const std::string path = dir.file("step.ckpt");
    write_checkpoint(path, sample_checkpoint(5));
    const std::string before = read_text(path);
    int calls = 0;
    bool temp_seen = false;
    const auto failing = [&] {
        ++calls;
        // Halfway: the target is untouched, the new bytes go to a hidden temporary file.
        EXPECT_EQ(read_text(path), before);
        for (const auto& e : fs::directory_iterator(dir.path())) {
            const std::string name = e.path().filename().string();
            if (name.rfind(".step.ckpt.tmp.", 0) == 0) {
                temp_seen = true;
                EXPECT_GT(fs::file_size(e.path()), 0u);
                EXPECT_LT(fs::file_size(e.path()), before.size());
            }
        }
        throw UserError("simulated failure");
    };
    EXPECT_THROW(write_checkpoint(path, sample_checkpoint(6), failing), UserError);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(temp_seen);
    EXPECT_EQ(read_text(path), before);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string>{"step.ckpt"}) << "the temporary file is removed";

    // The same write without the failure replaces the file whole.
    int ok_calls = 0;
    write_checkpoint(path, sample_checkpoint(6), [&] { ++ok_calls; });
    EXPECT_EQ(ok_calls, 1);
    EXPECT_TRUE(test::same_bits(read_checkpoint(path).params, sample_checkpoint(6).params));
}

TEST(CheckpointWrite, UnwritableDestinationIsAClearError) {
    ScratchDir dir;
    // A path through a regular file: fails for root too (permission bits would not).
    write_text(dir.file("blocker"), "x");
    const std::string path = dir.file("blocker/step-000000005.ckpt");
    try {
        write_checkpoint(path, sample_checkpoint());
        ADD_FAILURE() << "the write should fail";
    } catch (const UserError& e) {
        EXPECT_TRUE(contains(e.what(), path)) << e.what();
        EXPECT_TRUE(contains(e.what(), "cannot create a temporary file")) << e.what();
    }
}

TEST(CheckpointRunDir, NamingListingAndPruning) {
    ScratchDir dir;
    const std::string run = dir.file("run");
    fs::create_directories(checkpoint_dir(run));
    EXPECT_EQ(checkpoint_dir(run), run + "/checkpoints");
    EXPECT_EQ(checkpoint_path(run, 40), run + "/checkpoints/step-000000040.ckpt");
    EXPECT_EQ(checkpoint_step(checkpoint_path(run, 40)), 40);
    EXPECT_EQ(checkpoint_step(run + "/checkpoints/best.ckpt"), -1);
    EXPECT_EQ(checkpoint_step(run + "/checkpoints/.step-000000040.ckpt.tmp.a1b2c3"), -1);
    EXPECT_EQ(checkpoint_step(run + "/checkpoints/step-00000x040.ckpt"), -1);

    const Checkpoint c = sample_checkpoint();
    for (std::int64_t step : {5, 10, 999999999, 1000000000, 15})
        write_checkpoint(checkpoint_path(run, step), c);
    write_text(run + "/checkpoints/notes.txt", "not a checkpoint");
    write_text(run + "/checkpoints/.step-000000020.ckpt.tmp.AbCdEf", "half a write");
    write_text(run + "/checkpoints/best.ckpt.tmp.link", "half a link");
    // Ordered by step, even past the nine digits of zero padding.
    EXPECT_EQ(list_checkpoints(run),
              (std::vector<std::string>{checkpoint_path(run, 5), checkpoint_path(run, 10), checkpoint_path(run, 15),
                                        checkpoint_path(run, 999999999), checkpoint_path(run, 1000000000)}));

    mark_best_checkpoint(run, checkpoint_path(run, 5));
    prune_checkpoints(run, 2);
    EXPECT_EQ(list_checkpoints(run),
              (std::vector<std::string>{checkpoint_path(run, 999999999), checkpoint_path(run, 1000000000)}));
    // best.ckpt outlives the step file it was made from; leftovers of killed writes are gone.
    EXPECT_TRUE(fs::exists(run + "/checkpoints/best.ckpt"));
    EXPECT_TRUE(test::same_bits(read_checkpoint(run + "/checkpoints/best.ckpt").params, c.params));
    EXPECT_FALSE(fs::exists(run + "/checkpoints/.step-000000020.ckpt.tmp.AbCdEf"));
    EXPECT_FALSE(fs::exists(run + "/checkpoints/best.ckpt.tmp.link"));
    EXPECT_TRUE(fs::exists(run + "/checkpoints/notes.txt")) << "only our own files are touched";

    // best.ckpt moves on to a newer checkpoint, replacing the old one.
    Checkpoint newer = sample_checkpoint(9);
    write_checkpoint(checkpoint_path(run, 1000000005), newer);
    mark_best_checkpoint(run, checkpoint_path(run, 1000000005));
    EXPECT_TRUE(test::same_bits(read_checkpoint(run + "/checkpoints/best.ckpt").params, newer.params));

    // Resuming from an older checkpoint abandons the newer ones: good ones are removed, an
    // unreadable one (damaged, or another version's) is renamed aside, not destroyed.
    write_file_atomically(checkpoint_path(run, 1000000010), "not a checkpoint of ours");
    const std::vector<std::string> notes = remove_checkpoints_after(run, 999999999);
    ASSERT_EQ(notes.size(), 3u);
    EXPECT_EQ(notes[0], "removed " + checkpoint_path(run, 1000000000) + " (newer than the checkpoint resumed)");
    EXPECT_EQ(notes[1], "removed " + checkpoint_path(run, 1000000005) + " (newer than the checkpoint resumed)");
    EXPECT_EQ(notes[2].rfind("renamed " + checkpoint_path(run, 1000000010) + " to " +
                                 checkpoint_path(run, 1000000010) + ".unusable (newer than the checkpoint resumed, "
                                 "and unreadable: ", 0), 0u) << notes[2];
    EXPECT_EQ(list_checkpoints(run), std::vector<std::string>{checkpoint_path(run, 999999999)});
    EXPECT_EQ(read_text(checkpoint_path(run, 1000000010) + ".unusable"), "not a checkpoint of ours");
    EXPECT_TRUE(remove_checkpoints_after(run, 999999999).empty());
    // A second unreadable file of the same name never replaces the first one set aside; an
    // unreadable older one is set aside too (it would be skipped and pruned-counted forever).
    write_file_atomically(checkpoint_path(run, 1000000010), "second");
    write_file_atomically(checkpoint_path(run, 7), "older, damaged");
    const std::vector<std::string> again = remove_checkpoints_after(run, 999999999);
    ASSERT_EQ(again.size(), 2u);
    EXPECT_EQ(read_text(checkpoint_path(run, 1000000010) + ".unusable"), "not a checkpoint of ours");
    EXPECT_EQ(read_text(checkpoint_path(run, 1000000010) + ".unusable.2"), "second");
    EXPECT_EQ(read_text(checkpoint_path(run, 7) + ".unusable"), "older, damaged");
    EXPECT_EQ(list_checkpoints(run), std::vector<std::string>{checkpoint_path(run, 999999999)});
}

TEST(CheckpointRunDir, NewestValidFallbackSaysWhatItSkipped) {
    ScratchDir dir;
    const std::string run = dir.file("run");
    std::ostringstream none;
    EXPECT_THROW(load_newest_checkpoint(run, none), UserError);
    fs::create_directories(checkpoint_dir(run));
    try {
        load_newest_checkpoint(run, none);
        ADD_FAILURE() << "no checkpoints";
    } catch (const UserError& e) {
        EXPECT_TRUE(contains(e.what(), "no checkpoints")) << e.what();
    }

    Checkpoint c10 = sample_checkpoint(10), c15 = sample_checkpoint(15);
    c10.progress.step = 10;
    c15.progress.step = 15;
    write_checkpoint(checkpoint_path(run, 10), c10);
    write_checkpoint(checkpoint_path(run, 15), c15);
    write_text(checkpoint_path(run, 20), "");                                           // zero bytes
    write_text(checkpoint_path(run, 25), read_text(checkpoint_path(run, 15)).substr(0, 1000));  // truncated

    std::ostringstream notes;
    std::string used;
    const Checkpoint got = load_newest_checkpoint(run, notes, &used);
    EXPECT_EQ(used, checkpoint_path(run, 15));
    EXPECT_EQ(got.progress.step, 15);
    EXPECT_TRUE(test::same_bits(got.params, c15.params));
    const std::string n = notes.str();
    EXPECT_TRUE(contains(n, "skipping unusable checkpoint: " + checkpoint_path(run, 25))) << n;
    EXPECT_TRUE(contains(n, "truncated")) << n;
    EXPECT_TRUE(contains(n, "skipping unusable checkpoint: " + checkpoint_path(run, 20))) << n;
    EXPECT_TRUE(contains(n, "empty")) << n;
    EXPECT_TRUE(contains(n, "falling back to the newest good checkpoint: " + checkpoint_path(run, 15))) << n;
    EXPECT_FALSE(contains(n, checkpoint_path(run, 10))) << n;

    // Nothing usable: an error naming the run, after a note per file.
    for (std::int64_t step : {10, 15}) write_text(checkpoint_path(run, step), "LRNNCKPT");
    std::ostringstream all_bad;
    try {
        load_newest_checkpoint(run, all_bad);
        ADD_FAILURE() << "no usable checkpoint";
    } catch (const UserError& e) {
        EXPECT_TRUE(contains(e.what(), "none of its checkpoints is usable (4 step checkpoint(s) tried")) << e.what();
    }
    EXPECT_TRUE(contains(all_bad.str(), checkpoint_path(run, 10))) << all_bad.str();

    // ... unless best.ckpt still loads: the last resort, said so.
    Checkpoint c5 = sample_checkpoint(5);
    c5.progress.step = 5;
    write_checkpoint(checkpoint_dir(run) + "/best.ckpt", c5);
    std::ostringstream best_notes;
    std::string best_used;
    const Checkpoint from_best = load_newest_checkpoint(run, best_notes, &best_used);
    EXPECT_EQ(best_used, checkpoint_dir(run) + "/best.ckpt");
    EXPECT_EQ(from_best.progress.step, 5);
    EXPECT_TRUE(contains(best_notes.str(), "every step checkpoint is unusable; falling back to " + best_used + " (step 5)"))
        << best_notes.str();
    // Also with no step file at all.
    for (const std::string& f : list_checkpoints(run)) fs::remove(f);
    std::ostringstream only_best;
    EXPECT_EQ(load_newest_checkpoint(run, only_best).progress.step, 5) << only_best.str();
}

TEST(CheckpointRunDir, TruncateMetricsKeepsRowsUpToTheCheckpoint) {
    ScratchDir dir;
    const std::string path = dir.file("metrics.jsonl");
    write_text(path,
                "{\"step\": 1, \"loss\": 4.1}\n"
                "{\"step\": 2, \"loss\": 4.0}\n"
                "{\"step\": 3, \"loss\": 3.9, \"val_loss\": 3.8}\n"
                "{\"step\": 4, \"loss\": 3.8}\n"
                "{\"step\": 5, \"lo");  // cut short by a kill
    truncate_metrics(path, 3);
    EXPECT_EQ(read_text(path),
              "{\"step\": 1, \"loss\": 4.1}\n"
              "{\"step\": 2, \"loss\": 4.0}\n"
              "{\"step\": 3, \"loss\": 3.9, \"val_loss\": 3.8}\n");
    truncate_metrics(path, 0);
    EXPECT_EQ(read_text(path), "");
    // A missing file stays missing (nothing logged yet).
    truncate_metrics(dir.file("none.jsonl"), 5);
    EXPECT_FALSE(fs::exists(dir.file("none.jsonl")));
}

TEST(CheckpointLoadModel, CheckpointFileAndRunDirectory) {
    ScratchDir dir;
    const std::string run = dir.file("run");
    fs::create_directories(checkpoint_dir(run));
    Checkpoint older = sample_checkpoint(1), newer = sample_checkpoint(2);
    write_checkpoint(checkpoint_path(run, 5), older);
    write_checkpoint(checkpoint_path(run, 10), newer);

    const LoadedModel file = load_model(checkpoint_path(run, 5));
    EXPECT_EQ(file.source, checkpoint_path(run, 5));
    EXPECT_EQ(file.config_yaml, older.config_yaml);
    EXPECT_TRUE(file.tokenizer == older.tokenizer);
    EXPECT_EQ(file.params.config().n_embd, older.model.n_embd);
    EXPECT_TRUE(test::same_bits(file.params.values, older.params));

    const LoadedModel from_run = load_model(run);
    EXPECT_EQ(from_run.source, checkpoint_path(run, 10));
    EXPECT_TRUE(test::same_bits(from_run.params.values, newer.params));

    // A damaged newest checkpoint: the run directory falls back, saying so on stderr.
    write_text(checkpoint_path(run, 10), read_text(checkpoint_path(run, 10)).substr(0, 500));
    testing::internal::CaptureStderr();
    const LoadedModel fallback = load_model(run);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(fallback.source, checkpoint_path(run, 5));
    EXPECT_TRUE(test::same_bits(fallback.params.values, older.params));
    EXPECT_TRUE(contains(err, "skipping unusable checkpoint: " + checkpoint_path(run, 10))) << err;

    // The damaged file named directly is an error naming it.
    try {
        load_model(checkpoint_path(run, 10));
        ADD_FAILURE() << "truncated checkpoint loaded";
    } catch (const UserError& e) {
        EXPECT_TRUE(contains(e.what(), checkpoint_path(run, 10))) << e.what();
        EXPECT_TRUE(contains(e.what(), "truncated")) << e.what();
    }
    write_text(dir.file("empty.ckpt"), "");
    try {
        load_model(dir.file("empty.ckpt"));
        ADD_FAILURE() << "empty file loaded";
    } catch (const UserError& e) {
        EXPECT_TRUE(contains(e.what(), "empty (0 bytes)")) << e.what();
    }
    try {
        load_model(dir.path().string());
        ADD_FAILURE() << "a plain directory loaded";
    } catch (const UserError& e) {
        EXPECT_TRUE(contains(e.what(), "not a run directory")) << e.what();
    }
}

// The claim that lets a checkpoint hold no RNG stream for the data order: the chunk at
// (epoch, position) depends on (seed, epoch, position) alone, whatever was asked before.
TEST(CheckpointChunkOrder, IsAPureFunctionOfSeedAndEpoch) {
    const std::size_t n_tokens = 5000, ctx = 16;
    ChunkSampler in_order(n_tokens, ctx, 1337);
    std::vector<std::vector<std::size_t>> epochs;
    for (std::uint64_t e = 0; e < 4; ++e) {
        std::vector<std::size_t> starts;
        for (std::size_t p = 0; p < in_order.chunks_per_epoch(); ++p) starts.push_back(in_order.chunk_start(e, p));
        epochs.push_back(starts);
    }
    // A sampler that jumps straight to an epoch and position (what a resumed run does).
    for (std::uint64_t e : {3u, 1u, 0u, 2u}) {
        ChunkSampler resumed(n_tokens, ctx, 1337);
        for (std::size_t p = in_order.chunks_per_epoch() / 3; p < in_order.chunks_per_epoch(); ++p)
            ASSERT_EQ(resumed.chunk_start(e, p), epochs[e][p]) << "epoch " << e << " position " << p;
    }
    ChunkSampler zigzag(n_tokens, ctx, 1337);
    for (std::size_t p = 0; p < in_order.chunks_per_epoch(); ++p)
        ASSERT_EQ(zigzag.chunk_start(p % 4, p), epochs[p % 4][p]);
    // Each epoch is a permutation of the chunks, the epochs differ, and so do seeds.
    auto sorted = epochs[0];
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i * ctx);
    EXPECT_NE(epochs[0], epochs[1]);
    ChunkSampler other_seed(n_tokens, ctx, 1338);
    std::vector<std::size_t> other;
    for (std::size_t p = 0; p < other_seed.chunks_per_epoch(); ++p) other.push_back(other_seed.chunk_start(0, p));
    EXPECT_NE(other, epochs[0]);
}

}  // namespace
}  // namespace lrnn
