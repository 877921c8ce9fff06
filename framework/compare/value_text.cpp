#include "compare/value_text.hpp"

#include <charconv>
#include <cstdio>

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

std::string terminal_text(const std::string& text) {
    std::string out;
    for (const char ch : text) {
        const auto b = static_cast<unsigned char>(ch);
        if (ch == '\n') out += "\\n";
        else if (ch == '\t') out += "\\t";
        else if (ch == '\r') out += "\\r";
        else if (b < 0x20 || b == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", b);
            out += buf;
        } else out += ch;
    }
    return out;
}

std::string shortest_number_text(double v) {
    char buf[64];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    return std::string(buf, end);
}

}  // namespace lrnn
