#include "flytecpp/util/text.h"

namespace flytecpp {

std::string Collapsed(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string OneLine(std::string_view text) {
  std::string out(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\r')) {
    out.pop_back();
  }
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::string LastMessageLine(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    const size_t start = text.rfind('\n', end - 1);
    const size_t from = start == std::string_view::npos ? 0 : start + 1;
    std::string line = Collapsed(text.substr(from, end - from));
    // Box-drawing frames (│ ╰ ╭) say nothing.
    if (!line.empty() && line.find("\u2502") == std::string::npos &&
        line.find("\u2570") == std::string::npos && line.find("\u256d") == std::string::npos) {
      return line;
    }
    if (start == std::string_view::npos) break;
    end = start;
  }
  return "";
}

}  // namespace flytecpp
