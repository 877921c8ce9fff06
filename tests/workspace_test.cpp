// model/workspace: every buffer of the size table is carved from the one allocation that
// workspace_values() counts (what the trainer's memory check uses), with its table shape, no
// two overlapping, each aligned; and a moved Workspace keeps its buffers.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "model/workspace.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

struct Buffer {
    std::string name;
    std::span<float> span;
    std::size_t expected_size;
};

// Every buffer of `ws`, through the same tables the Workspace is made from.
std::vector<Buffer> buffers(Workspace<float>& ws) {
    const ModelConfig& c = ws.config;
    const std::size_t T = ws.max_steps, d = c.n_embd, r = c.decay_lora_rank, F = c.ffn_hidden(),
                      S = c.n_mem_slots, V = c.vocab_size;
    (void)r, (void)F, (void)S, (void)V;
    std::vector<Buffer> out;
#define LRNN_LIST_GLOBAL(name, rows, cols) out.push_back({#name, ws.name, std::size_t(rows) * std::size_t(cols)});
#define LRNN_LIST_LAYER(name, rows, cols) \
    out.push_back({"layers." + std::to_string(l) + "." #name, L.name, std::size_t(rows) * std::size_t(cols)});
    LRNN_FORWARD_BUFFERS(LRNN_LIST_GLOBAL)
    for (std::size_t l = 0; l < ws.layers.size(); ++l) {
        LayerCache<float>& L = ws.layers[l];
        LRNN_LAYER_CACHE_BUFFERS(LRNN_LIST_LAYER)
    }
    LRNN_BACKWARD_BUFFERS(LRNN_LIST_GLOBAL)
#undef LRNN_LIST_GLOBAL
#undef LRNN_LIST_LAYER
    return out;
}

TEST(Workspace, BuffersAreTheTableCarvedFromOneCountedAllocation) {
    const ModelConfig c = test::tiny_config();
    for (const std::size_t T : {std::size_t(1), std::size_t(7), std::size_t(16)}) {
        Workspace<float> ws(c, T);
        std::vector<Buffer> all = buffers(ws);
        ASSERT_EQ(ws.layers.size(), std::size_t(c.n_layer));
        const float* base = all.front().span.data();
        for (const Buffer& b : all) {
            EXPECT_EQ(b.span.size(), b.expected_size) << b.name << ", T = " << T;
            EXPECT_EQ(std::size_t(b.span.data() - base) % kWorkspaceAlignment, 0u) << b.name;
            EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.span.data()) % alignof(float), 0u) << b.name;
        }
        std::sort(all.begin(), all.end(), [](const Buffer& a, const Buffer& b) { return a.span.data() < b.span.data(); });
        for (std::size_t i = 1; i < all.size(); ++i)
            EXPECT_LE(all[i - 1].span.data() + all[i - 1].span.size(), all[i].span.data())
                << all[i - 1].name << " overlaps " << all[i].name;
        // The last buffer ends within what workspace_values counts, at most one alignment
        // step before its end: nothing counted is left unused beyond the padding.
        const std::size_t used = std::size_t(all.back().span.data() + all.back().span.size() - base);
        EXPECT_LE(used, workspace_values(c, T)) << "T = " << T;
        EXPECT_GT(used + kWorkspaceAlignment, workspace_values(c, T)) << "T = " << T;
    }
}

TEST(Workspace, StartsZeroedAndKeepsItsBuffersWhenMoved) {
    const ModelConfig c = test::tiny_config();
    Workspace<float> ws(c, 4);
    for (const Buffer& b : buffers(ws)) {
        if (b.name == "alibi_decay") continue;  // fixed values, set by the constructor
        EXPECT_TRUE(std::all_of(b.span.begin(), b.span.end(), [](float v) { return v == 0.0f; })) << b.name;
    }
    ws.logits[3] = 2.5f;
    const float* logits = ws.logits.data();
    Workspace<float> moved(std::move(ws));
    EXPECT_EQ(moved.logits.data(), logits);
    EXPECT_EQ(moved.logits[3], 2.5f);
}

}  // namespace
}  // namespace lrnn
