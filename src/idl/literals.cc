#include "flytecpp/idl/literals.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

// Header-only; Boost is not needed for unpacking.
#define MSGPACK_NO_BOOST
#include <charconv>
#include <msgpack.hpp>

namespace flytecpp::idl {

using google::protobuf::util::TimeUtil;

namespace lit {
namespace {
Literal WithPrimitive(auto&& set) {
  Literal l;
  set(l.mutable_scalar()->mutable_primitive());
  return l;
}
}  // namespace

Literal Int(int64_t value) {
  return WithPrimitive([&](auto* p) { p->set_integer(value); });
}
Literal Float(double value) {
  return WithPrimitive([&](auto* p) { p->set_float_value(value); });
}
Literal String(std::string value) {
  return WithPrimitive([&](auto* p) { p->set_string_value(std::move(value)); });
}
Literal Bool(bool value) {
  return WithPrimitive([&](auto* p) { p->set_boolean(value); });
}
Literal Datetime(TimePoint value) {
  int64_t ns = value.time_since_epoch().count();
  return WithPrimitive(
      [&](auto* p) { *p->mutable_datetime() = TimeUtil::NanosecondsToTimestamp(ns); });
}
Literal Duration(std::chrono::nanoseconds value) {
  return WithPrimitive(
      [&](auto* p) { *p->mutable_duration() = TimeUtil::NanosecondsToDuration(value.count()); });
}
Literal None() {
  Literal l;
  l.mutable_scalar()->mutable_none_type();
  return l;
}
Literal Blob(std::string uri, std::string format,
             flyteidl::core::BlobType::BlobDimensionality dimensionality) {
  Literal l;
  auto* blob = l.mutable_scalar()->mutable_blob();
  blob->set_uri(std::move(uri));
  auto* type = blob->mutable_metadata()->mutable_type();
  type->set_format(std::move(format));
  type->set_dimensionality(dimensionality);
  return l;
}
Literal Schema(std::string uri, flyteidl::core::SchemaType type) {
  Literal l;
  auto* schema = l.mutable_scalar()->mutable_schema();
  schema->set_uri(std::move(uri));
  *schema->mutable_type() = std::move(type);
  return l;
}
Literal StructuredDataset(std::string uri, std::string format) {
  Literal l;
  auto* sd = l.mutable_scalar()->mutable_structured_dataset();
  sd->set_uri(std::move(uri));
  sd->mutable_metadata()->mutable_structured_dataset_type()->set_format(std::move(format));
  return l;
}
Literal Error(std::string failed_node_id, std::string message) {
  Literal l;
  auto* err = l.mutable_scalar()->mutable_error();
  err->set_failed_node_id(std::move(failed_node_id));
  err->set_message(std::move(message));
  return l;
}
Literal Generic(google::protobuf::Struct value) {
  Literal l;
  *l.mutable_scalar()->mutable_generic() = std::move(value);
  return l;
}
Literal Binary(std::string bytes, std::string tag) {
  Literal l;
  auto* bin = l.mutable_scalar()->mutable_binary();
  bin->set_value(std::move(bytes));
  bin->set_tag(std::move(tag));
  return l;
}
Literal Union(Literal value, LiteralType variant) {
  Literal l;
  auto* u = l.mutable_scalar()->mutable_union_();
  *u->mutable_value() = std::move(value);
  *u->mutable_type() = std::move(variant);
  return l;
}
Literal List(std::vector<Literal> elements) {
  Literal l;
  auto* c = l.mutable_collection();
  c->mutable_literals()->Reserve(static_cast<int>(elements.size()));
  for (auto& e : elements) *c->add_literals() = std::move(e);
  return l;
}
Literal Map(std::map<std::string, Literal> entries) {
  Literal l;
  auto* m = l.mutable_map()->mutable_literals();
  for (auto& [k, v] : entries) (*m)[k] = std::move(v);
  return l;
}
LiteralMap Inputs(std::map<std::string, Literal> entries) {
  LiteralMap out;
  for (auto& [k, v] : entries) (*out.mutable_literals())[k] = std::move(v);
  return out;
}
}  // namespace lit

LiteralKind KindOf(const Literal& literal) {
  using flyteidl::core::Primitive;
  using flyteidl::core::Scalar;
  switch (literal.value_case()) {
    case Literal::kCollection: return LiteralKind::kCollection;
    case Literal::kMap: return LiteralKind::kMap;
    case Literal::kOffloadedMetadata: return LiteralKind::kOffloaded;
    case Literal::VALUE_NOT_SET: return LiteralKind::kEmpty;
    case Literal::kScalar: break;
  }
  const Scalar& s = literal.scalar();
  switch (s.value_case()) {
    case Scalar::kPrimitive:
      switch (s.primitive().value_case()) {
        case Primitive::kInteger: return LiteralKind::kInteger;
        case Primitive::kFloatValue: return LiteralKind::kFloat;
        case Primitive::kStringValue: return LiteralKind::kString;
        case Primitive::kBoolean: return LiteralKind::kBoolean;
        case Primitive::kDatetime: return LiteralKind::kDatetime;
        case Primitive::kDuration: return LiteralKind::kDuration;
        case Primitive::VALUE_NOT_SET: return LiteralKind::kEmpty;
      }
      return LiteralKind::kEmpty;
    case Scalar::kBlob: return LiteralKind::kBlob;
    case Scalar::kBinary: return LiteralKind::kBinary;
    case Scalar::kSchema: return LiteralKind::kSchema;
    case Scalar::kNoneType: return LiteralKind::kNone;
    case Scalar::kError: return LiteralKind::kError;
    case Scalar::kGeneric: return LiteralKind::kGeneric;
    case Scalar::kStructuredDataset: return LiteralKind::kStructuredDataset;
    case Scalar::kUnion: return LiteralKind::kUnion;
    case Scalar::VALUE_NOT_SET: return LiteralKind::kEmpty;
  }
  return LiteralKind::kEmpty;
}

std::string_view LiteralKindName(LiteralKind kind) {
  switch (kind) {
    case LiteralKind::kEmpty: return "empty";
    case LiteralKind::kInteger: return "int";
    case LiteralKind::kFloat: return "float";
    case LiteralKind::kString: return "str";
    case LiteralKind::kBoolean: return "bool";
    case LiteralKind::kDatetime: return "datetime";
    case LiteralKind::kDuration: return "duration";
    case LiteralKind::kNone: return "none";
    case LiteralKind::kBlob: return "blob";
    case LiteralKind::kSchema: return "schema";
    case LiteralKind::kStructuredDataset: return "structured_dataset";
    case LiteralKind::kError: return "error";
    case LiteralKind::kGeneric: return "struct";
    case LiteralKind::kBinary: return "binary";
    case LiteralKind::kUnion: return "union";
    case LiteralKind::kCollection: return "list";
    case LiteralKind::kMap: return "map";
    case LiteralKind::kOffloaded: return "offloaded";
  }
  return "unknown";
}

namespace {
void IgnoreAnnotations(google::protobuf::util::MessageDifferencer& d) {
  const auto* desc = Literal::descriptor();
  d.IgnoreField(desc->FindFieldByName("hash"));
  d.IgnoreField(desc->FindFieldByName("metadata"));
}
}  // namespace

bool LiteralEquals(const Literal& a, const Literal& b) {
  google::protobuf::util::MessageDifferencer d;
  IgnoreAnnotations(d);
  return d.Compare(a, b);
}

bool LiteralMapEquals(const LiteralMap& a, const LiteralMap& b) {
  google::protobuf::util::MessageDifferencer d;
  IgnoreAnnotations(d);
  return d.Compare(a, b);
}

namespace {

std::string FormatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, end);
  // Keep floats visibly floats: 3 -> 3.0 (but not inf/nan/1e+20).
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

std::string BlobTypeString(const flyteidl::core::BlobType& t) {
  std::string s =
      t.dimensionality() == flyteidl::core::BlobType::MULTIPART ? "multipart_blob" : "blob";
  if (!t.format().empty()) s += ":" + t.format();
  return s;
}

void Append(std::string& out, const Literal& l, size_t max_elements);

template <typename Range, typename Fn>
void AppendElided(std::string& out, const Range& items, size_t count, size_t max_elements,
                  Fn&& each) {
  size_t i = 0;
  for (const auto& item : items) {
    if (i == max_elements) {
      out += ", … (" + std::to_string(count - max_elements) + " more)";
      break;
    }
    if (i > 0) out += ", ";
    each(item);
    ++i;
  }
}

// A msgpack value (flytekit's encoding of dataclasses, dicts and pydantic
// models) as JSON, keys in their order (a dataclass's fields). Scalars are
// written by protobuf's JSON printer (its escaping, its numbers).
void AppendJson(std::string& out, const msgpack::object& o) {
  auto scalar = [&out](const google::protobuf::Value& v) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(v, &json);
    out += json;
  };
  google::protobuf::Value v;
  switch (o.type) {
    case msgpack::type::NIL: out += "null"; return;
    case msgpack::type::BOOLEAN: out += o.via.boolean ? "true" : "false"; return;
    case msgpack::type::POSITIVE_INTEGER: out += std::to_string(o.via.u64); return;
    case msgpack::type::NEGATIVE_INTEGER: out += std::to_string(o.via.i64); return;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: v.set_number_value(o.via.f64); return scalar(v);
    case msgpack::type::STR:
      v.set_string_value(std::string(o.via.str.ptr, o.via.str.size));
      return scalar(v);
    case msgpack::type::ARRAY:
      out += "[";
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        if (i > 0) out += ",";
        AppendJson(out, o.via.array.ptr[i]);
      }
      out += "]";
      return;
    case msgpack::type::MAP:
      out += "{";
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        if (i > 0) out += ",";
        const msgpack::object& key = o.via.map.ptr[i].key;
        if (key.type == msgpack::type::STR) {
          v.set_string_value(std::string(key.via.str.ptr, key.via.str.size));
          scalar(v);
        } else {  // JSON keys are strings
          std::string k;
          AppendJson(k, key);
          v.set_string_value(k);
          scalar(v);
        }
        out += ":";
        AppendJson(out, o.via.map.ptr[i].val);
      }
      out += "}";
      return;
    default:  // bytes and extensions: their size only
      v.set_string_value(
          "<" + std::to_string(o.type == msgpack::type::BIN ? o.via.bin.size : o.via.ext.size) +
          " bytes>");
      return scalar(v);
  }
}

