#include "core/precision.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

namespace lrnn {

std::string precision_name(Precision precision) {
    switch (precision) {
    case Precision::Fp32: return "fp32";
    case Precision::Bf16: return "bf16";
    case Precision::Bf16Amx: return "bf16_amx";
    }
    return "?";
}

Precision parse_precision(std::string_view text, std::string_view what) {
    if (text == "fp32") return Precision::Fp32;
    if (text == "bf16") return Precision::Bf16;
    if (text == "bf16_amx") return Precision::Bf16Amx;
    throw UserError(std::string(what) + " must be fp32, bf16 or bf16_amx (got '" + printable(text) +
                    "')");
}

}  // namespace lrnn
