// The training step: deterministic reduction (invariant 3), the chunk sampler, the LR
// schedule, AdamW, and that training actually learns.

#include <gtest/gtest.h>

#include <tbb/global_control.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "data/chunk_sampler.hpp"
#include "train/adamw.hpp"
#include "train/batch_gradient.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"
#include "train/schedule.hpp"
#include "train/trainer.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

TEST(BatchGradient, BitIdenticalForAnyThreadCount) {
    const ModelConfig c = test::tiny_config();
    const auto p = test::noisy_parameters<float>(c, 1, 0.2);
    const test::RandomBatch b(c, 7, 2);  // an odd size: uneven tree
    const auto g1 = test::batch_gradient(p, b, 1);
    for (int threads : {2, 4, 8}) {
        const auto g = test::batch_gradient(p, b, threads);
        ASSERT_EQ(g.size(), g1.size());
        EXPECT_EQ(0, std::memcmp(g.data(), g1.data(), g.size() * sizeof(float))) << threads << " threads";
    }
}

// The buffers of the right subtrees go back to the pool zeroed by the sum that reads them, and
// their leaves do not clear them again: one BatchGradient over several batches (as a run's
// steps are) gives each batch's gradient, the bits of a new BatchGradient's, on any threads.
TEST(BatchGradient, AReusedOneGivesEachBatchTheBitsOfANewOne) {
    const ModelConfig c = test::tiny_config();
    const auto p = test::noisy_parameters<float>(c, 5, 0.2);
    for (const int threads : {1, 2, 4}) {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
        BatchGradient reused(c, c.ctx_len);
        for (std::uint64_t seed = 10; seed < 13; ++seed) {
            const test::RandomBatch b(c, 7, seed);  // uneven: subtrees of 1, 2 and 3 chunks
            reused.compute(p, b.chunks, 0, b.chunks.size(), 0.1, mean_loss_scale(b.chunks));
            const std::vector<float> got(reused.gradient().begin(), reused.gradient().end());
            EXPECT_TRUE(test::same_bits(got, test::batch_gradient(p, b, 1)))
                << threads << " threads, batch " << seed;
        }
    }
}

TEST(BatchGradient, EqualsSumOfSingleChunkGradients) {
    const ModelConfig c = test::tiny_config();
    const auto p = test::noisy_parameters<float>(c, 3, 0.2);
    const test::RandomBatch b(c, 8, 4);
    const double scale = mean_loss_scale(b.chunks);
    BatchGradient bg(c, c.ctx_len);
    const LossSums total = bg.compute(p, b.chunks, 0, b.chunks.size(), 0.0, scale);

    // One by one, summed in the same pairwise tree ((0+1)+(2+3))+((4+5)+(6+7)): bit-identical.
    std::vector<std::vector<float>> single;
    double loss_sum = 0;
    for (std::size_t i = 0; i < b.chunks.size(); ++i) {
        Parameters<float> g(c);
        Workspace<float> ws(c, c.ctx_len);
        const auto chunk = b.chunks[i];
        model_forward(p.view(), chunk.first(c.ctx_len), ws);
        loss_sum += model_loss(ws, chunk.subspan(1), 0.0, scale).plain;
        model_backward(p.view(), chunk.first(c.ctx_len), ws, g.mutable_view());
        single.push_back(g.values);
    }
    auto add = [](std::vector<float> a, const std::vector<float>& b2) {
        for (std::size_t i = 0; i < a.size(); ++i) a[i] += b2[i];
        return a;
    };
    const auto tree = add(add(add(single[0], single[1]), add(single[2], single[3])),
                          add(add(single[4], single[5]), add(single[6], single[7])));
    const auto reduced = bg.gradient();
    ASSERT_EQ(reduced.size(), tree.size());
    EXPECT_EQ(0, std::memcmp(reduced.data(), tree.data(), tree.size() * sizeof(float)));
    // And in plain sequential order: equal up to float rounding.
    std::vector<float> seq(tree.size(), 0.0f);
    for (const auto& s : single) seq = add(seq, s);
    for (std::size_t i = 0; i < seq.size(); ++i)
        EXPECT_NEAR(reduced[i], seq[i], 1e-6f + 1e-5f * std::abs(seq[i]));
    EXPECT_NEAR(total.plain, loss_sum, 1e-9 * loss_sum);
    EXPECT_EQ(total.count, 8u * c.ctx_len);
}

