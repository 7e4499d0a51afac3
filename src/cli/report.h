// How the CLI reports failures: one line on stderr, prefixed `flytecpp: `.
#pragma once

#include <iostream>

#include "flytecpp/util/status.h"

namespace flytecpp::cli {

inline int Fail(const Status& status, int exit_code) {
  std::cerr << "flytecpp: " << status.ToString() << "\n";
  return exit_code;
}

}  // namespace flytecpp::cli
