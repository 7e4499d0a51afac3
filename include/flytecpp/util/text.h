// Text as people and URLs need it: one-line summaries of what programs
// print (errors are shown in one line, whatever wall of text a program
// left), and path segments of the URLs the server hands out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flytecpp {

// `text` with every run of whitespace (newlines too) made one space, and
// none at either end.
std::string Collapsed(std::string_view text);

// `text` on one line: blanks and newlines at its end dropped, newlines
// inside made spaces, the rest kept as written (a database's "ERROR:  ..."
// stays as it is). For messages a library hands over with line breaks.
std::string OneLine(std::string_view text);

// The last line of `text` that says something: not blank, and not a frame
// of a box-drawn traceback (Python's rich prints those); after a traceback,
// the exception ("RuntimeError: ..."). "" if there is none.
std::string LastMessageLine(std::string_view text);

// `bytes` in lower-case hex, two digits a byte.
std::string HexOf(std::string_view bytes);

// `text` fit for one path segment of a URL: unreserved characters stay, the
// rest ('/' included) are percent-encoded.
std::string PathEscape(std::string_view text);

// The inverse of PathEscape; nullopt if `text` is not well encoded.
std::optional<std::string> PathUnescape(std::string_view text);

}  // namespace flytecpp