void Append(std::string& out, const Literal& l, size_t max_elements) {
  const auto& s = l.scalar();
  switch (KindOf(l)) {
    case LiteralKind::kEmpty: out += "<empty>"; return;
    case LiteralKind::kInteger: out += std::to_string(s.primitive().integer()); return;
    case LiteralKind::kFloat: out += FormatDouble(s.primitive().float_value()); return;
    case LiteralKind::kString: out += Quoted(s.primitive().string_value()); return;
    case LiteralKind::kBoolean: out += s.primitive().boolean() ? "true" : "false"; return;
    case LiteralKind::kDatetime: out += TimeUtil::ToString(s.primitive().datetime()); return;
    case LiteralKind::kDuration: out += TimeUtil::ToString(s.primitive().duration()); return;
    case LiteralKind::kNone: out += "none"; return;
    case LiteralKind::kBlob:
      out += BlobTypeString(s.blob().metadata().type()) + "(" + s.blob().uri() + ")";
      return;
    case LiteralKind::kSchema: out += "schema(" + s.schema().uri() + ")"; return;
    case LiteralKind::kStructuredDataset: {
      const auto& fmt = s.structured_dataset().metadata().structured_dataset_type().format();
      out += "structured_dataset";
      if (!fmt.empty()) out += ":" + fmt;
      out += "(" + s.structured_dataset().uri() + ")";
      return;
    }
    case LiteralKind::kError:
      out += "error(" + s.error().failed_node_id() + ": " + s.error().message() + ")";
      return;
    case LiteralKind::kGeneric: {
      std::string json;
      if (!google::protobuf::util::MessageToJsonString(s.generic(), &json).ok()) {
        json = "<struct>";
      }
      out += json;
      return;
    }
    case LiteralKind::kBinary:
      if (s.binary().tag() == "msgpack") {
        try {
          const std::string& bytes = s.binary().value();
          std::size_t used = 0;
          msgpack::object_handle h = msgpack::unpack(bytes.data(), bytes.size(), used);
          if (used == bytes.size()) {
            AppendJson(out, h.get());
            return;
          }
        } catch (const std::exception&) {
          // not msgpack after all: printed as bytes below
        }
      }
      out += "binary(" + std::to_string(s.binary().value().size()) + " bytes";
      if (!s.binary().tag().empty()) out += ", " + s.binary().tag();
      out += ")";
      return;
    case LiteralKind::kUnion: Append(out, s.union_().value(), max_elements); return;
    case LiteralKind::kCollection:
      out += "[";
      AppendElided(out, l.collection().literals(), l.collection().literals_size(), max_elements,
                   [&](const Literal& e) { Append(out, e, max_elements); });
      out += "]";
      return;
    case LiteralKind::kMap: {
      // Sorted keys: protobuf map iteration order is unspecified.
      std::map<std::string_view, const Literal*> sorted;
      for (const auto& [k, v] : l.map().literals()) sorted.emplace(k, &v);
      out += "{";
      AppendElided(out, sorted, sorted.size(), max_elements, [&](const auto& kv) {
        out += kv.first;
        out += ": ";
        Append(out, *kv.second, max_elements);
      });
      out += "}";
      return;
    }
    case LiteralKind::kOffloaded: out += "offloaded(" + l.offloaded_metadata().uri() + ")"; return;
  }
}
}  // namespace

