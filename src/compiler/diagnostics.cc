#include "diagnostics.h"

#include <algorithm>

namespace flytecpp::compiler {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kAmbiguousBindingUnionValue: return "AmbiguousBindingUnionValue";
    case ErrorCode::kBranchNodeHasNoCondition: return "BranchNodeHasNoCondition";
    case ErrorCode::kBranchNodeHasNoDefault: return "BranchNodeHasNoDefault";
    case ErrorCode::kBranchNodeIdNotFound: return "BranchNodeIdNotFound";
    case ErrorCode::kCycleDetected: return "CycleDetected";
    case ErrorCode::kDuplicateAlias: return "DuplicateAlias";
    case ErrorCode::kDuplicateId: return "DuplicateId";
    case ErrorCode::kFieldNotFound: return "FieldNotFound";
    case ErrorCode::kIllegalEnumValue: return "IllegalEnumValue";
    case ErrorCode::kIncompatibleBindingUnionValue: return "IncompatibleBindingUnionValue";
    case ErrorCode::kInconsistentTypes: return "InconsistentTypes";
    case ErrorCode::kInvalidLiteralType: return "InvalidLiteralType";
    case ErrorCode::kInvalidValue: return "InvalidValue";
    case ErrorCode::kMismatchingBindings: return "MismatchingBindings";
    case ErrorCode::kMismatchingInterfaces: return "MismatchingInterfaces";
    case ErrorCode::kMismatchingTypes: return "MismatchingTypes";
    case ErrorCode::kNoConditionFound: return "NoConditionFound";
    case ErrorCode::kNoEntryNodeFound: return "NoEntryNodeFound";
    case ErrorCode::kNoNodesFound: return "NoNodesFound";
    case ErrorCode::kNodeReferenceNotFound: return "NodeReferenceNotFound";
    case ErrorCode::kParameterBoundMoreThanOnce: return "ParameterBoundMoreThanOnce";
    case ErrorCode::kParameterNotBound: return "ParameterNotBound";
    case ErrorCode::kSyntaxError: return "SyntaxError";
    case ErrorCode::kTaskReferenceNotFound: return "TaskReferenceNotFound";
    case ErrorCode::kUnreachableNodes: return "UnreachableNodes";
    case ErrorCode::kUnrecognizedValue: return "UnrecognizedValue";
    case ErrorCode::kValueCollision: return "ValueCollision";
    case ErrorCode::kValueRequired: return "ValueRequired";
    case ErrorCode::kVariableNameNotFound: return "VariableNameNotFound";
    case ErrorCode::kWorkflowBuildError: return "WorkflowBuildError";
    case ErrorCode::kWorkflowReferenceNotFound: return "WorkflowReferenceNotFound";
  }
  return "Unknown";
}

std::string CompileError::ToString() const {
  return std::string(ErrorCodeName(code)) + " " + node_id + ": " + message;
}

