// Bearer tokens for the server and its clients, read from a file (never
// from the command line, where `ps` would show them).
#pragma once

#include <string>

#include "flytecpp/idl/io.h"
#include "flytecpp/util/status.h"

namespace flytecpp::cli {

// The token in `path`, surrounding whitespace dropped; an empty one is an error.
inline Result<std::string> ReadTokenFile(const std::string& path) {
  auto text = idl::ReadFileBytes(path);
  if (!text.ok()) return text.status().WithContext("--token-file");
  std::string token = *text;
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return InvalidArgument("--token-file " + path + ": empty");
  token = token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
  return token;
}

}  // namespace flytecpp::cli
