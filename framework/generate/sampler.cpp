#include "generate/sampler.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace lrnn {

void SamplingOptions::validate() const {
    if (!std::isfinite(temperature) || temperature < 0)
        throw UserError("temperature must be a finite number >= 0 (0 = greedy), got " +
                        std::to_string(temperature));
    if (top_k < 0) throw UserError("top_k must be >= 0 (0 = off), got " + std::to_string(top_k));
    if (!(top_p > 0 && top_p <= 1))
        throw UserError("top_p must be in (0, 1] (1 = off), got " + std::to_string(top_p));
}

Sampler::Sampler(int vocab_size, const SamplingOptions& options)
    : options_(options), weights_(std::size_t(vocab_size)), order_(std::size_t(vocab_size)) {
    options_.validate();
}

TokenId Sampler::greedy(std::span<const float> logits) {
    assert(!logits.empty());
    // max_element returns the first of equal maxima: the lowest id.
    return TokenId(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

TokenId Sampler::sample(std::span<const float> logits, Rng& rng) {
    const std::size_t V = logits.size();
    assert(V == weights_.size());
    if (options_.temperature == 0) return greedy(logits);

    // exp((l - max) / T) in double: the largest weight is exactly 1, nothing overflows, and a
    // tiny temperature sends every other weight to 0 instead of to NaN.
    const double top = double(*std::max_element(logits.begin(), logits.end()));
    const double inv_t = 1.0 / options_.temperature;
    // A temperature so small that 1/T overflows (a subnormal) is greedy: that is its limit, and
    // (top - top) * inf would make every weight NaN.
    if (!std::isfinite(inv_t)) return greedy(logits);
    for (std::size_t i = 0; i < V; ++i) weights_[i] = std::exp((double(logits[i]) - top) * inv_t);

    const bool use_k = options_.top_k > 0 && std::size_t(options_.top_k) < V;
    const bool use_p = options_.top_p < 1;
    std::size_t kept = V;
    if (use_k || use_p) {
        for (std::size_t i = 0; i < V; ++i) order_[i] = TokenId(i);
        // Most probable first; equal weights by id, a total order, so the candidate set is
        // the same on every standard library.
        const auto more_probable = [this](TokenId a, TokenId b) {
            return weights_[a] != weights_[b] ? weights_[a] > weights_[b] : a < b;
        };
        double mass = 0;  // of the candidates, summed in an order fixed by the logits alone
        if (use_k) {
            kept = std::size_t(options_.top_k);
            std::nth_element(order_.begin(), order_.begin() + kept - 1, order_.begin() + V,
                             more_probable);
            std::sort(order_.begin(), order_.begin() + kept, more_probable);
            for (std::size_t i = 0; i < kept; ++i) mass += weights_[order_[i]];
        } else {
            for (std::size_t i = 0; i < V; ++i) mass += weights_[i];
            // A word vocabulary has tens of thousands of ids; sorting them all for every token
            // would cost more than the model. If the tokens with weight >= tau already hold
            // p of the mass, no token below tau can enter the nucleus (all of those come
            // first and reach p before it), so only they need sorting. Exact, not a heuristic.
            constexpr double tau = 1e-4;  // relative to the largest weight, which is 1
            double heavy = 0;
            for (std::size_t i = 0; i < V; ++i)
                if (weights_[i] >= tau) heavy += weights_[i];
            if (heavy >= options_.top_p * mass)
                kept = std::size_t(std::partition(order_.begin(), order_.begin() + V,
                                                  [this](TokenId id) { return weights_[id] >= tau; }) -
                                   order_.begin());
            std::sort(order_.begin(), order_.begin() + kept, more_probable);
        }
        if (use_p) {
            // Nucleus over the distribution renormalised after top-k: the shortest prefix
            // whose mass reaches p (at least one token).
            const double target = options_.top_p * mass;
            double cumulative = 0;
            std::size_t n = 0;
            while (n < kept) {
                cumulative += weights_[order_[n++]];
                if (cumulative >= target) break;
            }
            kept = n;
        }
    }

    // One uniform draw over the kept mass (renormalisation is implicit in scaling u).
    const auto id_at = [&](std::size_t i) { return (use_k || use_p) ? order_[i] : TokenId(i); };
    double total = 0;
    for (std::size_t i = 0; i < kept; ++i) total += weights_[id_at(i)];
    const double u = rng.uniform() * total;
    double cumulative = 0;
    for (std::size_t i = 0; i < kept; ++i) {
        cumulative += weights_[id_at(i)];
        if (u < cumulative) return id_at(i);
    }
    // Rounding left u at the very top of the range: the last kept token with weight.
    for (std::size_t i = kept; i-- > 0;)
        if (weights_[id_at(i)] > 0) return id_at(i);
    return id_at(0);
}

}  // namespace lrnn
