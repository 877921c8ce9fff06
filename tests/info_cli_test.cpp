// lrnn info CONFIG: the dry run under its own name; same output as `lrnn train CONFIG
// --dry-run`, creates nothing, listed by `lrnn --help`.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_util.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

TEST(InfoCli, IsTheDryRunOfTrain) {
    test::TempDir dir;
    test::write_corpus_slice(dir.path());
    const std::string runs = dir.file("runs");
    const std::string config = dir.write("c.yaml", "run: {dir: " + runs + ", name: r}\n"
                                                   "data: {path: corpus.txt}\n" +
                                                       std::string(test::kTinyModelYaml) +
                                                       "train: {max_steps: 3, batch_chunks: 4, eval_tokens: 256}\n");
    const test::CommandResult info = test::run_lrnn_args({"info", config, "train.max_steps=5"});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_FALSE(fs::exists(runs)) << "info creates no run directory";
    EXPECT_NE(info.out.find("---- resolved config ----"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("steps: 5 (train.max_steps)"), std::string::npos) << info.out;
    const test::CommandResult dry = test::run_lrnn_args({"train", config, "train.max_steps=5", "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    // (the memory available may differ between the two: compare what the config decides)
    const auto from = [](const std::string& text, const std::string& start) {
        const auto at = text.find(start);
        return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
    };
    EXPECT_EQ(from(info.out, "parameters: "), from(dry.out, "parameters: "));
    EXPECT_FALSE(from(info.out, "parameters: ").empty()) << info.out;
    EXPECT_EQ(info.out.substr(0, info.out.find("memory")), dry.out.substr(0, dry.out.find("memory")));
    EXPECT_EQ(test::run_lrnn_args({"info", config, "--dry-run"}).exit_code, 0) << "saying it twice is harmless";

    const test::CommandResult missing = test::run_lrnn_args({"info", dir.file("nope.yaml")});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("lrnn info: error: "), std::string::npos) << missing.err;
    EXPECT_NE(test::run_lrnn_args({"--help"}).out.find("  info "), std::string::npos);
}

}  // namespace
}  // namespace lrnn
