#include "flytecpp/idl/types.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "flytecpp/idl/literals.h"

namespace flytecpp::idl {

using flyteidl::core::SimpleType;
using google::protobuf::util::TimeUtil;

namespace types {
LiteralType Simple(SimpleType simple) {
  LiteralType t;
  t.set_simple(simple);
  return t;
}
LiteralType Int() { return Simple(flyteidl::core::INTEGER); }
LiteralType Float() { return Simple(flyteidl::core::FLOAT); }
LiteralType String() { return Simple(flyteidl::core::STRING); }
LiteralType Bool() { return Simple(flyteidl::core::BOOLEAN); }
LiteralType Datetime() { return Simple(flyteidl::core::DATETIME); }
LiteralType Duration() { return Simple(flyteidl::core::DURATION); }
LiteralType None() { return Simple(flyteidl::core::NONE); }
LiteralType Struct() { return Simple(flyteidl::core::STRUCT); }
LiteralType Binary() { return Simple(flyteidl::core::BINARY); }
LiteralType Error() { return Simple(flyteidl::core::ERROR); }
LiteralType Blob(std::string format, flyteidl::core::BlobType::BlobDimensionality dimensionality) {
  LiteralType t;
  t.mutable_blob()->set_format(std::move(format));
  t.mutable_blob()->set_dimensionality(dimensionality);
  return t;
}
LiteralType MultipartBlob(std::string format) {
  return Blob(std::move(format), flyteidl::core::BlobType::MULTIPART);
}
LiteralType List(LiteralType element) {
  LiteralType t;
  *t.mutable_collection_type() = std::move(element);
  return t;
}
LiteralType Map(LiteralType value) {
  LiteralType t;
  *t.mutable_map_value_type() = std::move(value);
  return t;
}
LiteralType Enum(std::vector<std::string> values) {
  LiteralType t;
  for (auto& v : values) t.mutable_enum_type()->add_values(std::move(v));
  return t;
}
LiteralType Union(std::vector<LiteralType> variants) {
  LiteralType t;
  auto* u = t.mutable_union_type();
  for (auto& v : variants) {
    // Flyte tags each variant with its type name; the compiler matches on it.
    if (v.structure().tag().empty()) v.mutable_structure()->set_tag(TypeString(v));
    *u->add_variants() = std::move(v);
  }
  return t;
}
LiteralType Schema(
    std::vector<std::pair<std::string, flyteidl::core::SchemaType::SchemaColumn::SchemaColumnType>>
        columns) {
  LiteralType t;
  auto* s = t.mutable_schema();
  for (auto& [name, type] : columns) {
    auto* c = s->add_columns();
    c->set_name(name);
    c->set_type(type);
  }
  return t;
}
LiteralType StructuredDataset(std::string format,
                              std::vector<std::pair<std::string, LiteralType>> columns) {
  LiteralType t;
  auto* sd = t.mutable_structured_dataset_type();
  sd->set_format(std::move(format));
  for (auto& [name, type] : columns) {
    auto* c = sd->add_columns();
    c->set_name(name);
    *c->mutable_literal_type() = std::move(type);
  }
  return t;
}
}  // namespace types

namespace {

std::string_view SimpleName(SimpleType s) {
  switch (s) {
    case flyteidl::core::NONE: return "none";
    case flyteidl::core::INTEGER: return "int";
    case flyteidl::core::FLOAT: return "float";
    case flyteidl::core::STRING: return "str";
    case flyteidl::core::BOOLEAN: return "bool";
    case flyteidl::core::DATETIME: return "datetime";
    case flyteidl::core::DURATION: return "duration";
    case flyteidl::core::BINARY: return "binary";
    case flyteidl::core::ERROR: return "error";
    case flyteidl::core::STRUCT: return "struct";
    default: return "unknown";
  }
}

std::string_view SchemaColumnName(flyteidl::core::SchemaType::SchemaColumn::SchemaColumnType t) {
  using C = flyteidl::core::SchemaType::SchemaColumn;
  switch (t) {
    case C::INTEGER: return "int";
    case C::FLOAT: return "float";
    case C::STRING: return "str";
    case C::BOOLEAN: return "bool";
    case C::DATETIME: return "datetime";
    case C::DURATION: return "duration";
    default: return "unknown";
  }
}

}  // namespace

std::string TypeString(const LiteralType& type) {
  switch (type.type_case()) {
    case LiteralType::kSimple: return std::string(SimpleName(type.simple()));
    case LiteralType::kSchema: {
      std::string s = "schema";
      if (type.schema().columns_size() == 0) return s;
      s += "<";
      for (int i = 0; i < type.schema().columns_size(); ++i) {
        const auto& c = type.schema().columns(i);
        if (i) s += ", ";
        s += c.name() + ": " + std::string(SchemaColumnName(c.type()));
      }
      return s + ">";
    }
    case LiteralType::kCollectionType: return "list<" + TypeString(type.collection_type()) + ">";
    case LiteralType::kMapValueType: return "map<str, " + TypeString(type.map_value_type()) + ">";
    case LiteralType::kBlob: {
      std::string s = type.blob().dimensionality() == flyteidl::core::BlobType::MULTIPART
                          ? "multipart_blob"
                          : "blob";
      if (!type.blob().format().empty()) s += ":" + type.blob().format();
      return s;
    }
    case LiteralType::kEnumType: {
      std::string s = "enum<";
      for (int i = 0; i < type.enum_type().values_size(); ++i) {
        if (i) s += ", ";
        s += type.enum_type().values(i);
      }
      return s + ">";
    }
    case LiteralType::kStructuredDatasetType: {
      const auto& sd = type.structured_dataset_type();
      std::string s = "structured_dataset";
      if (!sd.format().empty()) s += ":" + sd.format();
      if (sd.columns_size() == 0) return s;
      s += "<";
      for (int i = 0; i < sd.columns_size(); ++i) {
        if (i) s += ", ";
        s += sd.columns(i).name() + ": " + TypeString(sd.columns(i).literal_type());
      }
      return s + ">";
    }
    case LiteralType::kUnionType: {
      std::string s = "union<";
      for (int i = 0; i < type.union_type().variants_size(); ++i) {
        if (i) s += ", ";
        s += TypeString(type.union_type().variants(i));
      }
      return s + ">";
    }
    case LiteralType::TYPE_NOT_SET: return "<unset>";
  }
  return "<unknown>";
}

Result<Literal> DefaultLiteral(const LiteralType& type) {
  switch (type.type_case()) {
    case LiteralType::kSimple:
      switch (type.simple()) {
        case flyteidl::core::NONE: return lit::None();
        case flyteidl::core::INTEGER: return lit::Int(0);
        case flyteidl::core::FLOAT: return lit::Float(0.0);
        case flyteidl::core::STRING: return lit::String("");
        case flyteidl::core::BOOLEAN: return lit::Bool(false);
        case flyteidl::core::DATETIME: return lit::Datetime(TimePoint{});
        case flyteidl::core::DURATION: return lit::Duration(std::chrono::nanoseconds(0));
        case flyteidl::core::BINARY: return lit::Binary("");
        case flyteidl::core::ERROR: return lit::Error("", "");
        case flyteidl::core::STRUCT: return lit::Generic({});
        default: break;
      }
      break;
    case LiteralType::kSchema: return lit::Schema("", type.schema());
    case LiteralType::kCollectionType: return lit::List({});
    case LiteralType::kMapValueType: return lit::Map({});
    case LiteralType::kBlob:
      return lit::Blob("", type.blob().format(), type.blob().dimensionality());
    case LiteralType::kEnumType:
      if (type.enum_type().values_size() == 0) break;
      return lit::String(type.enum_type().values(0));
    case LiteralType::kStructuredDatasetType: {
      Literal l = lit::StructuredDataset("", "");
      *l.mutable_scalar()
           ->mutable_structured_dataset()
           ->mutable_metadata()
           ->mutable_structured_dataset_type() = type.structured_dataset_type();
      return l;
    }
    case LiteralType::kUnionType: {
      const auto& vs = type.union_type().variants();
      if (vs.empty()) break;
      auto none = std::find_if(vs.begin(), vs.end(), [](const LiteralType& v) {
        return v.has_simple() && v.simple() == flyteidl::core::NONE;
      });
      const LiteralType& pick = none != vs.end() ? *none : vs[0];
      auto inner = DefaultLiteral(pick);
      if (!inner.ok()) return inner.status();
      return lit::Union(std::move(inner).value(), pick);
    }
    case LiteralType::TYPE_NOT_SET: break;
  }
  return InvalidArgument("type " + TypeString(type) + " has no default value");
}

// ---- ParseLiteral ----------------------------------------------------------

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status CannotParse(std::string_view text, const LiteralType& type, std::string_view why = "") {
  std::string msg = "cannot parse \"" + std::string(text) + "\" as " + TypeString(type);
  if (!why.empty()) msg += ": " + std::string(why);
  return InvalidArgument(std::move(msg));
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string tmp(s);  // strtod needs a terminated string
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || errno == ERANGE) return std::nullopt;
  return v;
}

