// Launch-plan children: a child execution with its own record, covered by
// its root's lease (flyte-executor.md §3.8). Shared by launch-plan nodes and
// array elements that map a launch plan.
#pragma once

#include "../executor.h"

namespace flytecpp::engine::internal {

// The id of the child execution run for `path` of `s`: "<exec>-<path>"
// with '/' as '-'.
std::string ChildExecutionId(const Scope* s, const std::string& path);

// A new child execution `id` of launch plan `launch_plan`, run for node `i`
// of `s`, with `given` inputs (over the launch plan's defaults, under its
// fixed inputs). Not started. A user error (no such launch plan, bad inputs)
// names the launch plan.
Result<std::unique_ptr<Scope>> NewLaunchPlanChild(Executor& x, Scope* s, int i,
                                                  const core::Identifier& launch_plan,
                                                  const std::string& id,
                                                  const core::LiteralMap& given);

// The child execution `id` rebuilt from its own record for a resume (no
// resolver needed). NotFound if it was never recorded. A child that had
// ended comes back done (Scope::State::kDone, its outputs in its end node).
Result<std::unique_ptr<Scope>> RestoreLaunchPlanChild(Executor& x, Scope* s, int i,
                                                      const std::string& id);

}  // namespace flytecpp::engine::internal