TEST(ChunkSampler, EveryChunkOncePerEpochAndPure) {
    ChunkSampler a(1000, 16, 42), b(1000, 16, 42), other_seed(1000, 16, 43);
    EXPECT_EQ(a.chunks_per_epoch(), (1000u - 1) / 16);
    for (std::uint64_t epoch : {0u, 1u, 5u}) {
        std::set<std::size_t> starts;
        for (std::size_t i = 0; i < a.chunks_per_epoch(); ++i) {
            const std::size_t s = a.chunk_start(epoch, i);
            EXPECT_EQ(s % 16, 0u);
            EXPECT_LE(s + 17, 1000u);  // inputs and targets fit
            starts.insert(s);
        }
        EXPECT_EQ(starts.size(), a.chunks_per_epoch());
    }
    // Pure: asking out of order gives the same answers as asking in order.
    EXPECT_EQ(a.chunk_start(3, 7), b.chunk_start(3, 7));
    EXPECT_EQ(b.chunk_start(0, 1), a.chunk_start(0, 1));
    std::size_t same = 0;
    for (std::size_t i = 0; i < a.chunks_per_epoch(); ++i) same += a.chunk_start(0, i) == a.chunk_start(1, i);
    EXPECT_LT(same, a.chunks_per_epoch() / 2) << "epochs should be shuffled differently";
    same = 0;
    for (std::size_t i = 0; i < a.chunks_per_epoch(); ++i) same += a.chunk_start(0, i) == other_seed.chunk_start(0, i);
    EXPECT_LT(same, a.chunks_per_epoch() / 2) << "seeds should give different orders";
}

// A corpus with more chunks than the sampler keeps an order for: every chunk still exactly
// once per epoch, pure, and shuffled differently per epoch and seed.
TEST(ChunkSampler, ABigCorpusIsAPermutationWithoutAStoredOrder) {
    const std::size_t n_chunks = kStoredOrderChunks + 12345;
    const std::size_t T = 2;
    ChunkSampler a(n_chunks * T + 1, T, 9), b(n_chunks * T + 1, T, 9), other(n_chunks * T + 1, T, 10);
    ASSERT_EQ(a.chunks_per_epoch(), n_chunks);
    std::vector<bool> seen(n_chunks);
    for (std::size_t i = 0; i < n_chunks; ++i) {
        const std::size_t s = a.chunk_start(2, i);
        ASSERT_EQ(s % T, 0u);
        ASSERT_LT(s / T, n_chunks);
        ASSERT_FALSE(seen[s / T]) << "chunk " << s / T << " twice";
        seen[s / T] = true;
    }
    EXPECT_EQ(b.chunk_start(2, 77), a.chunk_start(2, 77));
    std::size_t same_epoch = 0, same_seed = 0;
    for (std::size_t i = 0; i < 1000; ++i) {
        same_epoch += a.chunk_start(0, i) == a.chunk_start(1, i);
        same_seed += a.chunk_start(0, i) == other.chunk_start(0, i);
    }
    EXPECT_LT(same_epoch, 10u);
    EXPECT_LT(same_seed, 10u);
}

TEST(LrSchedule, WarmupThenCosineToMinLr) {
    const LrSchedule s{1e-3, 1e-4, 10, 110, true};
    EXPECT_DOUBLE_EQ(s.at(0), 1e-4);         // (0 + 1) / 10 of lr
    EXPECT_DOUBLE_EQ(s.at(4), 5e-4);
    EXPECT_DOUBLE_EQ(s.at(9), 1e-3);         // warmup ends at lr
    EXPECT_DOUBLE_EQ(s.at(10), 1e-3);        // cosine starts at lr
    EXPECT_NEAR(s.at(10 + 99 / 2), 1e-4 + 0.5 * 9e-4 * (1 + std::cos(M_PI * 49.0 / 99.0)), 1e-15);
    EXPECT_DOUBLE_EQ(s.at(109), 1e-4);       // last step: min_lr
    const LrSchedule constant{2e-3, 0, 5, 100, false};
    EXPECT_DOUBLE_EQ(constant.at(2), 2e-3 * 3 / 5);
    EXPECT_DOUBLE_EQ(constant.at(50), 2e-3);
    EXPECT_DOUBLE_EQ(constant.at(99), 2e-3);
}

TEST(AdamW, FirstStepMovesEachWeightByLr) {
    // With bias correction, the first update is lr * g / (|g| + eps) = ~lr * sign(g).
    ModelConfig c = test::tiny_config();
    Parameters<float> p(c);
    std::vector<float> g(p.values.size());
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = (i % 3 == 0) ? 0.5f : -2.0f;
    AdamW opt(p.layout, AdamWSettings{0.9, 0.999, 1e-8, 0.0});
    opt.update(p.values, g, 0.01);
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(p.values[i], g[i] > 0 ? -0.01f : 0.01f, 1e-6f);
    EXPECT_EQ(opt.state().step, 1);
}

TEST(AdamW, WeightDecayOnlyOnMatrices) {
    ModelConfig c = test::tiny_config();
    Parameters<float> p(c);
    std::fill(p.values.begin(), p.values.end(), 1.0f);
    std::vector<float> zero(p.values.size(), 0.0f);
    AdamW opt(p.layout, AdamWSettings{0.9, 0.999, 1e-8, 0.1});
    opt.update(p.values, zero, 0.5);
    for (const TensorSpec& t : p.layout.tensors()) {
        const float expected = t.rows > 1 && t.cols > 1 ? 1.0f - 0.5f * 0.1f : 1.0f;
        EXPECT_FLOAT_EQ(p.values[t.offset], expected) << t.name;
    }
}

