#pragma once
// Text placed in HTML or SVG: escaped so that any run name, path or sample text keeps the
// document well-formed (the reports are XML-parseable; tests check that).

#include <string>

namespace lrnn {

// & < > " ' escaped; control characters other than tab and newline (not allowed in XML 1.0)
// become U+FFFD.
std::string xml_escape(const std::string& text);

}  // namespace lrnn
