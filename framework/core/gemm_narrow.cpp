#include "core/gemm_narrow.hpp"

#include <bit>
#include <cassert>

#include "core/bf16.hpp"
#include "core/gemm_blocking.hpp"
#include "core/sum_in_lanes.hpp"
#include "core/vector_clones.hpp"

namespace lrnn {

namespace {

using gemm_blocking::ScratchBuffer;

// out (rows, cols) = a row-major copy of `src` (element (r, c) at src[r * row_step + c * col_step]),
// each value rounded to bf16 if asked: the operands the loops below read, contiguous.
LRNN_VECTOR_CLONES
void copy_into(const float* src, std::size_t rows, std::size_t cols, std::size_t row_step,
               std::size_t col_step, bool bf16, float* __restrict out) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) {
            const float v = src[r * row_step + c * col_step];
            out[r * cols + c] = bf16 ? std::bit_cast<float>(bf16_bits_flushed(v) << 16) : v;
        }
}

// A (rows, cols) operand as the loops read it: the caller's row-major buffer as it is, or a
// copy in the frame (ScratchBuffer: a generation step's operands fit, so a step allocates
// nothing up to d = 512) when it must be rounded to bf16 or transposed.
class Operand {
public:
    Operand(const float* x, std::size_t rows, std::size_t cols, bool bf16)
        : copy_(bf16 ? rows * cols : 0), data_(x) {
        if (bf16) copy_into(x, rows, cols, cols, 1, true, copy_.data()), data_ = copy_.data();
    }
    // The transpose (rows, cols) of w (cols, rows), always copied.
    static constexpr struct Transposed {} transposed{};
    Operand(Transposed, const float* w, std::size_t rows, std::size_t cols, bool bf16)
        : copy_(rows * cols), data_(copy_.data()) {
        copy_into(w, rows, cols, 1, rows, bf16, copy_.data());
    }
    const float* data() const { return data_; }

private:
    ScratchBuffer<float> copy_;
    const float* data_;
};

constexpr std::size_t kLanes = kSumLanes;  // one AVX-512 register of floats

// out[i * cols + j] = beta * out[...] + dot(x row i, w_t row j) for i < n, j < Cols: rows of x
// (n, depth) against the rows of w_t (Cols, depth). Each dot product sums in sum_in_lanes'
// order (lane p % 16, then pairwise); a row of x is read once for all its columns, whose
// partial sums stay in registers (Cols is a template argument for that).
template <std::size_t Cols>
LRNN_VECTOR_CLONES
void dot_rows(const float* x, const float* w_t, float* out, std::size_t n, std::size_t depth,
              float beta) {
    for (std::size_t i = 0; i < n; ++i) {
        const float* xi = x + i * depth;
        float lane[Cols][kLanes] = {};
        std::size_t p = 0;
        for (; p + kLanes <= depth; p += kLanes)
            for (std::size_t j = 0; j < Cols; ++j)
                for (std::size_t l = 0; l < kLanes; ++l) lane[j][l] += xi[p + l] * w_t[j * depth + p + l];
        for (std::size_t l = 0; p < depth; ++p, ++l)
            for (std::size_t j = 0; j < Cols; ++j) lane[j][l] += xi[p] * w_t[j * depth + p];
        for (std::size_t j = 0; j < Cols; ++j) {
            const float sum = lanes_total(lane[j]);
            float& o = out[i * Cols + j];
            o = beta == 0.0f ? sum : beta * o + sum;
        }
    }
}

// dot_rows for cols <= kNarrowSide.
void dot_rows(const float* x, const float* w_t, float* out, std::size_t n, std::size_t depth,
              std::size_t cols, float beta) {
    static_assert(kNarrowSide == 4, "one case per column count");
    switch (cols) {
        case 1: return dot_rows<1>(x, w_t, out, n, depth, beta);
        case 2: return dot_rows<2>(x, w_t, out, n, depth, beta);
        case 3: return dot_rows<3>(x, w_t, out, n, depth, beta);
        default: assert(cols == 4); return dot_rows<4>(x, w_t, out, n, depth, beta);
    }
}

// acc (narrow, wide) = sum over t < n, in order, of scalars[t][r] * rows[t]: scalars (n, narrow),
// rows (n, wide); acc is zeroed first.
LRNN_VECTOR_CLONES
void sum_outer(const float* scalars, const float* __restrict rows, float* __restrict acc,
               std::size_t n, std::size_t narrow, std::size_t wide) {
    for (std::size_t i = 0; i < narrow * wide; ++i) acc[i] = 0.0f;
    for (std::size_t t = 0; t < n; ++t) {
        const float* row = rows + t * wide;
        for (std::size_t r = 0; r < narrow; ++r) {
            const float s = scalars[t * narrow + r];
            float* ar = acc + r * wide;
            for (std::size_t c = 0; c < wide; ++c) ar[c] += s * row[c];
        }
    }
}

}  // namespace

void narrow_matmul(const float* x, const float* w, float* out, std::size_t n, std::size_t inner,
                   std::size_t cols, float beta, bool bf16_inputs) {
    assert(cols <= kNarrowSide);
    const Operand xs(x, n, inner, bf16_inputs);
    const Operand w_t(Operand::transposed, w, cols, inner, bf16_inputs);  // (cols, inner)
    dot_rows(xs.data(), w_t.data(), out, n, inner, cols, beta);
}

void narrow_matmul_backward_input(const float* dy, const float* w, float* dx, std::size_t n,
                                  std::size_t inner, std::size_t cols, float beta,
                                  bool bf16_inputs) {
    assert(inner <= kNarrowSide);
    const Operand dys(dy, n, cols, bf16_inputs), ws(w, inner, cols, bf16_inputs);
    dot_rows(dys.data(), ws.data(), dx, n, cols, inner, beta);  // dx[i][j] = dot(dy row i, w row j)
}

void narrow_matmul_backward_weight(const float* x, const float* dy, float* dw, std::size_t n,
                                   std::size_t inner, std::size_t cols, bool bf16_inputs) {
    assert(cols <= kNarrowSide || inner <= kNarrowSide);
    const Operand xs(x, n, inner, bf16_inputs), dys(dy, n, cols, bf16_inputs);
    ScratchBuffer<float> acc(inner * cols);
    if (inner <= kNarrowSide) {  // dw row i = sum over t of x[t][i] * dy row t
        sum_outer(xs.data(), dys.data(), acc.data(), n, inner, cols);
        for (std::size_t i = 0; i < inner * cols; ++i) dw[i] += acc.data()[i];
    } else {  // dw column j = sum over t of dy[t][j] * x row t
        sum_outer(dys.data(), xs.data(), acc.data(), n, cols, inner);
        for (std::size_t i = 0; i < inner; ++i)
            for (std::size_t j = 0; j < cols; ++j) dw[i * cols + j] += acc.data()[j * inner + i];
    }
}

}  // namespace lrnn