std::string ShortString(const Literal& literal, size_t max_elements) {
  std::string out;
  Append(out, literal, max_elements);
  return out;
}

std::string ShortString(const LiteralMap& map, size_t max_elements) {
  Literal l;
  *l.mutable_map() = map;
  return ShortString(l, max_elements);
}

const Literal& Unwrapped(const Literal& literal) {
  const Literal* l = &literal;
  while (KindOf(*l) == LiteralKind::kUnion) l = &l->scalar().union_().value();
  return *l;
}

namespace internal {
Status KindMismatch(const Literal& literal, std::string_view wanted) {
  return InvalidArgument("expected a " + std::string(wanted) + " literal, got " +
                         std::string(LiteralKindName(KindOf(literal))) + " " +
                         ShortString(literal, 3));
}
}  // namespace internal

Result<bool> LiteralCodec<bool>::Decode(const Literal& l) {
  const Literal& u = Unwrapped(l);
  if (KindOf(u) != LiteralKind::kBoolean) return internal::KindMismatch(u, "bool");
  return u.scalar().primitive().boolean();
}

Result<std::string> LiteralCodec<std::string>::Decode(const Literal& l) {
  const Literal& u = Unwrapped(l);
  if (KindOf(u) != LiteralKind::kString) return internal::KindMismatch(u, "str");
  return u.scalar().primitive().string_value();
}

Result<TimePoint> LiteralCodec<TimePoint>::Decode(const Literal& l) {
  const Literal& u = Unwrapped(l);
  if (KindOf(u) != LiteralKind::kDatetime) return internal::KindMismatch(u, "datetime");
  int64_t ns = TimeUtil::TimestampToNanoseconds(u.scalar().primitive().datetime());
  return TimePoint(std::chrono::nanoseconds(ns));
}

Result<std::chrono::nanoseconds> DecodeDurationLiteral(const Literal& l) {
  const Literal& u = Unwrapped(l);
  if (KindOf(u) != LiteralKind::kDuration) return internal::KindMismatch(u, "duration");
  return std::chrono::nanoseconds(
      TimeUtil::DurationToNanoseconds(u.scalar().primitive().duration()));
}

std::optional<std::string> LocalPathOf(std::string_view uri) {
  if (uri.rfind("file://", 0) == 0) return std::string(uri.substr(7));
  if (!uri.empty() && uri[0] == '/') return std::string(uri);
  return std::nullopt;
}

}  // namespace flytecpp::idl
