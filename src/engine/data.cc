#include "data.h"

#include <google/protobuf/util/time_util.h>

#include "flytecpp/idl/literals.h"

// Conditions read the deprecated `primitive` operand: flytekit writes it.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace flytecpp::engine::internal {

using google::protobuf::util::TimeUtil;

namespace {

const core::Literal& Unwrap(const core::Literal& l) { return idl::Unwrapped(l); }

// A google.protobuf.Value as a literal: objects stay structs, lists become
// collections, numbers floats.
core::Literal FromValue(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kStructValue: return idl::lit::Generic(v.struct_value());
    case google::protobuf::Value::kListValue: {
      std::vector<core::Literal> items;
      for (const auto& e : v.list_value().values()) items.push_back(FromValue(e));
      return idl::lit::List(std::move(items));
    }
    case google::protobuf::Value::kNumberValue: return idl::lit::Float(v.number_value());
    case google::protobuf::Value::kStringValue: return idl::lit::String(v.string_value());
    case google::protobuf::Value::kBoolValue: return idl::lit::Bool(v.bool_value());
    default: return idl::lit::None();
  }
}

std::string StepText(const core::PromiseAttribute& a) {
  return a.value_case() == core::PromiseAttribute::kIntValue
             ? "[" + std::to_string(a.int_value()) + "]"
             : "." + a.string_value();
}

Result<core::Literal> ApplyAttrPath(
    core::Literal value, const google::protobuf::RepeatedPtrField<core::PromiseAttribute>& path,
    const std::string& what) {
  std::string where = what;
  for (int i = 0; i < path.size(); ++i) {
    const auto& a = path[i];
    where += StepText(a);
    const core::Literal& v = Unwrap(value);
    if (v.has_collection()) {
      if (a.value_case() != core::PromiseAttribute::kIntValue) {
        return InvalidArgument(where + ": a list needs an index");
      }
      if (a.int_value() < 0 || a.int_value() >= v.collection().literals_size()) {
        return InvalidArgument(where + ": index out of range (list of " +
                               std::to_string(v.collection().literals_size()) + ")");
      }
      value = core::Literal(v.collection().literals(a.int_value()));
    } else if (v.has_map()) {
      auto it = v.map().literals().find(a.string_value());
      if (a.value_case() != core::PromiseAttribute::kStringValue ||
          it == v.map().literals().end()) {
        return InvalidArgument(where + ": no such key");
      }
      value = core::Literal(it->second);
    } else if (v.has_scalar() && v.scalar().has_generic()) {
      // Walk into the Struct: keys for objects, indices for lists.
      google::protobuf::Value cur;
      *cur.mutable_struct_value() = v.scalar().generic();
      for (bool first = true; i < path.size(); ++i, first = false) {
        const auto& s = path[i];
        if (!first) where += StepText(s);
        if (cur.has_struct_value()) {
          auto f = cur.struct_value().fields().find(s.string_value());
          if (s.value_case() != core::PromiseAttribute::kStringValue ||
              f == cur.struct_value().fields().end()) {
            return InvalidArgument(where + ": no such field");
          }
          cur = google::protobuf::Value(f->second);
        } else if (cur.has_list_value()) {
          if (s.value_case() != core::PromiseAttribute::kIntValue || s.int_value() < 0 ||
              s.int_value() >= cur.list_value().values_size()) {
            return InvalidArgument(where + ": index out of range");
          }
          cur = google::protobuf::Value(cur.list_value().values(s.int_value()));
        } else {
          return InvalidArgument(where + ": not an object or list");
        }
      }
      return FromValue(cur);
    } else {
      return InvalidArgument(where + ": a " + std::string(idl::LiteralKindName(idl::KindOf(v))) +
                             " has no attributes");
    }
  }
  return value;
}

Result<core::Literal> Resolve(const Plan& plan, const BindingPlan& b, const OutputsOf& outputs,
                              const std::string& input) {
  switch (b.kind) {
    case BindingPlan::Kind::kScalar: {
      core::Literal l;
      *l.mutable_scalar() = *b.scalar;
      return l;
    }
    case BindingPlan::Kind::kCollection: {
      std::vector<core::Literal> items;
      for (const auto& item : b.items) {
        FLYTECPP_ASSIGN_OR_RETURN(core::Literal l, Resolve(plan, item, outputs, input));
        items.push_back(std::move(l));
      }
      return idl::lit::List(std::move(items));
    }
    case BindingPlan::Kind::kMap: {
      std::map<std::string, core::Literal> entries;
      for (size_t k = 0; k < b.items.size(); ++k) {
        FLYTECPP_ASSIGN_OR_RETURN(core::Literal l, Resolve(plan, b.items[k], outputs, input));
        entries.emplace(b.keys[k], std::move(l));
      }
      return idl::lit::Map(std::move(entries));
    }
    case BindingPlan::Kind::kPromise: {
      const std::string& node = plan.nodes[b.source].id;
      const core::LiteralMap* out = outputs(b.source);
      if (out == nullptr) {
        return InvalidArgument("input " + input + ": node " + node + " has no outputs");
      }
      auto it = out->literals().find(b.var);
      if (it == out->literals().end()) {
        return InvalidArgument("input " + input + ": node " + node + " has no output " + b.var);
      }
      core::Literal value = it->second;
      if (b.index) {
        const core::Literal& list = Unwrap(value);
        if (!list.has_collection() || *b.index >= list.collection().literals_size()) {
          return InvalidArgument("input " + input + ": " + node + ".[" + std::to_string(*b.index) +
                                 "]." + b.var + " is not there");
        }
        value = core::Literal(list.collection().literals(*b.index));
      }
      if (b.attr_path != nullptr) {
        return ApplyAttrPath(std::move(value), *b.attr_path,
                             "input " + input + ": " + node + "." + b.var);
      }
      return value;
    }
    case BindingPlan::Kind::kUnsupported: break;
  }
  return InvalidArgument("input " + input + ": unsupported binding (offloaded literal)");
}