namespace internal {

void Diagnostics::Add(ErrorCode code, std::string node_id, std::string message) {
  ++added_;
  CompileError e{code, std::move(node_id), std::move(message)};
  if (std::find(errors_.begin(), errors_.end(), e) == errors_.end())
    errors_.push_back(std::move(e));
}

std::vector<CompileError> Diagnostics::Sorted() const {
  std::vector<CompileError> out = errors_;
  std::sort(out.begin(), out.end(), [](const CompileError& a, const CompileError& b) {
    std::string_view ca = ErrorCodeName(a.code), cb = ErrorCodeName(b.code);
    if (ca != cb) return ca < cb;
    return a.ToString() < b.ToString();
  });
  return out;
}

Status Diagnostics::ToStatus(std::string_view what) const {
  if (errors_.empty()) return Status::Ok();
  auto sorted = Sorted();
  std::string text = std::string(what) + ": " + std::to_string(sorted.size()) +
                     (sorted.size() == 1 ? " error" : " errors");
  for (const auto& e : sorted) text += "\n" + e.ToString();
  return InvalidArgument(std::move(text));
}

namespace msg {

namespace {
std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}
std::string S(std::string_view v) { return std::string(v); }
}  // namespace

std::string ValueRequired(std::string_view param) { return "Value required [" + S(param) + "]."; }
std::string InvalidValue(std::string_view param) { return "Invalid value [" + S(param) + "]."; }
std::string ParameterNotBound(std::string_view param) {
  return "Parameter not bound [" + S(param) + "].";
}
std::string NodeReferenceNotFound(std::string_view ref) {
  return "Referenced node [" + S(ref) + "] not found.";
}
std::string WorkflowReferenceNotFound(std::string_view ref) {
  return "Referenced Workflow [" + S(ref) + "] not found.";
}
std::string TaskReferenceNotFound(std::string_view ref) {
  return "Referenced Task [" + S(ref) + "] not found.";
}
std::string VariableNameNotFound(std::string_view var, std::string_view node) {
  return "Variable [" + S(var) + "] not found on node [" + S(node) + "].";
}
std::string ParameterBoundMoreThanOnce(std::string_view var) {
  return "Input [" + S(var) + "] is bound more than once.";
}
std::string DuplicateAlias(std::string_view alias) {
  return "Duplicate alias [" + S(alias) +
         "] found. An output alias can only be used once in the Workflow.";
}
std::string DuplicateNodeId(std::string_view id) {
  return "Node id [" + S(id) + "] is used by more than one node.";
}
std::string DuplicateWorkflowId(std::string_view id) {
  return "Workflow [" + S(id) + "] is given more than once.";
}
std::string MismatchingTypesVar(std::string_view var, std::string_view from, std::string_view to) {
  return "Variable [" + S(var) + "] (type [" + S(from) + "]) doesn't match expected type [" +
         S(to) + "].";
}
std::string MismatchingTypesPromise(std::string_view output_var, std::string_view from,
                                    std::string_view input_var, std::string_view to) {
  return "The output variable '" + S(output_var) + "' has type [" + S(from) +
         "], but it's assigned to the input variable '" + S(input_var) + "' which has type [" +
         S(to) + "].";
}
std::string MismatchingBindings(std::string_view param, std::string_view node,
                                std::string_view expected, std::string_view received) {
  return "Input [" + S(param) + "] on node [" + S(node) + "] expects bindings of type [" +
         S(expected) + "]. Received [" + S(received) + "].";
}
std::string IllegalEnumValue(std::string_view param, std::string_view node,
                             const std::vector<std::string>& allowed, std::string_view value) {
  return "Input [" + S(param) + "] on node [" + S(node) +
         "] is an Enum and expects value to be one of [" + Join(allowed, " ") + "]. Received [" +
         S(value) + "].";
}
std::string AmbiguousBindingUnionValue(std::string_view param, std::string_view node,
                                       std::string_view type, std::string_view binding,
                                       std::string_view first, std::string_view second) {
  return "Input [" + S(param) + "] on node [" + S(node) + "] expects bindings of union type [" +
         S(type) + "]. Received [" + S(binding) + "] which is ambiguous as both variants [" +
         S(first) + "] and [" + S(second) + "] match.";
}
std::string IncompatibleBindingUnionValue(std::string_view param, std::string_view node,
                                          std::string_view type, std::string_view binding) {
  return "Input [" + S(param) + "] on node [" + S(node) + "] expects bindings of union type [" +
         S(type) + "]. Received [" + S(binding) + "] which does not match any of the variants.";
}
std::string FieldNotFound(std::string_view var, std::string_view type, std::string_view field) {
  return "Variable [" + S(var) + "] (type [" + S(type) + "]) doesn't have field [" + S(field) +
         "].";
}
std::string SyntaxError(std::string_view element) {
  return "Failed to parse element [" + S(element) + "].";
}
std::string UnrecognizedValue(std::string_view value) {
  return "Unrecognized value [" + S(value) + "].";
}
std::string CycleDetected(const std::vector<std::string>& path) {
  return "A cycle has been detected while traversing the Workflow [" + Join(path, ">") + "].";
}
std::string UnreachableNodes(const std::vector<std::string>& ids) {
  return "The Workflow contain unreachable nodes [" + Join(ids, ",") + "].";
}
std::string NoNodesFound(std::string_view workflow) {
  return "Can't find any nodes in workflow [" + S(workflow) + "].";
}
std::string NoConditionFound(std::string_view node) {
  return "Can't find any condition in gate node [" + S(node) + "].";
}
std::string NoEntryNodeFound(std::string_view workflow) {
  return "Can't find a node to start executing Workflow [" + S(workflow) + "].";
}
std::string ValueCollision(std::string_view what, std::string_view value) {
  return S(what) + " is expected to be unique. " + S(value) + " already exists.";
}
std::string BranchNodeIdNotFound() { return "BranchNode not assigned"; }
std::string BranchNodeHasNoCondition() {
  return "One of the branches on the node doesn't have a condition.";
}
std::string BranchNodeHasNoDefault() {
  return "Branch Node must have either the else case set or a default error.";
}

}  // namespace msg
}  // namespace internal
}  // namespace flytecpp::compiler
