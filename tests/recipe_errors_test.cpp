// Errors of the recipes as the user sees them, through the real binary: `lrnn debug grads
// --out` under the output-folder rule (the parent must exist, the folder may be created), and
// messages that quote raw input bytes arrive escaped, on one line.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli_util.hpp"
#include "temp_dir.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

const std::string kGolden = std::string(LRNN_TEST_DATA_DIR) + "/char-small";

test::CommandResult debug_grads(const std::string& out) {
    return test::run_lrnn_args(
        {"debug", "grads", "--model", kGolden + "/model.bin", "--tokens", kGolden + "/tokens.txt", "--out", out});
}

// One line on stderr, starting "lrnn RECIPE: error: ", holding `part`, and no crash report.
void expect_one_line_error(const test::CommandResult& r, const std::string& recipe, const std::string& part) {
    EXPECT_TRUE(r.exited) << "ended by a signal: " << r.exit_code << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("lrnn " + recipe + ": error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(part), std::string::npos) << "expected '" << part << "' in: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
}

TEST(DebugGradsOut, AnExistingFileIsBadInput) {
    test::TempDir dir;
    const std::string file = dir.write("taken", "not a folder\n");
    const auto r = debug_grads(file);
    EXPECT_EQ(r.exit_code, 2);
    expect_one_line_error(r, "debug", "exists and is not a folder");
    EXPECT_EQ(test::read_text(file), "not a folder\n") << "the file is left as it was";
}

TEST(DebugGradsOut, AFolderInsideAFileIsBadInput) {
    test::TempDir dir;
    const std::string file = dir.write("FILE", "x");
    const auto r = debug_grads(file + "/sub");
    EXPECT_EQ(r.exit_code, 2);
    expect_one_line_error(r, "debug", "is not a folder");
}

TEST(DebugGradsOut, AMissingParentIsBadInputAndNothingIsCreated) {
    test::TempDir dir;
    const auto r = debug_grads(dir.file("no/such/out"));
    EXPECT_EQ(r.exit_code, 2);
    expect_one_line_error(r, "debug", "does not exist");
    EXPECT_FALSE(fs::exists(dir.path() / "no"));
}

TEST(DebugGradsOut, TheFolderItselfIsCreatedAndMayExist) {
    test::TempDir dir;
    for (const std::string& out : {dir.file("new"), dir.file("new"), dir.file("slash/")}) {
        const auto r = debug_grads(out);
        EXPECT_EQ(r.exit_code, 0) << out << ": " << r.err;
        EXPECT_TRUE(fs::exists(fs::path(out) / "loss.txt")) << out;
    }
}

TEST(DebugGradsOut, AFolderThatCannotBeCreatedIsAWriteFailure) {
    // /proc refuses new folders, for root too (a read-only filesystem, in effect).
    const auto r = debug_grads("/proc/lrnn-debug-grads-test");
    EXPECT_EQ(r.exit_code, 3);
    expect_one_line_error(r, "debug", "cannot create the folder");
    if (::geteuid() == 0) return;  // root writes into a read-only folder anyway
    test::TempDir dir;
    fs::create_directory(dir.path() / "locked");
    ::chmod((dir.path() / "locked").c_str(), 0555);
    const auto locked = debug_grads(dir.file("locked/out"));
    EXPECT_EQ(locked.exit_code, 3);
    expect_one_line_error(locked, "debug", "cannot create the folder");
}

TEST(ErrorMessages, RawBytesOfATokenFileArriveEscaped) {
    test::TempDir dir;
    // The token of the fault campaign ('M-WM-j^NsM-^^' through cat -v), and Russian, kept.
    const std::string tokens = dir.write("tokens.txt", "1 2 \xD7\xEA\x0Es\x9E\n");
    const auto r = test::run_lrnn_args({"debug", "logits", "--model", kGolden + "/model.bin", "--tokens", tokens,
                                        "--out", dir.file("x.npy")});
    EXPECT_EQ(r.exit_code, 2);
    expect_one_line_error(r, "debug", "\\xd7\\xea\\x0es\\x9e");
    EXPECT_EQ(r.err.find('\x0E'), std::string::npos);
    EXPECT_EQ(r.err.find('\xD7'), std::string::npos);
}

TEST(ErrorMessages, YamlCppsMessageArrivesEscapedAndUtf8IsKept) {
    test::TempDir dir;
    const std::string config = dir.write("bad.yaml", "data: {path: \"\\\xe3\"}\n");
    const auto r = test::run_lrnn_args({"train", config});
    EXPECT_EQ(r.exit_code, 2);
    expect_one_line_error(r, "train", "\\xe3");
    EXPECT_EQ(r.err.find('\xe3'), std::string::npos) << r.err;

    const std::string russian = dir.write("слово.yaml", "data: {path: corpus.txt}\nданные: 1\n");
    const auto kept = test::run_lrnn_args({"train", russian});
    EXPECT_EQ(kept.exit_code, 2);
    expect_one_line_error(kept, "train", "данные");
}

TEST(TrainRunDir, AMissingParentOfRunDirIsBadInputAndNothingIsCreated) {
    test::TempDir dir;
    const std::string config = std::string(LRNN_SOURCE_DIR) + "/configs/quickstart.yaml";
    const auto r = test::run_lrnn_args({"train", config, "run.dir=" + dir.file("no/such/runs"), "--no-sample"});
    EXPECT_EQ(r.exit_code, 2);
    expect_one_line_error(r, "train", "does not exist");
    EXPECT_FALSE(fs::exists(dir.path() / "no"));
}

TEST(ErrorMessages, AnUnknownRecipeNameIsEscaped) {
    const auto r = test::run_lrnn_args({"tra\x1b[2Jin"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown recipe 'tra\\x1b[2Jin'"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace lrnn