// `90s`, `1h30m`, `250ms`, `1.5s`, `2d`, `-5m`; also protobuf's `3.000001s`.
std::optional<std::chrono::nanoseconds> ParseDurationText(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s.front() == '-' || s.front() == '+') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  long double total_ns = 0;
  bool any = false;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) ++n;
    if (n == 0) return std::nullopt;
    auto number = ParseDouble(s.substr(0, n));
    if (!number) return std::nullopt;
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && std::isalpha(static_cast<unsigned char>(s[u]))) ++u;
    std::string unit(s.substr(0, u));
    s.remove_prefix(u);
    long double scale;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else if (unit == "d")
      scale = 86400e9;
    else
      return std::nullopt;
    total_ns += static_cast<long double>(*number) * scale;
    any = true;
  }
  if (!any || total_ns > 9.2e18L) return std::nullopt;
  auto ns = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total_ns)));
  return negative ? -ns : ns;
}

std::optional<Literal> ParseDatetime(std::string_view text) {
  std::string s(text);
  if (s.size() == 10) s += "T00:00:00Z";  // a bare date
  google::protobuf::Timestamp ts;
  if (!TimeUtil::FromString(s, &ts)) return std::nullopt;
  Literal l;
  *l.mutable_scalar()->mutable_primitive()->mutable_datetime() = ts;
  return l;
}

