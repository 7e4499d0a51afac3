// The workflow compiler: flytepropeller parity (pkg/compiler, Flyte 1.16).
//
// Validates tasks and workflows, checks type castability of every binding,
// builds the connection set, and produces a CompiledWorkflowClosure. Errors
// are collected (not just the first), de-duplicated and sorted by code, then
// by text. Each names the node it concerns.
//
//   std::vector<CompileError> errors;
//   auto closure = compiler::CompileWorkflow(wf, {}, tasks, {}, &errors);
//   if (!closure.ok()) for (auto& e : errors) std::cerr << e.ToString() << "\n";
//
// Where the reference silently accepts something wrong, flytecpp is strict
// (duplicate node ids are an error) or order-independent (branch and gate
// bindings may name any node); docs/compatibility.md lists each deviation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flytecpp/util/status.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/core/compiler.pb.h"
#include "flyteidl/core/interface.pb.h"
#include "flyteidl/core/workflow.pb.h"

namespace flytecpp::compiler {

using flyteidl::core::CompiledTask;
using flyteidl::core::CompiledWorkflowClosure;
using flyteidl::core::Identifier;
using flyteidl::core::LiteralType;
using flyteidl::core::TaskTemplate;
using flyteidl::core::WorkflowTemplate;

// The reference's error codes (flytepropeller pkg/compiler/errors).
enum class ErrorCode {
  kAmbiguousBindingUnionValue,
  kBranchNodeHasNoCondition,
  kBranchNodeHasNoDefault,
  kBranchNodeIdNotFound,
  kCycleDetected,
  kDuplicateAlias,
  kDuplicateId,
  kFieldNotFound,
  kIllegalEnumValue,
  kIncompatibleBindingUnionValue,
  kInconsistentTypes,
  kInvalidLiteralType,
  kInvalidValue,
  kMismatchingBindings,
  kMismatchingInterfaces,
  kMismatchingTypes,
  kNoConditionFound,
  kNoEntryNodeFound,
  kNoNodesFound,
  kNodeReferenceNotFound,
  kParameterBoundMoreThanOnce,
  kParameterNotBound,
  kSyntaxError,
  kTaskReferenceNotFound,
  kUnreachableNodes,
  kUnrecognizedValue,
  kValueCollision,
  kValueRequired,
  kVariableNameNotFound,
  kWorkflowBuildError,
  kWorkflowReferenceNotFound,
};
std::string_view ErrorCodeName(ErrorCode code);  // e.g. "ParameterNotBound"

struct CompileError {
  ErrorCode code;
  std::string node_id;
  std::string message;
  // "CODE node-id: message"
  std::string ToString() const;
  bool operator==(const CompileError&) const = default;
};

// Tasks: wraps a validated template. Checks container image/command and
// resource quantities, or the k8s pod spec.
Result<CompiledTask> CompileTask(const TaskTemplate& task,
                                 std::vector<CompileError>* errors = nullptr);

struct Requirements {
  std::vector<Identifier> task_ids;         // sorted, de-duplicated
  std::vector<Identifier> launch_plan_ids;  // sorted, de-duplicated
};

// The tasks and launch plans a workflow needs, following sub-workflows
// (including branch cases, array sub-nodes and the failure node).
Result<Requirements> GetRequirements(const WorkflowTemplate& workflow,
                                     const std::vector<WorkflowTemplate>& sub_workflows,
                                     std::vector<CompileError>* errors = nullptr);

// What a launch-plan node sees of the launch plan it calls.
struct LaunchPlanInterface {
  Identifier id;
  flyteidl::core::ParameterMap expected_inputs;
  flyteidl::core::VariableMap expected_outputs;
};
// From a registered launch plan (its closure's expected inputs/outputs).
LaunchPlanInterface LaunchPlanInterfaceOf(const flyteidl::admin::LaunchPlan& launch_plan);
// From a launch plan spec and its workflow's interface, as flytectl does for
// packages: default inputs, else every workflow input as an optional parameter.
LaunchPlanInterface LaunchPlanInterfaceOf(const flyteidl::admin::LaunchPlan& launch_plan,
                                          const flyteidl::core::TypedInterface& workflow_interface);

// Compiles `primary` with its sub-workflows, the compiled tasks and the
// interfaces of the launch plans its nodes call. The closure holds every
// given task (first of each id wins, input order) and every sub-workflow.
Result<CompiledWorkflowClosure> CompileWorkflow(
    const WorkflowTemplate& primary, const std::vector<WorkflowTemplate>& sub_workflows,
    const std::vector<CompiledTask>& tasks, const std::vector<LaunchPlanInterface>& launch_plans,
    std::vector<CompileError>* errors = nullptr);

// Checks execution inputs against an interface before anything runs: every
// given input is declared (VariableNameNotFound) and of a castable type
// (InvalidLiteralType); every declared input is given, has a default in
// `defaults`, or is optional (ParameterNotBound). Unlike the reference,
// optional inputs may be left out.
Status ValidateInputs(const flyteidl::core::TypedInterface& iface,
                      const flyteidl::core::LiteralMap& inputs,
                      const flyteidl::core::ParameterMap* defaults = nullptr,
                      std::vector<CompileError>* errors = nullptr);

// Checks a launch plan against the workflow it launches: it names that
// workflow, its default inputs are workflow inputs of castable types
// (MismatchingInterfaces), and its fixed inputs are workflow inputs holding
// castable values (VariableNameNotFound, InvalidLiteralType).
Status ValidateLaunchPlan(const flyteidl::admin::LaunchPlan& launch_plan,
                          const WorkflowTemplate& workflow,
                          std::vector<CompileError>* errors = nullptr);

// Whether `value` may be given where `type` is expected (castable, an enum's
// value among its values). The error says what the value is and what was
// expected.
Status ValidateValue(const flyteidl::core::Literal& value, const LiteralType& type);

// Type castability, from `upstream` (producer) to `downstream` (expected).
bool AreTypesCastable(const LiteralType& upstream, const LiteralType& downstream);

// The literal type of a scalar constant; nullopt when it cannot be known (a
// blob without metadata, an empty scalar).
std::optional<LiteralType> LiteralTypeForScalar(const flyteidl::core::Scalar& scalar);

// The same as Flyte's literal type inference for a whole literal (collections
// get the union of their element types; an empty list is none).
std::optional<LiteralType> LiteralTypeForLiteral(const flyteidl::core::Literal& literal);

}  // namespace flytecpp::compiler
