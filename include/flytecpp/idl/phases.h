// Which of Flyte's phases end a workflow execution, a node execution and a
// task attempt: each rule once, for the engine, the store, the server and
// the CLI (the console mirrors them once, in console/src/common.tsx).
#pragma once

#include <array>

#include "flyteidl/core/execution.pb.h"

namespace flytecpp::idl {

// SUCCEEDED, FAILED, ABORTED, TIMED_OUT: nothing of the execution runs any
// more (FAILING and ABORTING still do).
inline constexpr std::array<flyteidl::core::WorkflowExecution::Phase, 4> kTerminalWorkflowPhases = {
    flyteidl::core::WorkflowExecution::SUCCEEDED, flyteidl::core::WorkflowExecution::FAILED,
    flyteidl::core::WorkflowExecution::ABORTED, flyteidl::core::WorkflowExecution::TIMED_OUT};

inline bool IsTerminal(flyteidl::core::WorkflowExecution::Phase p) {
  for (auto t : kTerminalWorkflowPhases) {
    if (p == t) return true;
  }
  return false;
}

// A node's: also SKIPPED (a branch case not taken, a node after a failure)
// and RECOVERED (its outputs taken from an earlier execution).
inline bool IsTerminal(flyteidl::core::NodeExecution::Phase p) {
  using N = flyteidl::core::NodeExecution;
  return p == N::SUCCEEDED || p == N::FAILED || p == N::ABORTED || p == N::SKIPPED ||
         p == N::TIMED_OUT || p == N::RECOVERED;
}

// A task attempt's: also RETRYABLE_FAILED (the attempt ended; another one
// follows).
inline bool IsTerminal(flyteidl::core::TaskExecution::Phase p) {
  using T = flyteidl::core::TaskExecution;
  return p == T::SUCCEEDED || p == T::FAILED || p == T::ABORTED || p == T::RETRYABLE_FAILED;
}

}  // namespace flytecpp::idl