// ---- conditions ------------------------------------------------------------------

Status Malformed(const std::string& msg) { return InvalidArgument(msg); }

Result<core::Primitive> OperandValue(const core::Operand& op, const core::LiteralMap& inputs) {
  switch (op.val_case()) {
    case core::Operand::kPrimitive: return op.primitive();
    case core::Operand::kScalar:
      if (op.scalar().has_primitive()) return op.scalar().primitive();
      return Malformed("only primitive constants can be compared");
    case core::Operand::kVar: {
      auto it = inputs.literals().find(op.var());
      if (it == inputs.literals().end()) {
        return Malformed("Failed to find Value for Variable [" + op.var() + "]");
      }
      const core::Literal& v = Unwrap(it->second);
      if (!v.has_scalar() || !v.scalar().has_primitive()) {
        return Malformed("variable [" + op.var() + "] holds " +
                         std::string(idl::LiteralKindName(idl::KindOf(v))) +
                         "; only primitives can be compared");
      }
      return v.scalar().primitive();
    }
    case core::Operand::VAL_NOT_SET: break;
  }
  return Malformed("an operand is empty");
}

template <typename T>
Result<bool> Ordered(core::ComparisonExpression::Operator op, const T& l, const T& r) {
  switch (op) {
    case core::ComparisonExpression::EQ: return l == r;
    case core::ComparisonExpression::NEQ: return l != r;
    case core::ComparisonExpression::GT: return l > r;
    case core::ComparisonExpression::GTE: return l >= r;
    case core::ComparisonExpression::LT: return l < r;
    case core::ComparisonExpression::LTE: return l <= r;
    default: return Malformed("unknown comparison operator");
  }
}

Result<bool> Compare(const core::ComparisonExpression& cmp, const core::LiteralMap& inputs) {
  FLYTECPP_ASSIGN_OR_RETURN(core::Primitive l, OperandValue(cmp.left_value(), inputs));
  FLYTECPP_ASSIGN_OR_RETURN(core::Primitive r, OperandValue(cmp.right_value(), inputs));
  using P = core::Primitive;
  auto numeric = [](const P& p) {
    return p.value_case() == P::kInteger ? static_cast<double>(p.integer()) : p.float_value();
  };
  const auto lc = l.value_case(), rc = r.value_case();
  if (lc == P::kInteger && rc == P::kInteger)
    return Ordered(cmp.operator_(), l.integer(), r.integer());
  if ((lc == P::kInteger || lc == P::kFloatValue) && (rc == P::kInteger || rc == P::kFloatValue)) {
    return Ordered(cmp.operator_(), numeric(l), numeric(r));
  }
  if (lc != rc) return Malformed("Comparison between different primitives types");
  switch (lc) {
    case P::kStringValue: return Ordered(cmp.operator_(), l.string_value(), r.string_value());
    case P::kDatetime:
      return Ordered(cmp.operator_(), TimeUtil::TimestampToNanoseconds(l.datetime()),
                     TimeUtil::TimestampToNanoseconds(r.datetime()));
    case P::kDuration:
      return Ordered(cmp.operator_(), TimeUtil::DurationToNanoseconds(l.duration()),
                     TimeUtil::DurationToNanoseconds(r.duration()));
    case P::kBoolean:
      if (cmp.operator_() == core::ComparisonExpression::EQ) return l.boolean() == r.boolean();
      if (cmp.operator_() == core::ComparisonExpression::NEQ) return l.boolean() != r.boolean();
      return Malformed("booleans can only be compared for equality");
    default: return Malformed("cannot compare empty primitives");
  }
}

}  // namespace

Result<core::LiteralMap> ResolveInputs(const Plan& plan, const PlanNode& node,
                                       const OutputsOf& outputs) {
  core::LiteralMap out;
  auto* literals = out.mutable_literals();
  for (const auto& [var, b] : node.inputs) {
    FLYTECPP_ASSIGN_OR_RETURN(core::Literal l, Resolve(plan, b, outputs, var));
    (*literals)[var] = std::move(l);
  }
  return out;
}

Result<bool> EvaluateCondition(const core::BooleanExpression& expr,
                               const core::LiteralMap& inputs) {
  switch (expr.expr_case()) {
    case core::BooleanExpression::kComparison: return Compare(expr.comparison(), inputs);
    case core::BooleanExpression::kConjunction: {
      const auto& c = expr.conjunction();
      FLYTECPP_ASSIGN_OR_RETURN(bool l, EvaluateCondition(c.left_expression(), inputs));
      FLYTECPP_ASSIGN_OR_RETURN(bool r, EvaluateCondition(c.right_expression(), inputs));
      return c.operator_() == core::ConjunctionExpression::OR ? (l || r) : (l && r);
    }
    case core::BooleanExpression::EXPR_NOT_SET: break;
  }
  return Malformed("a condition is empty");
}

}  // namespace flytecpp::engine::internal
