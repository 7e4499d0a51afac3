// Branch nodes: their interface (outputs common to every case), their cases,
// and the conditions (flytepropeller validators/branch.go, condition.go).
#include <google/protobuf/util/message_differencer.h>

#include "flytecpp/idl/types.h"
#include "workflow_compiler.h"

// Conditions still use the deprecated `primitive` operand: flytekit writes it
// and Flyte 1.16 accepts nothing else.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace flytecpp::compiler::internal {

using google::protobuf::util::MessageDifferencer;

std::optional<core::TypedInterface> WorkflowCompiler::BranchInterface(core::Node* node) {
  const size_t mark = diag_.Mark();
  const std::string& id = node->id();
  auto* ie = node->mutable_branch_node()->mutable_if_else();
  if (!node->branch_node().has_if_else()) {
    diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired("Branch.IfElse"));
    return std::nullopt;
  }
  if (!ie->has_case_()) {
    diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired("Branch.IfElse.Case"));
    return std::nullopt;
  }
  if (!ie->case_().has_then_node()) {
    diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired("Branch.IfElse.Case.ThenNode"));
    return std::nullopt;
  }
  std::vector<core::Node*> cases = {ie->mutable_case_()->mutable_then_node()};
  for (auto& other : *ie->mutable_other()) {
    if (!other.has_then_node()) {
      diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired("IfElse.Case.ThenNode"));
      continue;
    }
    cases.push_back(other.mutable_then_node());
  }
  if (ie->has_else_node()) cases.push_back(ie->mutable_else_node());

  // The outputs every case provides, with identical types.
  std::optional<core::VariableMap> common;
  for (core::Node* c : cases) {
    c->set_id(id + "-" + c->id());  // branch case ids are scoped by their branch
    // Case nodes run beside top-level nodes; their ids must not clash.
    if (index_.count(c->id()) || !case_ids_.insert(c->id()).second) {
      diag_.Add(ErrorCode::kValueCollision, c->id(), msg::ValueCollision("Node id", c->id()));
    }
    const core::TypedInterface* ci = UnderlyingInterface(c);
    if (ci == nullptr) continue;
    if (!common) {
      common = ci->outputs();
      continue;
    }
    auto* vars = common->mutable_variables();
    for (auto it = vars->begin(); it != vars->end();) {
      auto other = ci->outputs().variables().find(it->first);
      if (other == ci->outputs().variables().end()) {
        it = vars->erase(it);
        continue;
      }
      if (!MessageDifferencer::Equals(it->second.type(), other->second.type())) {
        diag_.Add(ErrorCode::kMismatchingTypes, c->id(),
                  msg::MismatchingTypesVar(it->first, idl::TypeString(it->second.type()),
                                           idl::TypeString(other->second.type())));
      }
      ++it;
    }
  }
  // The branch node's own bindings are what its conditions read.
  core::VariableMap inputs;
  ValidateBindings(node, node->mutable_inputs(), nullptr, /*check_types=*/false,
                   EdgeDirection::kUpstream, &inputs);
  if (!diag_.CleanSince(mark) || !common) return std::nullopt;
  core::TypedInterface iface;
  *iface.mutable_inputs() = std::move(inputs);
  *iface.mutable_outputs() = std::move(*common);
  return iface;
}

bool WorkflowCompiler::ValidateBranchNode(core::Node* node, std::vector<core::Node*>* discovered) {
  const size_t mark = diag_.Mark();
  const std::string& id = node->id();
  auto* ie = node->mutable_branch_node()->mutable_if_else();
  std::vector<core::IfBlock*> blocks;
  if (!ie->has_case_()) {
    diag_.Add(ErrorCode::kBranchNodeHasNoCondition, id, msg::BranchNodeHasNoCondition());
  } else {
    blocks.push_back(ie->mutable_case_());
  }
  for (auto& other : *ie->mutable_other()) blocks.push_back(&other);

  std::vector<core::Node*> kept;
  for (core::IfBlock* block : blocks) {
    ValidateCondition(node, block->condition());
    if (!block->has_then_node()) {
      diag_.Add(ErrorCode::kBranchNodeIdNotFound, id, msg::BranchNodeIdNotFound());
    } else {
      kept.push_back(block->mutable_then_node());
    }
  }
  if (ie->has_else_node()) {
    kept.push_back(ie->mutable_else_node());
  } else if (!ie->has_error()) {
    diag_.Add(ErrorCode::kBranchNodeHasNoDefault, id, msg::BranchNodeHasNoDefault());
  }
  for (core::Node* sub : kept) {
    if (ValidateNode(sub)) discovered->push_back(sub);
  }
  return diag_.CleanSince(mark);
}

void WorkflowCompiler::ValidateCondition(core::Node* node, const core::BooleanExpression& expr) {
  switch (expr.expr_case()) {
    case core::BooleanExpression::kComparison: {
      const auto& cmp = expr.comparison();
      auto right = OperandType(node, cmp.right_value(), "RightValue");
      auto left = OperandType(node, cmp.left_value(), "LeftValue");
      if (right && left && !MessageDifferencer::Equals(*right, *left)) {
        diag_.Add(ErrorCode::kMismatchingTypes, node->id(),
                  msg::MismatchingTypesVar("RightValue", idl::TypeString(*right),
                                           idl::TypeString(*left)));
      }
      return;
    }
    case core::BooleanExpression::kConjunction:
      ValidateCondition(node, expr.conjunction().left_expression());
      ValidateCondition(node, expr.conjunction().right_expression());
      return;
    case core::BooleanExpression::EXPR_NOT_SET:
      diag_.Add(ErrorCode::kBranchNodeHasNoCondition, node->id(), msg::BranchNodeHasNoCondition());
      return;
  }
}

std::optional<LiteralType> WorkflowCompiler::OperandType(core::Node* node,
                                                         const core::Operand& operand,
                                                         std::string_view side) {
  const std::string& id = node->id();
  switch (operand.val_case()) {
    case core::Operand::kPrimitive: {
      core::Scalar s;
      *s.mutable_primitive() = operand.primitive();
      return LiteralTypeForScalar(s);
    }
    case core::Operand::kScalar: {
      // The reference (1.16) rejects the newer scalar operand; flytecpp takes
      // primitive scalars, the only ones a condition can compare.
      if (!operand.scalar().has_primitive()) {
        diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired(std::string(side) + ".Val"));
        return std::nullopt;
      }
      return LiteralTypeForScalar(operand.scalar());
    }
    case core::Operand::kVar: {
      const std::string& var = operand.var();
      if (var.empty()) break;
      const core::TypedInterface* iface = UnderlyingInterface(node);
      if (iface == nullptr) {
        diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired(var));
        return std::nullopt;
      }
      auto it = iface->inputs().variables().find(var);
      if (it != iface->inputs().variables().end()) return it->second.type();
      for (const auto& b : node->inputs()) {
        if (b.var() == var) return std::nullopt;  // bound, type unknown
      }
      diag_.Add(ErrorCode::kVariableNameNotFound, id, msg::VariableNameNotFound(var, id));
      return std::nullopt;
    }
    case core::Operand::VAL_NOT_SET: break;
  }
  diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired(side));
  return std::nullopt;
}

}  // namespace flytecpp::compiler::internal
