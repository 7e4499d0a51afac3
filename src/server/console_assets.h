// The web console's files, embedded at build time (console/build.mjs writes
// the definitions from the bundle it makes): nothing is fetched at run time.
#pragma once

#include <cstddef>
#include <string_view>

namespace flytecpp::server {

struct ConsoleAsset {
  std::string_view path;  // as served, e.g. "/console/app.js"; "/" is index.html
  std::string_view content_type;
  std::string_view bytes;
};

extern const ConsoleAsset kConsoleAssets[];
extern const size_t kConsoleAssetCount;

}  // namespace flytecpp::server
