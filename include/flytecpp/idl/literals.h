// Literal helpers: build every scalar kind, collections and maps; convert to
// and from native C++ values; compare; print briefly.
//
//   Literal x = lit::Int(3);
//   Literal xs = lit::List({lit::Float(1.5), lit::Float(2.5)});
//   Result<std::vector<double>> v = FromLiteral<std::vector<double>>(xs);
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "flytecpp/idl/types.h"
#include "flytecpp/util/status.h"
#include "flyteidl/core/literals.pb.h"

namespace flytecpp::idl {

using flyteidl::core::LiteralMap;

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

namespace lit {
Literal Int(int64_t value);
Literal Float(double value);
Literal String(std::string value);
Literal Bool(bool value);
Literal Datetime(TimePoint value);
Literal Duration(std::chrono::nanoseconds value);
Literal None();
Literal Blob(
    std::string uri, std::string format = "",
    flyteidl::core::BlobType::BlobDimensionality dimensionality = flyteidl::core::BlobType::SINGLE);
Literal Schema(std::string uri, flyteidl::core::SchemaType type = {});
Literal StructuredDataset(std::string uri, std::string format = "");
Literal Error(std::string failed_node_id, std::string message);
Literal Generic(google::protobuf::Struct value);
Literal Binary(std::string bytes, std::string tag = "");
// A union value: `value` tagged with the variant type it belongs to.
Literal Union(Literal value, LiteralType variant);
Literal List(std::vector<Literal> elements);
Literal Map(std::map<std::string, Literal> entries);
LiteralMap Inputs(std::map<std::string, Literal> entries);
}  // namespace lit

// What a literal holds, flattened over scalar kinds.
enum class LiteralKind {
  kEmpty,  // nothing set
  kInteger,
  kFloat,
  kString,
  kBoolean,
  kDatetime,
  kDuration,
  kNone,
  kBlob,
  kSchema,
  kStructuredDataset,
  kError,
  kGeneric,
  kBinary,
  kUnion,
  kCollection,
  kMap,
  kOffloaded,
};
LiteralKind KindOf(const Literal& literal);
std::string_view LiteralKindName(LiteralKind kind);

// Value equality: same kind and value, maps compared as maps; the `hash` and
// `metadata` annotations do not count.
bool LiteralEquals(const Literal& a, const Literal& b);
bool LiteralMapEquals(const LiteralMap& a, const LiteralMap& b);

// Short one-line rendering: `42`, `2.5`, `"text"`, `true`,
// `2024-01-01T00:00:00Z`, `90s`, `none`, `blob:csv(/data/x.csv)`,
// `[1, 2]`, `{a: 1, b: "x"}`. Long collections are elided after
// `max_elements` entries.
std::string ShortString(const Literal& literal, size_t max_elements = 10);
std::string ShortString(const LiteralMap& map, size_t max_elements = 10);

// The local path a data URI (a blob's, a dataset's, an offloaded literal's)
// names: a `file://` URI's path, or an absolute path; nullopt for anything
// else (s3://, gs://, … : not this machine's to look at).
std::optional<std::string> LocalPathOf(std::string_view uri);

// The value a union literal wraps (through nested unions); any other
// literal itself.
const Literal& Unwrapped(const Literal& literal);

// ---- Native conversion -------------------------------------------------
//
// ToLiteral / FromLiteral<T> for: integral types, float/double, std::string,
// bool, TimePoint, std::chrono durations, std::vector<T>,
// std::map<std::string, T>, std::optional<T> (nullopt <-> none).
// FromLiteral looks through union wrappers.

template <typename T, typename = void>
struct LiteralCodec;  // specialised below; unsupported T fails to compile

template <typename T>
Literal ToLiteral(const T& value) {
  return LiteralCodec<T>::Encode(value);
}

template <typename T>
Result<T> FromLiteral(const Literal& literal) {
  return LiteralCodec<T>::Decode(literal);
}

namespace internal {
Status KindMismatch(const Literal& literal, std::string_view wanted);
}  // namespace internal

template <typename T>
struct LiteralCodec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static Literal Encode(T v) { return lit::Int(static_cast<int64_t>(v)); }
  static Result<T> Decode(const Literal& l) {
    const Literal& u = Unwrapped(l);
    if (KindOf(u) != LiteralKind::kInteger) return internal::KindMismatch(u, "int");
    int64_t v = u.scalar().primitive().integer();
    if (static_cast<int64_t>(static_cast<T>(v)) != v || (std::is_unsigned_v<T> && v < 0)) {
      return InvalidArgument("integer " + std::to_string(v) +
                             " does not fit the requested C++ type");
    }
    return static_cast<T>(v);
  }
};

