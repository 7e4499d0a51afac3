// Input bindings: promises, constants, collections and maps of bindings, and
// the castability of each to the type its input declares
// (flytepropeller validators/bindings.go).
#include <cctype>

#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "typing.h"
#include "workflow_compiler.h"

namespace flytecpp::compiler::internal {

namespace {

std::string TypeText(const LiteralType& t) { return idl::TypeString(t); }

std::string BindingText(const core::BindingData& b) {
  switch (b.value_case()) {
    case core::BindingData::kScalar: {
      core::Literal l;
      *l.mutable_scalar() = b.scalar();
      return idl::ShortString(l);
    }
    case core::BindingData::kCollection:
      return "a list of " + std::to_string(b.collection().bindings_size()) + " bindings";
    case core::BindingData::kMap:
      return "a map of " + std::to_string(b.map().bindings_size()) + " bindings";
    case core::BindingData::kPromise:
      return "output " + b.promise().var() + " of " + b.promise().node_id();
    case core::BindingData::kOffloadedMetadata: return "an offloaded literal";
    case core::BindingData::VALUE_NOT_SET: break;
  }
  return "nothing";
}

// A promise's `var`: `name` or `[index].name`, name of [0-9A-Za-z_]. Parsed
// by hand: this runs once per binding and std::regex would dominate.
struct ParsedVar {
  std::optional<int> index;
  std::string name;
};
std::optional<ParsedVar> ParseVar(const std::string& var) {
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  ParsedVar out;
  size_t pos = 0;
  if (!var.empty() && var[0] == '[') {
    size_t close = var.find(']');
    if (close == std::string::npos || close == 1 || close + 1 >= var.size() ||
        var[close + 1] != '.') {
      return std::nullopt;
    }
    int index = 0;
    for (size_t i = 1; i < close; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(var[i])) || index > 100000000)
        return std::nullopt;
      index = index * 10 + (var[i] - '0');
    }
    out.index = index;
    pos = close + 2;
  }
  if (pos >= var.size()) return std::nullopt;
  for (size_t i = pos; i < var.size(); ++i) {
    if (!is_word(var[i])) return std::nullopt;
  }
  out.name = var.substr(pos);
  return out;
}

std::string ScalarKindName(const core::Scalar& s) {
  core::Literal l;
  *l.mutable_scalar() = s;
  if (s.value_case() == core::Scalar::kBlob) return "blob without metadata";
  return std::string(idl::LiteralKindName(idl::KindOf(l)));
}

}  // namespace

void WorkflowCompiler::ValidateBindings(core::Node* node,
                                        google::protobuf::RepeatedPtrField<core::Binding>* bindings,
                                        const core::VariableMap* params, bool check_types,
                                        EdgeDirection direction, core::VariableMap* resolved) {
  std::vector<const std::string*> bound;  // few per node: a vector beats a set
  static const LiteralType kNone = idl::types::None();
  for (core::Binding& b : *bindings) {
    const core::Variable* param = nullptr;
    if (params != nullptr) {
      auto it = params->variables().find(b.var());
      if (it != params->variables().end()) param = &it->second;
    }
    if (param == nullptr && check_types) {
      diag_.Add(ErrorCode::kVariableNameNotFound, node->id(),
                msg::VariableNameNotFound(b.var(), node->id()));
      continue;
    }
    if (!b.has_binding()) {
      diag_.Add(ErrorCode::kValueRequired, node->id(), msg::ValueRequired("Binding"));
      continue;
    }
    if (std::any_of(bound.begin(), bound.end(),
                    [&](const std::string* v) { return *v == b.var(); })) {
      diag_.Add(ErrorCode::kParameterBoundMoreThanOnce, node->id(),
                msg::ParameterBoundMoreThanOnce(b.var()));
      continue;
    }
    bound.push_back(&b.var());
    const LiteralType& expected = param != nullptr ? param->type() : kNone;
    BoundType r = ValidateBinding(node, b.var(), b.mutable_binding(), expected, check_types,
                                  /*want_type=*/resolved != nullptr, diag_);
    if (!r.ok) continue;
    for (std::string_view up : r.upstream) AddEdge(up, node->id(), direction);
    if (resolved != nullptr) {
      *(*resolved->mutable_variables())[b.var()].mutable_type() = std::move(r.type);
    }
  }
  if (params != nullptr) {
    for (const auto& entry : params->variables()) {
      const std::string& name = entry.first;
      bool is_bound =
          std::any_of(bound.begin(), bound.end(), [&](const std::string* b) { return *b == name; });
      if (!is_bound && !IsOptional(entry.second.type())) {
        diag_.Add(ErrorCode::kParameterNotBound, node->id(), msg::ParameterNotBound(name));
      }
    }
  }
}

