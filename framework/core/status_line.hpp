#pragma once
// A terminal's live status line: the text is drawn over whatever the line showed before
// (carriage return, then erase to the end of the line) and left without a newline, so the next
// draw replaces it in place. For output that is not a terminal, callers print whole lines instead.

#include <ostream>
#include <string_view>

namespace lrnn {

inline constexpr std::string_view kEraseLine = "\r\033[K";

// Replaces the status line with `text` and flushes, so the user sees it now.
inline void draw_status_line(std::ostream& out, std::string_view text) { out << kEraseLine << text << std::flush; }

// Empties the status line, leaving the cursor at its start for ordinary output.
inline void erase_status_line(std::ostream& out) { out << kEraseLine; }

}  // namespace lrnn