TEST(AdamW, EveryElementGetsTheBitsOfThePlainFormula) {
    // The update runs in vectorised clones; each element must still get exactly the float
    // operations of the formula, in its order (here written out plainly, compiled without
    // vectors), so that checkpoints and golden runs keep their bits.
    ModelConfig c = test::tiny_config();
    Parameters<float> p(c);
    const AdamWSettings settings{0.9, 0.95, 1e-8, 0.1};
    initialize_parameters<float>(p.layout, 3, p.values);
    const std::size_t n = p.values.size();
    std::vector<float> m(n, 0.0f), v(n, 0.0f), expected(p.values);
    std::vector<std::uint8_t> decays(p.values.size(), 0);
    for (const TensorSpec& t : p.layout.tensors())
        if (t.rows > 1 && t.cols > 1) std::fill_n(decays.begin() + t.offset, t.size(), std::uint8_t(1));
    AdamW opt(p.layout, settings);
    std::vector<float> g(p.values.size());
    for (int step = 1; step <= 3; ++step) {
        for (std::size_t i = 0; i < g.size(); ++i) g[i] = std::sin(float(i * 7 + step)) * (i % 5 == 0 ? 1e-4f : 0.3f);
        const double lr = 0.01 * step;
        const float grad_scale = 0.75f;
        opt.update(p.values, g, lr, grad_scale);
        const float c1 = float(1.0 - std::pow(settings.beta1, double(step)));
        const float c2 = float(1.0 - std::pow(settings.beta2, double(step)));
        const float b1 = float(settings.beta1), b2 = float(settings.beta2), lr_f = float(lr);
        const float wd = float(settings.weight_decay), eps = float(settings.eps);
        for (std::size_t i = 0; i < g.size(); ++i) {
            const float gi = g[i] * grad_scale;
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            float q = expected[i];
            if (decays[i]) q -= lr_f * wd * q;
            expected[i] = q - lr_f * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
        }
        for (std::size_t i = 0; i < g.size(); ++i) {
            ASSERT_EQ(p.values[i], expected[i]) << "step " << step << ", element " << i;
            ASSERT_EQ(opt.state().m[i], m[i]) << "step " << step << ", element " << i;
            ASSERT_EQ(opt.state().v[i], v[i]) << "step " << step << ", element " << i;
        }
    }
}

// A small corpus and config in a temp directory, for end-to-end runs in-process.
struct TinyRun {
    test::TempDir temp;
    fs::path dir;
    TinyRun(const std::string& name) : temp(name) {
        dir = temp.path();
        test::write_corpus_slice(dir, 30000);
        std::ofstream(dir / "tiny.yaml") << "run: {dir: " << (dir / "runs").string() << ", seed: 5}\n"
                                         << "data: {path: corpus.txt}\n"
                                         << "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, decay_lora_rank: 2, n_mem_slots: 2}\n"
                                         << "train: {max_steps: 12, batch_chunks: 8, lr: 0.01, eval_every: 6, eval_tokens: 512, log_every: 1}\n";
    }
    TrainResult train(std::vector<std::string> overrides) {
        TrainOptions o;
        o.source.path = (dir / "tiny.yaml").string();
        o.source.overrides = std::move(overrides);
        o.force = true;
        o.print_sample = false;
        return run_training(o);
    }
};

std::vector<float> final_params(const std::string& run_dir) {
    std::stringstream notes;
    return load_newest_checkpoint(run_dir, notes).params;
}

TEST(Training, ParametersBitIdenticalWith1And2And4Threads) {
    TinyRun run("threads");
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2, 4}) {
        const TrainResult r = run.train({"train.threads=" + std::to_string(threads), "run.name=t" + std::to_string(threads)});
        ASSERT_EQ(r.exit_code, 0);
        results.push_back(final_params(r.run_dir));
    }
    for (std::size_t i = 1; i < results.size(); ++i) {
        ASSERT_EQ(results[i].size(), results[0].size());
        EXPECT_EQ(0, std::memcmp(results[i].data(), results[0].data(), results[0].size() * sizeof(float)))
            << "threads run " << i;
    }
}

TEST(Training, LossGoesDown) {
    TinyRun run("learns");
    const TrainResult r = run.train({"train.max_steps=40", "train.eval_every=40", "run.name=learns"});
    ASSERT_EQ(r.exit_code, 0);
    std::ifstream metrics(r.run_dir + "/metrics.jsonl");
    std::vector<double> losses;
    double val = 0;
    for (std::string line; std::getline(metrics, line);) {
        losses.push_back(std::stod(line.substr(line.find("\"loss\": ") + 8)));
        const auto at = line.find("\"val_loss\": ");
        if (at != std::string::npos) val = std::stod(line.substr(at + 12));
    }
    ASSERT_EQ(losses.size(), 40u);
    const double first = (losses[0] + losses[1] + losses[2]) / 3, last = (losses[37] + losses[38] + losses[39]) / 3;
    EXPECT_LT(last, first - 0.8) << "first " << first << " last " << last;
    EXPECT_LT(val, std::log(65.0) - 0.5);  // clearly better than uniform over the vocabulary
}

}  // namespace
}  // namespace lrnn