WorkflowCompiler::BoundType WorkflowCompiler::ValidateBinding(
    core::Node* node, const std::string& param, core::BindingData* binding,
    const LiteralType& expected, bool check_types, bool want_type, Diagnostics& diag) {
  BoundType out;
  const std::string& id = node->id();
  // A list or map bound to a union must fit exactly one variant. Each variant
  // is tried with its errors thrown away.
  if (!binding->has_scalar() && !binding->has_promise() && expected.has_union_type()) {
    std::vector<std::pair<const LiteralType*, BoundType>> matches;
    for (const auto& variant : expected.union_type().variants()) {
      Diagnostics scratch;
      BoundType r = ValidateBinding(node, param, binding, variant, check_types, want_type, scratch);
      if (r.ok && scratch.empty()) matches.emplace_back(&variant, std::move(r));
    }
    if (matches.size() == 1) return std::move(matches[0].second);
    if (matches.size() > 1) {
      diag.Add(ErrorCode::kAmbiguousBindingUnionValue, id,
               msg::AmbiguousBindingUnionValue(param, id, TypeText(expected), BindingText(*binding),
                                               TypeText(*matches[0].first),
                                               TypeText(*matches[1].first)));
    } else {
      diag.Add(
          ErrorCode::kIncompatibleBindingUnionValue, id,
          msg::IncompatibleBindingUnionValue(param, id, TypeText(expected), BindingText(*binding)));
    }
    return out;
  }

  switch (binding->value_case()) {
    case core::BindingData::kCollection:
    case core::BindingData::kMap: {
      const bool is_list = binding->has_collection();
      if (is_list ? !expected.has_collection_type() : !expected.has_map_value_type()) {
        diag.Add(ErrorCode::kMismatchingBindings, id,
                 msg::MismatchingBindings(param, id, TypeText(expected), BindingText(*binding)));
        return out;
      }
      const LiteralType& element = is_list ? expected.collection_type() : expected.map_value_type();
      out.ok = true;
      LiteralType last;
      auto check = [&](core::BindingData* item) {
        BoundType r = ValidateBinding(node, param, item, element, check_types, want_type, diag);
        if (!r.ok) {
          out.ok = false;
          return;
        }
        out.upstream.insert(out.upstream.end(), r.upstream.begin(), r.upstream.end());
        last = std::move(r.type);
      };
      if (is_list) {
        for (auto& item : *binding->mutable_collection()->mutable_bindings()) check(&item);
        *out.type.mutable_collection_type() = last;
      } else {
        // Map order is unspecified; walk keys sorted so results are stable.
        std::map<std::string, core::BindingData*> sorted;
        for (auto& [k, v] : *binding->mutable_map()->mutable_bindings()) sorted.emplace(k, &v);
        for (auto& [k, v] : sorted) check(v);
        *out.type.mutable_map_value_type() = last;
      }
      return out;
    }
    case core::BindingData::kPromise:
      return ValidatePromise(node, param, binding->mutable_promise(), expected, check_types,
                             want_type, diag);
    case core::BindingData::kScalar:
      return ValidateScalar(node, param, binding->scalar(), expected, check_types, diag);
    case core::BindingData::kOffloadedMetadata:
    case core::BindingData::VALUE_NOT_SET:
      diag.Add(ErrorCode::kMismatchingBindings, id,
               msg::MismatchingBindings(param, id, TypeText(expected), BindingText(*binding)));
      return out;
  }
  return out;
}

