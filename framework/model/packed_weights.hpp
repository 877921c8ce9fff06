#pragma once
// Every weight matrix of a parameter set rounded and packed once into the panels that the bf16
// tiles of its products read (core/gemm_bf16.hpp Bf16PackedMatrix), for the precisions bf16 and
// bf16_amx, found by the float pointer the model code already holds
// (model/forward_product.hpp):
// - forward: W as b of x @ W;
// - backward (PackedOrientations::ForwardAndBackward): W^T as b of the input gradient dy @ W^T.
// A training step packs its weights once (train/batch_gradient.hpp) and every chunk of the step
// multiplies by them, instead of rounding and interleaving W (or W^T) again in every product of
// every chunk; a bf16 generator packs them once for all its steps. The bits are those of packing in
// each product: the same panels, read by the same tiles.
// fp32 has no such copy: its packing is a plain copy, which costs about what reading a packed
// copy costs (measured: the same training tokens/s with and without one, docs/kernels.md),
// while a bf16 product converts and interleaves its operands as it packs them.
// The copies are taken when made and by repack(): after the weights change in place (an
// optimizer step), repack before the next product.

#include <cstddef>
#include <optional>
#include <vector>

#include "core/gemm_bf16.hpp"
#include "core/precision.hpp"
#include "model/model.hpp"

namespace lrnn {

// An upper bound of the floats' worth of memory a training step's PackedWeights takes in
// `precision` (0 in fp32): both orientations of every matrix, a float per element each (the
// emulated path's float panels; the words of avx512_bf16 and amx take half), padding to whole
// panels aside. For the up-front memory check of a run (train/run_start.cpp).
double packed_weight_values(const ParameterLayout& layout, Precision precision);

enum class PackedOrientations { Forward, ForwardAndBackward };

class PackedWeights {
public:
    // One weight matrix (rows, cols) = (inner, cols) of x @ W, packed for the path of the
    // precision (bf16_gemm_path_for). A side the products do not tile stays empty.
    struct Matrix {
        const float* weights;  // where W starts in the parameter buffer
        std::size_t rows, cols;
        std::optional<Bf16PackedMatrix> forward, backward;
    };

    // The matrices the product kernels tile in `precision`: every matrix but the embedding
    // table (looked up, never multiplied); forward those with more than kNarrowSide columns,
    // backward those with more than kNarrowSide rows (core/gemm_narrow.hpp multiplies the
    // others). precision: bf16 or bf16_amx (std::invalid_argument for fp32); UserError as
    // bf16_gemm_path_for where this CPU cannot run it. bf16_path: another path of the
    // precision's sums than the process's (tests: each path gives the same bits).
    PackedWeights(const Parameters<float>& params, Precision precision,
                  PackedOrientations orientations,
                  std::optional<Bf16GemmPath> bf16_path = std::nullopt);

    PackedWeights(const PackedWeights&) = delete;
    PackedWeights& operator=(const PackedWeights&) = delete;

    Precision precision() const { return precision_; }
    // Whether these were packed from params' buffer (the pointers find() knows).
    bool packed_from(const Parameters<float>& params) const {
        return params.values.data() == source_;
    }

    // The matrices, in the order of the parameter buffer; repack(i) packs matrix i again from
    // the current values of the buffer these were packed from (independent of the others: a
    // step packs them in parallel), repack() all of them.
    std::size_t size() const { return matrices_.size(); }
    void repack(std::size_t i);
    void repack();

    // The matrix that starts at `weights`, or nullptr when none of these does.
    const Matrix* find(const float* weights) const;

private:
    Precision precision_;
    const float* source_;
    std::vector<Matrix> matrices_;  // ascending by weights
};

}  // namespace lrnn