template <typename T>
struct LiteralCodec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static Literal Encode(T v) { return lit::Float(static_cast<double>(v)); }
  static Result<T> Decode(const Literal& l) {
    const Literal& u = Unwrapped(l);
    if (KindOf(u) != LiteralKind::kFloat) return internal::KindMismatch(u, "float");
    return static_cast<T>(u.scalar().primitive().float_value());
  }
};

template <>
struct LiteralCodec<bool> {
  static Literal Encode(bool v) { return lit::Bool(v); }
  static Result<bool> Decode(const Literal& l);
};

template <>
struct LiteralCodec<std::string> {
  static Literal Encode(const std::string& v) { return lit::String(v); }
  static Result<std::string> Decode(const Literal& l);
};

template <>
struct LiteralCodec<TimePoint> {
  static Literal Encode(TimePoint v) { return lit::Datetime(v); }
  static Result<TimePoint> Decode(const Literal& l);
};

template <typename Rep, typename Period>
struct LiteralCodec<std::chrono::duration<Rep, Period>> {
  using D = std::chrono::duration<Rep, Period>;
  static Literal Encode(D v) {
    return lit::Duration(std::chrono::duration_cast<std::chrono::nanoseconds>(v));
  }
  static Result<D> Decode(const Literal& l) {
    auto ns = DecodeNanos(l);
    if (!ns.ok()) return ns.status();
    return std::chrono::duration_cast<D>(*ns);
  }
  static Result<std::chrono::nanoseconds> DecodeNanos(const Literal& l);
};

Result<std::chrono::nanoseconds> DecodeDurationLiteral(const Literal& l);

template <typename Rep, typename Period>
Result<std::chrono::nanoseconds> LiteralCodec<std::chrono::duration<Rep, Period>>::DecodeNanos(
    const Literal& l) {
  return DecodeDurationLiteral(l);
}

template <typename T>
struct LiteralCodec<std::vector<T>> {
  static Literal Encode(const std::vector<T>& v) {
    std::vector<Literal> out;
    out.reserve(v.size());
    for (const auto& e : v) out.push_back(ToLiteral(e));
    return lit::List(std::move(out));
  }
  static Result<std::vector<T>> Decode(const Literal& l) {
    const Literal& u = Unwrapped(l);
    if (KindOf(u) != LiteralKind::kCollection) return internal::KindMismatch(u, "list");
    std::vector<T> out;
    out.reserve(u.collection().literals_size());
    for (int i = 0; i < u.collection().literals_size(); ++i) {
      auto e = FromLiteral<T>(u.collection().literals(i));
      if (!e.ok()) return e.status().WithContext("element [" + std::to_string(i) + "]");
      out.push_back(std::move(e).value());
    }
    return out;
  }
};

template <typename T>
struct LiteralCodec<std::map<std::string, T>> {
  static Literal Encode(const std::map<std::string, T>& v) {
    std::map<std::string, Literal> out;
    for (const auto& [k, e] : v) out.emplace(k, ToLiteral(e));
    return lit::Map(std::move(out));
  }
  static Result<std::map<std::string, T>> Decode(const Literal& l) {
    const Literal& u = Unwrapped(l);
    if (KindOf(u) != LiteralKind::kMap) return internal::KindMismatch(u, "map");
    std::map<std::string, T> out;
    for (const auto& [k, e] : u.map().literals()) {
      auto d = FromLiteral<T>(e);
      if (!d.ok()) return d.status().WithContext("key \"" + k + "\"");
      out.emplace(k, std::move(d).value());
    }
    return out;
  }
};

template <typename T>
struct LiteralCodec<std::optional<T>> {
  static Literal Encode(const std::optional<T>& v) { return v ? ToLiteral(*v) : lit::None(); }
  static Result<std::optional<T>> Decode(const Literal& l) {
    const Literal& u = Unwrapped(l);
    if (KindOf(u) == LiteralKind::kNone) return std::optional<T>();
    auto d = FromLiteral<T>(u);
    if (!d.ok()) return d.status();
    return std::optional<T>(std::move(d).value());
  }
};

}  // namespace flytecpp::idl
