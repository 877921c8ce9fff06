// data.path and data.val_path in the config (docs/config.md, "Corpus files"): a list is kept as
// a list and written back so that config.yaml reloads identically; relative entries resolve
// against the config file's folder; data.val_path replaces data.val_fraction (both refused).
// And through the real binary: a run on a directory corpus with an explicit validation set,
// resumed bit-exactly, and refused when a file of the directory changed.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "error_of.hpp"
#include "config/train_config.hpp"
#include "core/error.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"
#include "temp_dir.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

using test::error_of;

std::string normal(const fs::path& p) { return p.lexically_normal().string(); }

// `s` in double quotes (built piece by piece: `"literal" + std::string&&` trips a GCC 12
// -Wrestrict false positive).
std::string quoted(const std::string& s) {
    std::string q = "\"";
    q += s;
    q += '"';
    return q;
}

TEST(CorpusPathsConfig, AListIsKeptAndWrittenBackAsAList) {
    const test::TempDir dir;
    const std::string file = dir.write("c.yaml",
                                       "data:\n"
                                       "  path: [intro.txt, chapters/, \"extra/*.md\", /abs/other.txt]\n"
                                       "  val_path: held-out/\n"
                                       "  jsonl_field: body\n");
    const TrainConfig c = load_train_config({file, {}});
    EXPECT_EQ(c.data.path, "");
    EXPECT_EQ(c.data.path_list, (std::vector<std::string>{normal(dir.path() / "intro.txt"),
                                                          normal(dir.path() / "chapters/"),
                                                          normal(dir.path() / "extra/*.md"), "/abs/other.txt"}));
    EXPECT_EQ(c.data.path_entries(), c.data.path_list);
    EXPECT_EQ(c.data.val_path_entries(), (std::vector<std::string>{normal(dir.path() / "held-out/")}));
    EXPECT_EQ(c.data.jsonl_field, "body");
    std::string list = "[";
    for (const std::string& entry : c.data.path_list) list += (list.size() > 1 ? ", " : "") + quoted(entry);
    list += "]";
    EXPECT_EQ(c.data.path_list.back(), "/abs/other.txt") << "an absolute entry stays as it is";
    EXPECT_EQ(config_value(c, "data.path"), list);
    // config.yaml reloads to the same config, the list still a list.
    const TrainConfig back = parse_train_config_text(to_yaml(c), "config.yaml");
    EXPECT_EQ(back.data.path_list, c.data.path_list);
    EXPECT_EQ(back.data.val_path, c.data.val_path);
    EXPECT_EQ(to_yaml(back), to_yaml(c));

    // One path stays one path.
    const TrainConfig one = load_train_config({dir.write("one.yaml", "data: {path: corpus.txt}\n"), {}});
    EXPECT_TRUE(one.data.path_list.empty());
    EXPECT_EQ(config_value(one, "data.path"), quoted(normal(dir.path() / "corpus.txt")));
    EXPECT_EQ(one.data.val_path_entries(), std::vector<std::string>{});

    // On the command line: a YAML list too, resolved against the working directory.
    const TrainConfig over = load_train_config({file, {"data.path=[a.txt, b/]"}});
    EXPECT_EQ(over.data.path_list, (std::vector<std::string>{normal(fs::current_path() / "a.txt"),
                                                             normal(fs::current_path() / "b/")}));
    const TrainConfig scalar = load_train_config({file, {"data.path=x.txt"}});
    EXPECT_TRUE(scalar.data.path_list.empty()) << "a path replaces the list";
}

TEST(CorpusPathsConfig, BadFormsAreRefusedNamingTheKey) {
    const test::TempDir dir;
    const auto error = [&](const std::string& yaml, std::vector<std::string> overrides = {}) {
        const std::string file = dir.write("bad.yaml", yaml);
        return error_of([&] { load_train_config({file, std::move(overrides)}); });
    };
    EXPECT_NE(error("data: {path: []}\n").find("data.path is an empty list"), std::string::npos);
    EXPECT_NE(error("data: {path: [a.txt, [b]]}\n").find("data.path expects a path or a list of paths"), std::string::npos);
    EXPECT_NE(error("data: {path: {a: b}}\n").find("data.path expects a path or a list of paths, got a mapping"),
              std::string::npos);
    EXPECT_NE(error("data: {path: a.txt, jsonl_field: \"\"}\n").find("data.jsonl_field must not be empty"),
              std::string::npos);
    const std::string both = error("data: {path: a.txt, val_path: v.txt, val_fraction: 0.2}\n");
    EXPECT_NE(both.find("bad.yaml:1: data.val_fraction and data.val_path are both given"), std::string::npos) << both;
    EXPECT_NE(error("data: {path: a.txt, val_path: v.txt}\n", {"data.val_fraction=0.3"}).find("both given"),
              std::string::npos);
    EXPECT_EQ(error("data: {path: a.txt, val_path: [v.txt, w/]}\n"), "");
}

// ---------------------------------------------------------------- end to end

