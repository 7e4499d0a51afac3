// Values against interfaces: execution inputs (the reference does this when
// it builds the Kubernetes workflow) and launch plans against their workflow.
#include "diagnostics.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "requirements.h"
#include "typing.h"

namespace flytecpp::compiler {

namespace core = flyteidl::core;
namespace msg = internal::msg;

namespace {

std::string InvalidLiteralTypeMessage(const std::string& var, const std::string& why) {
  return "Failed to validate literal type for [" + var + "] with err: " + why;
}

// Whether `value` may be given for an input of `type`.
std::optional<std::string> LiteralMismatch(const core::Literal& value, const LiteralType& type) {
  auto got = LiteralTypeForLiteral(value);
  if (!got) return "cannot tell the type of " + idl::ShortString(value, 3);
  if (!AreTypesCastable(*got, type)) {
    return "a " + idl::TypeString(*got) + " value cannot be used as " + idl::TypeString(type);
  }
  if (type.has_enum_type()) {
    const auto& values = type.enum_type().values();
    const std::string& s = value.scalar().primitive().string_value();
    if (std::find(values.begin(), values.end(), s) == values.end()) {
      return "\"" + s + "\" is not one of the enum values";
    }
  }
  return std::nullopt;
}

}  // namespace

Status ValidateValue(const core::Literal& value, const LiteralType& type) {
  if (auto why = LiteralMismatch(value, type)) return InvalidArgument(*why);
  return Status::Ok();
}

Status ValidateInputs(const core::TypedInterface& iface, const core::LiteralMap& inputs,
                      const core::ParameterMap* defaults, std::vector<CompileError>* errors) {
  internal::Diagnostics diag;
  const auto& declared = iface.inputs().variables();
  for (const auto& [name, value] : inputs.literals()) {
    auto it = declared.find(name);
    if (it == declared.end()) {
      diag.Add(ErrorCode::kVariableNameNotFound, "start-node",
               msg::VariableNameNotFound(name, "start-node"));
      continue;
    }
    if (auto why = LiteralMismatch(value, it->second.type())) {
      diag.Add(ErrorCode::kInvalidLiteralType, "start-node", InvalidLiteralTypeMessage(name, *why));
    }
  }
  for (const auto& [name, v] : declared) {
    if (inputs.literals().count(name) || internal::IsOptional(v.type())) continue;
    if (defaults != nullptr) {
      auto d = defaults->parameters().find(name);
      if (d != defaults->parameters().end() && d->second.has_default_()) continue;
    }
    diag.Add(ErrorCode::kParameterNotBound, "start-node", msg::ParameterNotBound(name));
  }
  if (errors != nullptr) *errors = diag.Sorted();
  return diag.ToStatus("inputs");
}

Status ValidateLaunchPlan(const flyteidl::admin::LaunchPlan& launch_plan,
                          const WorkflowTemplate& workflow, std::vector<CompileError>* errors) {
  internal::Diagnostics diag;
  const std::string lp = launch_plan.id().name();
  const auto& wf_id = launch_plan.spec().workflow_id();
  if (wf_id.name() != workflow.id().name() || wf_id.version() != workflow.id().version() ||
      wf_id.project() != workflow.id().project() || wf_id.domain() != workflow.id().domain()) {
    diag.Add(ErrorCode::kWorkflowReferenceNotFound, lp,
             msg::WorkflowReferenceNotFound(idl::IdentifierString(wf_id)));
  }
  const auto& inputs = workflow.interface().inputs().variables();
  for (const auto& [name, p] : launch_plan.spec().default_inputs().parameters()) {
    auto it = inputs.find(name);
    if (it == inputs.end()) {
      diag.Add(ErrorCode::kMismatchingInterfaces, lp,
               "Launch plan input [" + name + "] is not an input of workflow [" +
                   workflow.id().name() + "].");
      continue;
    }
    if (p.has_var() && !AreTypesCastable(p.var().type(), it->second.type())) {
      diag.Add(ErrorCode::kMismatchingInterfaces, lp,
               "Launch plan input [" + name + "] has type [" + idl::TypeString(p.var().type()) +
                   "] but the workflow declares [" + idl::TypeString(it->second.type()) + "].");
    }
    if (p.has_default_() && it != inputs.end()) {
      if (auto why = LiteralMismatch(p.default_(), it->second.type())) {
        diag.Add(ErrorCode::kInvalidLiteralType, lp, InvalidLiteralTypeMessage(name, *why));
      }
    }
  }
  for (const auto& [name, value] : launch_plan.spec().fixed_inputs().literals()) {
    auto it = inputs.find(name);
    if (it == inputs.end()) {
      diag.Add(ErrorCode::kVariableNameNotFound, lp, msg::VariableNameNotFound(name, lp));
      continue;
    }
    if (auto why = LiteralMismatch(value, it->second.type())) {
      diag.Add(ErrorCode::kInvalidLiteralType, lp, InvalidLiteralTypeMessage(name, *why));
    }
  }
  if (errors != nullptr) *errors = diag.Sorted();
  return diag.ToStatus("launch plan " + lp);
}

}  // namespace flytecpp::compiler