Result<std::string> ResolveUri(std::string_view text, const LiteralType& type) {
  if (text.empty()) return CannotParse(text, type, "empty path");
  if (text.find("://") != std::string_view::npos) return std::string(text);
  std::error_code ec;
  std::filesystem::path p(text);
  if (!std::filesystem::exists(p, ec)) {
    return CannotParse(text, type, "no such file or directory");
  }
  return std::filesystem::absolute(p, ec).lexically_normal().string();
}

Result<Literal> ParseScalarText(std::string_view text, const LiteralType& type);

// JSON value (already parsed) to a literal of `type`.
Result<Literal> FromJsonValue(const google::protobuf::Value& v, const LiteralType& type,
                              const std::string& where) {
  using google::protobuf::Value;
  auto mismatch = [&](std::string_view expected) {
    return InvalidArgument(where + ": expected " + std::string(expected) + " for " +
                           TypeString(type));
  };
  switch (type.type_case()) {
    case LiteralType::kCollectionType: {
      if (v.kind_case() != Value::kListValue) return mismatch("a JSON array");
      std::vector<Literal> out;
      for (int i = 0; i < v.list_value().values_size(); ++i) {
        auto e = FromJsonValue(v.list_value().values(i), type.collection_type(),
                               where + "[" + std::to_string(i) + "]");
        if (!e.ok()) return e.status();
        out.push_back(std::move(e).value());
      }
      return lit::List(std::move(out));
    }
    case LiteralType::kMapValueType: {
      if (v.kind_case() != Value::kStructValue) return mismatch("a JSON object");
      std::map<std::string, Literal> out;
      for (const auto& [k, e] : v.struct_value().fields()) {
        auto d = FromJsonValue(e, type.map_value_type(), where + "." + k);
        if (!d.ok()) return d.status();
        out.emplace(k, std::move(d).value());
      }
      return lit::Map(std::move(out));
    }
    case LiteralType::kSimple:
      switch (type.simple()) {
        case flyteidl::core::INTEGER: {
          if (v.kind_case() == Value::kStringValue) break;
          double d = v.number_value();
          if (v.kind_case() != Value::kNumberValue || std::trunc(d) != d ||
              std::fabs(d) > 9.007199254740992e15) {
            return mismatch("an integer");
          }
          return lit::Int(static_cast<int64_t>(d));
        }
        case flyteidl::core::FLOAT:
          if (v.kind_case() == Value::kStringValue) break;
          if (v.kind_case() != Value::kNumberValue) return mismatch("a number");
          return lit::Float(v.number_value());
        case flyteidl::core::BOOLEAN:
          if (v.kind_case() == Value::kStringValue) break;
          if (v.kind_case() != Value::kBoolValue) return mismatch("true or false");
          return lit::Bool(v.bool_value());
        case flyteidl::core::NONE:
          if (v.kind_case() != Value::kNullValue) return mismatch("null");
          return lit::None();
        case flyteidl::core::STRUCT:
          if (v.kind_case() != Value::kStructValue) return mismatch("a JSON object");
          return lit::Generic(v.struct_value());
        default: break;
      }
      break;
    case LiteralType::kUnionType:
      for (const auto& variant : type.union_type().variants()) {
        auto d = FromJsonValue(v, variant, where);
        if (d.ok()) return lit::Union(std::move(d).value(), variant);
      }
      return mismatch("a value of one of the variants");
    default: break;
  }
  // Everything else is written as a JSON string holding the command-line text.
  if (v.kind_case() != Value::kStringValue) return mismatch("a JSON string");
  auto r = ParseScalarText(v.string_value(), type);
  if (!r.ok()) return r.status().WithContext(where);
  return r;
}