class CorpusPathsRun : public ::testing::Test {
protected:
    void SetUp() override {
        // The bundled text cut into files of a directory (with a hidden one that must not
        // count), and a held-out validation file.
        const std::string text = test::read_text(test::write_corpus_slice(dir_.path(), 24000));
        fs::create_directories(dir_.path() / "corpus" / "part2");
        test::write_text(dir_.path() / "corpus" / "a.txt", text.substr(0, 8000));
        test::write_text(dir_.path() / "corpus" / "part2" / "b.txt", text.substr(8000, 8000));
        test::write_text(dir_.path() / "corpus" / ".notes", "not part of the corpus \x01\x02");
        test::write_text(dir_.path() / "held-out.txt", text.substr(16000));
        config_ = dir_.write("dir.yaml", "run: {name: dir-run, dir: " + dir_.path().string() +
                                             ", seed: 5}\n"
                                             "data: {path: corpus, val_path: held-out.txt}\n" +
                                             test::kTinyModelYaml +
                                             "train: {max_steps: 8, batch_chunks: 2, eval_every: 4, eval_tokens: 256, "
                                             "log_every: 1, checkpoint_every: 4, keep_checkpoints: 5, threads: 1}\n");
    }

    test::TempDir dir_;
    std::string config_;
};

TEST_F(CorpusPathsRun, TrainsOnADirectoryAndResumesBitExactly) {
    const test::CommandResult first = test::run_lrnn_args({"train", config_, "--no-sample"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_NE(first.err.find("corpus (2 files)"), std::string::npos) << first.err;
    const std::string run_dir = dir_.file("dir-run");
    const Checkpoint straight = read_checkpoint(checkpoint_path(run_dir, 8));
    EXPECT_EQ(straight.progress.corpus_bytes, 8000u + 2u + 8000u + 8000u) << "two files joined by \"\\n\\n\", then val_path";

    // Resumed from step 4, the run ends on the same bits.
    const test::CommandResult resumed =
        test::run_lrnn_args({"train", "--resume", checkpoint_path(run_dir, 4), "--no-sample"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    const Checkpoint again = read_checkpoint(checkpoint_path(run_dir, 8));
    EXPECT_EQ(again.params, straight.params);
    EXPECT_EQ(again.adam.m, straight.adam.m);
    EXPECT_EQ(again.adam.v, straight.adam.v);
    EXPECT_EQ(again.progress.position, straight.progress.position);
    EXPECT_EQ(again.progress.best_val_loss, straight.progress.best_val_loss);

    // A hidden file is not the corpus: changing it changes nothing.
    test::write_text(dir_.path() / "corpus" / ".notes", "edited");
    const test::CommandResult hidden =
        test::run_lrnn_args({"train", "--resume", checkpoint_path(run_dir, 4), "--no-sample"});
    EXPECT_EQ(hidden.exit_code, 0) << hidden.err;

    // A file of the directory changed: refused, as for one file.
    test::write_text(dir_.path() / "corpus" / "part2" / "b.txt", "changed");
    const test::CommandResult changed =
        test::run_lrnn_args({"train", "--resume", checkpoint_path(run_dir, 4), "--no-sample"});
    EXPECT_EQ(changed.exit_code, 2) << changed.err;
    EXPECT_NE(changed.err.find("has changed since the checkpoint was written"), std::string::npos) << changed.err;

    // data.path cannot change on resume, a list included.
    const test::CommandResult other = test::run_lrnn_args(
        {"train", "--resume", checkpoint_path(run_dir, 4), "--no-sample", "data.path=[" + dir_.file("corpus") + "]"});
    EXPECT_EQ(other.exit_code, 2) << other.err;
    EXPECT_NE(other.err.find("data.path cannot change when resuming"), std::string::npos) << other.err;
}

TEST_F(CorpusPathsRun, JsonLinesCorpusTrains) {
    std::string jsonl;
    const std::string text = test::read_text(dir_.file("corpus.txt"));
    for (std::size_t i = 0; i + 400 <= 16000; i += 400) {
        std::string piece;
        for (char c : text.substr(i, 400)) {
            if (c == '"' || c == '\\') piece += '\\', piece += c;
            else if (c == '\n') piece += "\\n";
            else piece += c;
        }
        jsonl += "{\"id\": " + std::to_string(i) + ", \"text\": \"" + piece + "\"}\n";
    }
    test::write_text(dir_.path() / "docs.jsonl", jsonl);
    const std::string config = dir_.write("jsonl.yaml", "run: {name: jsonl-run, dir: " + dir_.path().string() +
                                                            "}\ndata: {path: docs.jsonl}\n" + test::kTinyModelYaml +
                                                            "train: {max_steps: 2, batch_chunks: 2, threads: 1}\n");
    const test::CommandResult r = test::run_lrnn_args({"train", config, "--no-sample"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Checkpoint c = read_checkpoint(checkpoint_path(dir_.file("jsonl-run"), 2));
    EXPECT_EQ(c.progress.corpus_bytes, 16000u + 39u * 2u) << "40 records of 400 bytes, 39 separators";

    test::write_text(dir_.path() / "docs.jsonl", jsonl + "{\"text\": 7}\n");
    const test::CommandResult bad = test::run_lrnn_args({"train", config, "--no-sample", "--force"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find(dir_.file("docs.jsonl") + ":41: \"text\" is number"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace lrnn
