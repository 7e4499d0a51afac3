// How the CLI reports failures: one line on stderr, prefixed `flytecpp: `;
// and how it prints times.
#pragma once

#include <google/protobuf/util/time_util.h>

#include <cstdint>
#include <iostream>
#include <string>

#include "flytecpp/util/status.h"

namespace flytecpp::cli {

inline int Fail(const Status& status, int exit_code) {
  std::cerr << "flytecpp: " << status.ToString() << "\n";
  return exit_code;
}

// RFC 3339 to the second, UTC ("2026-01-01T00:00:00Z"); "-" for 0 (never).
inline std::string TimeText(int64_t ns) {
  if (ns == 0) return "-";
  using google::protobuf::util::TimeUtil;
  return TimeUtil::ToString(TimeUtil::NanosecondsToTimestamp(ns - ns % 1'000'000'000));
}

}  // namespace flytecpp::cli
