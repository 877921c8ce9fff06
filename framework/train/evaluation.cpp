#include "train/evaluation.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "core/error.hpp"

namespace lrnn {

UnkBytes count_unk_bytes(std::span<const TokenId> tokens, std::span<const std::uint32_t> token_bytes, TokenId unk_id) {
    if (token_bytes.size() != tokens.size())
        throw std::invalid_argument("count_unk_bytes: one byte count per token expected");
    UnkBytes u;
    for (std::size_t t = 1; t < tokens.size(); ++t) {
        u.bytes += token_bytes[t];
        if (tokens[t] == unk_id) u.unk_bytes += token_bytes[t];
    }
    return u;
}

EvalResult evaluate(const Parameters<float>& params, std::span<const TokenId> tokens,
                    std::span<const std::uint32_t> token_bytes, std::size_t ctx_len,
                    std::optional<TokenId> unk_id, Precision precision) {
    if (tokens.size() < 2) throw UserError("evaluation needs at least 2 tokens");
    if (token_bytes.size() != tokens.size())
        throw std::invalid_argument("evaluate: one byte count per token expected");
    const std::size_t predicted = tokens.size() - 1;
    const std::size_t n_chunks = (predicted + ctx_len - 1) / ctx_len;
    std::vector<double> chunk_loss(n_chunks, 0.0);
    const ModelConfig& config = params.config();
    const auto view = params.view();
    tbb::enumerable_thread_specific<Workspace<float>> workspaces(
        [&] { return Workspace<float>(config, ctx_len, precision); });
    tbb::parallel_for(std::size_t(0), n_chunks, [&](std::size_t i) {
        const std::size_t start = i * ctx_len;
        const std::size_t T = std::min(ctx_len, predicted - start);
        Workspace<float>& ws = workspaces.local();
        model_forward(view, tokens.subspan(start, T), ws);
        chunk_loss[i] = model_loss(ws, tokens.subspan(start + 1, T), 0.0, 0.0).plain;
    });
    EvalResult r;
    double total = 0;
    for (double l : chunk_loss) total += l;  // chunk order: independent of the scheduler
    r.tokens = predicted;
    for (std::size_t t = 1; t < tokens.size(); ++t) r.bytes += token_bytes[t];
    r.loss = total / double(predicted);
    r.perplexity = std::exp(r.loss);
    r.bits_per_byte = r.bytes ? total / std::log(2.0) / double(r.bytes) : 0.0;
    if (unk_id) {
        const UnkBytes u = count_unk_bytes(tokens, token_bytes, *unk_id);
        r.unk_bytes = u.unk_bytes;
        r.unk_share = u.share();
    }
    return r;
}

}  // namespace lrnn
