#include "compare/value_text.hpp"

#include <yaml-cpp/yaml.h>

namespace lrnn {

std::string display_value(const std::string& yaml_text) {
    if (yaml_text.size() < 2 || yaml_text.front() != '"' || yaml_text.back() != '"') return yaml_text;
    try {
        return YAML::Load(yaml_text).as<std::string>();
    } catch (const YAML::Exception&) {
        return yaml_text;  // not valid YAML after all: show it as written
    }
}

}  // namespace lrnn
