#include "yaml_convert.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <regex>

namespace flytecpp::idl::internal {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Value;

namespace {

// Would a YAML reader resolve this plain scalar to something other than a
// string (YAML 1.1 and 1.2 core schemas both considered)?
bool LooksNonString(const std::string& s) {
  static const std::regex kSpecial(
      "^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|"
      "on|On|ON|off|Off|OFF|y|Y|n|N|"
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|"
      "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)|0x[0-9a-fA-F]+|0o[0-7]+|[0-9:]+)$");
  return s.empty() || std::regex_match(s, kSpecial);
}

bool IsQuoted(const YAML::Node& n) { return n.Tag() == "!"; }

void Emit(YAML::Emitter& out, const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      if (n.size() == 0) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& kv : n) {
        out << YAML::Key;
        Emit(out, kv.first);
        out << YAML::Value;
        Emit(out, kv.second);
      }
      out << YAML::EndMap;
      return;
    case YAML::NodeType::Sequence:
      if (n.size() == 0) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& e : n) Emit(out, e);
      out << YAML::EndSeq;
      return;
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (IsQuoted(n) && LooksNonString(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      return;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: out << YAML::Null; return;
  }
}

std::string At(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return "";
  return std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
}

Status YamlError(const YAML::Node& n, const std::string& msg) {
  return InvalidArgument(At(n) + msg);
}

bool IsYamlNull(const YAML::Node& n) {
  if (n.IsNull()) return true;
  if (!n.IsScalar() || IsQuoted(n)) return false;
  const std::string& s = n.Scalar();
  return s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// Free-form conversion, for google.protobuf.Struct/Value/ListValue and Any:
// plain scalars become numbers/bools/null where they look like one.
Result<Value> FreeForm(const YAML::Node& n) {
  Value v;
  if (IsYamlNull(n)) {
    v.set_null_value(google::protobuf::NULL_VALUE);
    return v;
  }
  if (n.IsMap()) {
    auto* fields = v.mutable_struct_value()->mutable_fields();
    for (const auto& kv : n) {
      auto e = FreeForm(kv.second);
      if (!e.ok()) return e.status();
      (*fields)[kv.first.as<std::string>()] = std::move(e).value();
    }
    return v;
  }
  if (n.IsSequence()) {
    auto* list = v.mutable_list_value();
    for (const auto& item : n) {
      auto e = FreeForm(item);
      if (!e.ok()) return e.status();
      *list->add_values() = std::move(e).value();
    }
    return v;
  }
  const std::string& s = n.Scalar();
  if (!IsQuoted(n)) {
    if (s == "true" || s == "True" || s == "TRUE") {
      v.set_bool_value(true);
      return v;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      v.set_bool_value(false);
      return v;
    }
    double d;
    if (YAML::convert<double>::decode(n, d) && std::isfinite(d)) {
      v.set_number_value(d);
      return v;
    }
  }
  v.set_string_value(s);
  return v;
}

Result<Value> ForMessage(const YAML::Node& n, const Descriptor* type);

Result<Value> ForScalarField(const YAML::Node& n, const FieldDescriptor* f) {
  Value v;
  if (IsYamlNull(n)) {
    v.set_null_value(google::protobuf::NULL_VALUE);
    return v;
  }
  if (f->type() == FieldDescriptor::TYPE_MESSAGE || f->type() == FieldDescriptor::TYPE_GROUP) {
    return ForMessage(n, f->message_type());
  }
  if (!n.IsScalar()) {
    return YamlError(n, "field \"" + f->name() + "\" expects a scalar value");
  }
  const std::string& s = n.Scalar();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_ENUM:
    case FieldDescriptor::CPPTYPE_INT64:  // JSON carries 64-bit ints as strings
    case FieldDescriptor::CPPTYPE_UINT64: v.set_string_value(s); return v;
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool b;
      if (!YAML::convert<bool>::decode(n, b)) {
        return YamlError(n, "field \"" + f->name() + "\" expects true or false, got \"" + s + "\"");
      }
      v.set_bool_value(b);
      return v;
    }
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double d;
      if (YAML::convert<double>::decode(n, d) && std::isfinite(d)) {
        v.set_number_value(d);
      } else {
        v.set_string_value(s);  // "NaN", "Infinity" or an error the JSON parser names
      }
      return v;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: break;
  }
  return YamlError(n, "unsupported field type for \"" + f->name() + "\"");
}

