// lrnn --version and summary.json's "version" and "git_commit": the CMake project version
// and the commit the build was configured from (null outside a git checkout).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "cli_util.hpp"
#include "core/json.hpp"
#include "core/version.hpp"

namespace lrnn {
namespace {

TEST(Version, IsTheProjectVersionAndTheCommit) {
    EXPECT_TRUE(std::regex_match(version(), std::regex(R"(\d+\.\d+\.\d+)"))) << version();
    const std::string commit = git_commit();
    EXPECT_TRUE(commit.empty() || std::regex_match(commit, std::regex("[0-9a-f]{40}"))) << commit;
    const test::CommandResult r = test::run_lrnn_args({"--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "lrnn " + version() + (commit.empty() ? "" : " (commit " + commit.substr(0, 12) + ")") + "\n");
    const test::CommandResult help = test::run_lrnn_args({"--help"});
    EXPECT_NE(help.out.find("lrnn --version"), std::string::npos) << help.out;
}

TEST(Version, IsInTheSummaryOfARun) {
    test::TempDir dir;
    std::ifstream in(std::string(LRNN_SOURCE_DIR) + "/data/tinyshakespeare.txt", std::ios::binary);
    std::string text(6000, '\0');
    in.read(text.data(), text.size());
    dir.write("a.txt", text);
    const std::string config = dir.write("c.yaml", "run: {dir: " + dir.path().string() + ", name: r}\n"
                                                   "data: {path: a.txt}\n"
                                                   "model: {n_layer: 1, n_embd: 8, n_head: 1, ctx_len: 8}\n"
                                                   "train: {max_steps: 2, batch_chunks: 2, eval_tokens: 64}\n");
    const test::CommandResult r = test::run_lrnn_args({"train", config, "--no-sample"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json summary = parse_json(test::read_text(dir.file("r/summary.json")), "summary.json");
    EXPECT_EQ(summary["version"], version());
    if (git_commit().empty()) EXPECT_TRUE(summary["git_commit"].is_null());
    else EXPECT_EQ(summary["git_commit"], git_commit());
}

}  // namespace
}  // namespace lrnn
