// Collecting compile errors. Validators add errors and keep going; whether a
// check passed is judged by whether *it* added any (Mark/CleanSince), as the
// reference judges by its local error scope. Trial validations whose errors
// are thrown away (union variants) use a scratch Diagnostics.
#pragma once

#include <string>
#include <vector>

#include "flytecpp/compiler/compiler.h"

namespace flytecpp::compiler::internal {

class Diagnostics {
 public:
  void Add(ErrorCode code, std::string node_id, std::string message);

  // Errors added so far (duplicates included).
  size_t Mark() const { return added_; }
  bool CleanSince(size_t mark) const { return added_ == mark; }
  bool empty() const { return added_ == 0; }

  // Unique errors, sorted by code name, then by their text.
  std::vector<CompileError> Sorted() const;

  // A Status listing every error, one per line; OK when there are none.
  Status ToStatus(std::string_view what) const;

 private:
  std::vector<CompileError> errors_;
  size_t added_ = 0;
};

// Message builders: one per error code, each a readable sentence.
namespace msg {
std::string ValueRequired(std::string_view param);
std::string InvalidValue(std::string_view param);
std::string ParameterNotBound(std::string_view param);
std::string NodeReferenceNotFound(std::string_view ref);
std::string WorkflowReferenceNotFound(std::string_view ref);
std::string TaskReferenceNotFound(std::string_view ref);
std::string VariableNameNotFound(std::string_view var, std::string_view node);
std::string ParameterBoundMoreThanOnce(std::string_view var);
std::string DuplicateAlias(std::string_view alias);
std::string DuplicateNodeId(std::string_view id);
std::string DuplicateWorkflowId(std::string_view id);
std::string MismatchingTypesVar(std::string_view var, std::string_view from, std::string_view to);
std::string MismatchingTypesPromise(std::string_view output_var, std::string_view from,
                                    std::string_view input_var, std::string_view to);
std::string MismatchingBindings(std::string_view param, std::string_view node,
                                std::string_view expected, std::string_view received);
std::string IllegalEnumValue(std::string_view param, std::string_view node,
                             const std::vector<std::string>& allowed, std::string_view value);
std::string AmbiguousBindingUnionValue(std::string_view param, std::string_view node,
                                       std::string_view type, std::string_view binding,
                                       std::string_view first, std::string_view second);
std::string IncompatibleBindingUnionValue(std::string_view param, std::string_view node,
                                          std::string_view type, std::string_view binding);
std::string FieldNotFound(std::string_view var, std::string_view type, std::string_view field);
std::string SyntaxError(std::string_view element);
std::string UnrecognizedValue(std::string_view value);
std::string CycleDetected(const std::vector<std::string>& path);
std::string UnreachableNodes(const std::vector<std::string>& ids);
std::string NoNodesFound(std::string_view workflow);
std::string NoConditionFound(std::string_view node);
std::string NoEntryNodeFound(std::string_view workflow);
std::string ValueCollision(std::string_view what, std::string_view value);
std::string BranchNodeIdNotFound();
std::string BranchNodeHasNoCondition();
std::string BranchNodeHasNoDefault();
}  // namespace msg

}  // namespace flytecpp::compiler::internal