Result<Value> ForField(const YAML::Node& n, const FieldDescriptor* f) {
  if (f->is_map()) {
    if (IsYamlNull(n)) return FreeForm(n);
    if (!n.IsMap()) return YamlError(n, "field \"" + f->name() + "\" expects a mapping");
    const FieldDescriptor* value_field = f->message_type()->map_value();
    Value v;
    auto* fields = v.mutable_struct_value()->mutable_fields();
    for (const auto& kv : n) {
      auto e = ForScalarField(kv.second, value_field);
      if (!e.ok()) return e.status();
      (*fields)[kv.first.as<std::string>()] = std::move(e).value();
    }
    return v;
  }
  if (f->is_repeated()) {
    if (IsYamlNull(n)) return FreeForm(n);
    if (!n.IsSequence()) return YamlError(n, "field \"" + f->name() + "\" expects a list");
    Value v;
    auto* list = v.mutable_list_value();
    for (const auto& item : n) {
      auto e = ForScalarField(item, f);
      if (!e.ok()) return e.status();
      *list->add_values() = std::move(e).value();
    }
    return v;
  }
  return ForScalarField(n, f);
}

Result<Value> ForMessage(const YAML::Node& n, const Descriptor* type) {
  const std::string& name = type->full_name();
  Value v;
  if (IsYamlNull(n)) return FreeForm(n);
  if (name == "google.protobuf.Struct" || name == "google.protobuf.Value" ||
      name == "google.protobuf.ListValue" || name == "google.protobuf.Any") {
    return FreeForm(n);
  }
  if (name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
      name == "google.protobuf.FieldMask") {
    if (!n.IsScalar()) return YamlError(n, name + " expects a string such as 90s");
    v.set_string_value(n.Scalar());
    return v;
  }
  if (type->file()->name() == "google/protobuf/wrappers.proto") {
    return ForScalarField(n, type->FindFieldByName("value"));
  }
  if (!n.IsMap()) {
    return YamlError(n, "expected a mapping for " + name);
  }
  auto* fields = v.mutable_struct_value()->mutable_fields();
  for (const auto& kv : n) {
    std::string key = kv.first.as<std::string>();
    const FieldDescriptor* f = type->FindFieldByName(key);
    if (f == nullptr) f = type->FindFieldByCamelcaseName(key);
    if (f == nullptr) {
      for (int i = 0; i < type->field_count() && f == nullptr; ++i) {
        if (type->field(i)->json_name() == key) f = type->field(i);
      }
    }
    if (f == nullptr) return YamlError(kv.first, "unknown field \"" + key + "\" in " + name);
    auto e = ForField(kv.second, f);
    if (!e.ok()) return e.status();
    (*fields)[key] = std::move(e).value();
  }
  return v;
}

}  // namespace

Result<std::string> JsonToYaml(std::string_view json) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(json));
  } catch (const YAML::Exception& e) {
    return Internal(std::string("JSON to YAML: ") + e.what());
  }
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, root);
  if (!out.good()) return Internal("YAML emitter: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

Result<std::string> YamlToJson(std::string_view yaml, const Descriptor* type) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return InvalidArgument("invalid YAML at " + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("invalid YAML: ") + e.what());
  }
  if (!root.IsDefined() || root.IsNull()) {
    return InvalidArgument("invalid YAML: the document is empty");
  }
  // yaml-cpp throws on conversions of malformed nodes; keep that inside.
  auto value = [&]() -> Result<Value> {
    try {
      return ForMessage(root, type);
    } catch (const YAML::Exception& e) {
      return InvalidArgument(std::string("invalid YAML: ") + e.what());
    }
  }();
  if (!value.ok()) return value.status();
  std::string json;
  auto st = google::protobuf::util::MessageToJsonString(*value, &json);
  if (!st.ok()) return Internal("YAML to JSON: " + st.ToString());
  return json;
}

}  // namespace flytecpp::idl::internal