Result<Literal> ParseJson(std::string_view text, const LiteralType& type) {
  google::protobuf::Value value;
  auto st = google::protobuf::util::JsonStringToMessage(std::string(text), &value);
  if (!st.ok()) return CannotParse(text, type, "invalid JSON");
  return FromJsonValue(value, type, "value");
}

Result<Literal> ParseScalarText(std::string_view text, const LiteralType& type) {
  switch (type.type_case()) {
    case LiteralType::kSimple:
      switch (type.simple()) {
        case flyteidl::core::INTEGER:
          if (auto v = ParseInt(text)) return lit::Int(*v);
          return CannotParse(text, type);
        case flyteidl::core::FLOAT:
          if (auto v = ParseDouble(text)) return lit::Float(*v);
          return CannotParse(text, type);
        case flyteidl::core::STRING: return lit::String(std::string(text));
        case flyteidl::core::BOOLEAN: {
          std::string l = Lower(text);
          if (l == "true" || l == "1" || l == "yes") return lit::Bool(true);
          if (l == "false" || l == "0" || l == "no") return lit::Bool(false);
          return CannotParse(text, type, "use true or false");
        }
        case flyteidl::core::DATETIME:
          if (auto l = ParseDatetime(text)) return *l;
          return CannotParse(text, type, "use RFC 3339, e.g. 2024-01-01T00:00:00Z");
        case flyteidl::core::DURATION:
          if (auto d = ParseDurationText(text)) return lit::Duration(*d);
          return CannotParse(text, type, "use e.g. 90s, 1h30m, 250ms");
        case flyteidl::core::NONE: {
          std::string l = Lower(text);
          if (l.empty() || l == "none" || l == "null") return lit::None();
          return CannotParse(text, type, "use none");
        }
        case flyteidl::core::BINARY: return lit::Binary(std::string(text));
        case flyteidl::core::STRUCT: return ParseJson(text, type);
        case flyteidl::core::ERROR:
        default: return CannotParse(text, type, "not settable from text");
      }
    case LiteralType::kCollectionType:
    case LiteralType::kMapValueType: return ParseJson(text, type);
    case LiteralType::kBlob: {
      auto uri = ResolveUri(text, type);
      if (!uri.ok()) return uri.status();
      return lit::Blob(std::move(uri).value(), type.blob().format(), type.blob().dimensionality());
    }
    case LiteralType::kSchema: {
      auto uri = ResolveUri(text, type);
      if (!uri.ok()) return uri.status();
      return lit::Schema(std::move(uri).value(), type.schema());
    }
    case LiteralType::kStructuredDatasetType: {
      auto uri = ResolveUri(text, type);
      if (!uri.ok()) return uri.status();
      Literal l = lit::StructuredDataset(std::move(uri).value());
      *l.mutable_scalar()
           ->mutable_structured_dataset()
           ->mutable_metadata()
           ->mutable_structured_dataset_type() = type.structured_dataset_type();
      return l;
    }
    case LiteralType::kEnumType: {
      for (const auto& v : type.enum_type().values()) {
        if (v == text) return lit::String(v);
      }
      return CannotParse(text, type, "not one of the enum values");
    }
    case LiteralType::kUnionType: {
      const auto& vs = type.union_type().variants();
      std::string l = Lower(text);
      if (l == "none" || l == "null") {
        for (const auto& v : vs) {
          if (v.has_simple() && v.simple() == flyteidl::core::NONE) {
            return lit::Union(lit::None(), v);
          }
        }
      }
      for (const auto& v : vs) {
        if (v.has_simple() && v.simple() == flyteidl::core::NONE) continue;
        auto r = ParseScalarText(text, v);
        if (r.ok()) return lit::Union(std::move(r).value(), v);
      }
      return CannotParse(text, type, "matches no variant");
    }
    case LiteralType::TYPE_NOT_SET: return CannotParse(text, type, "the declared type is unset");
  }
  return CannotParse(text, type);
}

}  // namespace

Result<Literal> ParseLiteral(std::string_view text, const LiteralType& type) {
  return ParseScalarText(text, type);
}

}  // namespace flytecpp::idl
