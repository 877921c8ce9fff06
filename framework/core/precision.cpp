#include "core/precision.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

namespace lrnn {

std::string precision_name(Precision precision) {
    return precision == Precision::Bf16 ? "bf16" : "fp32";
}

Precision parse_precision(std::string_view text, std::string_view what) {
    if (text == "fp32") return Precision::Fp32;
    if (text == "bf16") return Precision::Bf16;
    throw UserError(std::string(what) + " must be fp32 or bf16 (got '" + printable(text) + "')");
}

}  // namespace lrnn
