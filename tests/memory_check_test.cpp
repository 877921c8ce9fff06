// The up-front memory check measures the memory still available (MemAvailable, cgroup limits,
// LRNN_MEMORY_LIMIT_BYTES) and refuses a run that cannot fit before its run directory exists.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_util.hpp"
#include "tiny_run.hpp"
#include "train/available_memory.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

class MemoryCheck : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_);
        config_ = test::write_tiny_config(dir_, "m.yaml",
                                          "train: {max_steps: 2, batch_chunks: 4, eval_tokens: 64, threads: 2}\n");
    }
    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
};

TEST(AvailableMemory, IsReadOnLinux) {
    const auto available = available_memory();
    ASSERT_TRUE(available.has_value());
    EXPECT_GT(available->bytes, 0);
    EXPECT_FALSE(available->source.empty());
}

TEST_F(MemoryCheck, ARunBeyondTheLimitIsRefusedBeforeItsRunDirectoryExists) {
    // 50 MiB: below the check's own 64 MiB margin, whatever the model.
    const auto r = test::run_lrnn("train " + config_ + " --no-sample", "LRNN_MEMORY_LIMIT_BYTES=52428800");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    for (const char* part : {"the model does not fit in memory: model.n_layer 1, model.n_embd 16, model.ctx_len 16 on 2 threads need about ",
                             "available: 50.0 MiB (LRNN_MEMORY_LIMIT_BYTES)", "lower train.threads"})
        EXPECT_NE(r.err.find(part), std::string::npos) << part << "\n" << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "runs")) << "nothing written";

    const auto fits = test::run_lrnn("train " + config_ + " --no-sample", "LRNN_MEMORY_LIMIT_BYTES=2147483648");
    EXPECT_EQ(fits.exit_code, 0) << fits.err;

    const auto bad = test::run_lrnn("train " + config_ + " --no-sample --force", "LRNN_MEMORY_LIMIT_BYTES=lots");
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find("LRNN_MEMORY_LIMIT_BYTES is 'lots', expected a whole number of bytes"), std::string::npos)
        << bad.err;
}

}  // namespace
}  // namespace lrnn
