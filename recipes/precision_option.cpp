#include "precision_option.hpp"

#include "config/train_config.hpp"

namespace lrnn::recipes {

Precision chosen_precision(const LoadedModel& model, const std::optional<std::string>& flag) {
    if (flag) return parse_precision(*flag, "--precision");
    if (model.config_yaml.empty()) return Precision::Fp32;
    const TrainConfig config = parse_train_config_text(model.config_yaml, model.source + " (its config)");
    return parse_precision(config.train.precision, model.source + ": train.precision");
}

}  // namespace lrnn::recipes