WorkflowCompiler::BoundType WorkflowCompiler::ValidatePromise(
    core::Node* node, const std::string& param, core::OutputReference* promise,
    const LiteralType& expected, bool check_types, bool want_type, Diagnostics& diag) {
  BoundType out;
  const std::string& id = node->id();
  static const std::string kStart(kStartNode);
  const std::string& provider_id = promise->node_id().empty() ? kStart : promise->node_id();
  auto it = index_.find(provider_id);
  if (it == index_.end()) {
    diag.Add(ErrorCode::kNodeReferenceNotFound, provider_id,
             msg::NodeReferenceNotFound(provider_id));
    diag.Add(ErrorCode::kParameterNotBound, id, msg::ParameterNotBound(param));
    return out;
  }
  core::Node* provider = it->second;
  auto parsed = ParseVar(promise->var());
  if (!parsed) {
    diag.Add(ErrorCode::kSyntaxError, id, msg::SyntaxError(promise->var()));
    return out;
  }
  // Names as the messages show them: `<node name>.<var>` when a node has one.
  // Built only for a message: this path runs once per binding.
  auto input_var = [&] {
    return node->has_metadata() ? node->metadata().name() + "." + param : param;
  };
  auto output_var = [&] {
    return provider->has_metadata() ? provider->metadata().name() + "." + promise->var()
                                    : promise->var();
  };

  const core::VariableMap* outputs = EffectiveOutputs(provider);
  const core::Variable* source = nullptr;
  if (outputs != nullptr) {
    auto v = outputs->variables().find(parsed->name);
    if (v != outputs->variables().end()) source = &v->second;
  }
  if (source == nullptr) {
    diag.Add(ErrorCode::kVariableNameNotFound, provider_id,
             msg::VariableNameNotFound(parsed->name, provider_id));
    diag.Add(ErrorCode::kParameterNotBound, id, msg::ParameterNotBound(param));
    return out;
  }

  // The type checked: narrowed by the index and attribute path, if any.
  const LiteralType* checked = &source->type();
  LiteralType narrowed;
  if (parsed->index || promise->attr_path_size() > 0) {
    narrowed = source->type();
    checked = &narrowed;
  }
  LiteralType& type = narrowed;
  if (parsed->index) {
    if (type.has_collection_type()) {
      type = LiteralType(type.collection_type());
    } else {
      diag.Add(ErrorCode::kMismatchingTypes, id,
               msg::MismatchingTypesPromise(output_var(), TypeText(type), input_var(),
                                            TypeText(expected)));
    }
  }
  for (const auto& attr : promise->attr_path()) {
    if (type.has_collection_type()) {
      type = LiteralType(type.collection_type());
    } else if (type.has_map_value_type()) {
      type = LiteralType(type.map_value_type());
    } else if (type.structure().dataclass_type_size() > 0) {
      const auto& fields = type.structure().dataclass_type();
      auto f = fields.find(attr.string_value());
      if (attr.value_case() != core::PromiseAttribute::kStringValue || f == fields.end()) {
        std::string key = attr.value_case() == core::PromiseAttribute::kIntValue
                              ? std::to_string(attr.int_value())
                              : attr.string_value();
        diag.Add(ErrorCode::kFieldNotFound, id,
                 msg::FieldNotFound(promise->var(), TypeText(type), key));
        return out;
      }
      type = LiteralType(f->second);
    }
    // Anything else (a struct without dataclass info) is not known statically.
  }
  if (check_types && !AreTypesCastable(*checked, expected)) {
    diag.Add(ErrorCode::kMismatchingTypes, id,
             msg::MismatchingTypesPromise(output_var(), TypeText(*checked), input_var(),
                                          TypeText(expected)));
    return out;
  }
  out.ok = true;
  out.upstream.push_back(it->first);
  if (promise->node_id().empty()) promise->set_node_id(kStart);  // "" means start-node
  if (want_type) out.type = source->type();  // the whole declared type, as the reference
  return out;
}

WorkflowCompiler::BoundType WorkflowCompiler::ValidateScalar(core::Node* node,
                                                             const std::string& param,
                                                             const core::Scalar& scalar,
                                                             const LiteralType& expected,
                                                             bool check_types, Diagnostics& diag) {
  BoundType out;
  const std::string& id = node->id();
  const size_t mark = diag.Mark();
  auto type = LiteralTypeForScalar(scalar);
  if (!type) {
    diag.Add(ErrorCode::kUnrecognizedValue, id, msg::UnrecognizedValue(ScalarKindName(scalar)));
    return out;
  }
  if (check_types && !AreTypesCastable(*type, expected)) {
    diag.Add(ErrorCode::kMismatchingTypes, id,
             msg::MismatchingTypesVar(param, TypeText(*type), TypeText(expected)));
  }
  if (expected.has_enum_type()) {
    const std::string& value = scalar.primitive().string_value();
    const auto& values = expected.enum_type().values();
    if (std::find(values.begin(), values.end(), value) == values.end()) {
      diag.Add(ErrorCode::kIllegalEnumValue, id,
               msg::IllegalEnumValue(param, id, {values.begin(), values.end()}, value));
    }
  }
  out.ok = diag.CleanSince(mark);
  out.type = std::move(*type);
  return out;
}

}  // namespace flytecpp::compiler::internal
