// Data flow: resolving a node's inputs from its bindings, and evaluating
// branch conditions against a branch node's inputs. One module for every
// node kind (flyte-executor.md §3.4, §4).
#pragma once

#include <functional>

#include "flyteidl/core/condition.pb.h"
#include "plan.h"

namespace flytecpp::engine::internal {

// The outputs of plan node `i`, or null when it has none (not run, skipped).
using OutputsOf = std::function<const core::LiteralMap*(int node)>;

// Builds the input map of `node`. Errors name the input and what could not
// be found; the engine reports them as BindingResolutionFailure.
Result<core::LiteralMap> ResolveInputs(const Plan& plan, const PlanNode& node,
                                       const OutputsOf& outputs);

// Evaluates a branch condition. Operands are constants (`primitive`, or a
// `scalar` holding one) or branch inputs by name; ints and floats compare
// numerically; datetimes and durations at full precision; booleans only for
// (in)equality. Errors are the user's (MalformedBranchUserError).
Result<bool> EvaluateCondition(const core::BooleanExpression& expr, const core::LiteralMap& inputs);

}  // namespace flytecpp::engine::internal
