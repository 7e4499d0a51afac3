// Type castability (flytepropeller validators/typing.go) and the literal type
// of constants (validators/utils.go).
//
// Direction matters: `upstream` is what a producer gives, `downstream` what
// the consumer declares. The checker is chosen by the downstream type.
#include "typing.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <map>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/types.h"

namespace flytecpp::compiler {

namespace core = flyteidl::core;
using google::protobuf::util::MessageDifferencer;

namespace {

bool IsSimple(const LiteralType& t, core::SimpleType s) {
  return t.has_simple() && t.simple() == s;
}

bool CastsFrom(const LiteralType& downstream, const LiteralType& upstream);

bool CollectionCasts(const LiteralType& d, const LiteralType& u) {
  if (!u.has_collection_type()) return false;
  if (IsSimple(u.collection_type(), core::NONE)) return true;  // an empty list
  return CastsFrom(d.collection_type(), u.collection_type());
}

bool MapCasts(const LiteralType& d, const LiteralType& u) {
  if (!u.has_map_value_type()) return false;
  if (IsSimple(u.map_value_type(), core::NONE)) return true;  // an empty map
  return CastsFrom(d.map_value_type(), u.map_value_type());
}

bool BlobCasts(const LiteralType& d, const LiteralType& u) {
  if (!u.has_blob()) return false;
  // Dimensionality is not compared, as in the reference.
  const std::string& uf = u.blob().format();
  const std::string& df = d.blob().format();
  return uf.empty() || df.empty() || uf == df;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

core::SimpleType SimpleOfSchemaColumn(core::SchemaType::SchemaColumn::SchemaColumnType t) {
  using C = core::SchemaType::SchemaColumn;
  switch (t) {
    case C::INTEGER: return core::INTEGER;
    case C::FLOAT: return core::FLOAT;
    case C::STRING: return core::STRING;
    case C::BOOLEAN: return core::BOOLEAN;
    case C::DATETIME: return core::DATETIME;
    case C::DURATION: return core::DURATION;
    default: return core::NONE;
  }
}

// A structured dataset's columns against a schema's (either direction of use).
bool SchemaColumnsCoveredBySd(const core::SchemaType& schema, const core::StructuredDatasetType& sd,
                              bool schema_is_downstream) {
  if (schema.columns_size() == 0 || sd.columns_size() == 0) return true;
  if (schema_is_downstream) {
    for (const auto& dc : schema.columns()) {
      auto it = std::find_if(sd.columns().begin(), sd.columns().end(),
                             [&](const auto& uc) { return uc.name() == dc.name(); });
      if (it == sd.columns().end()) return false;
      if (!it->literal_type().has_simple() ||
          it->literal_type().simple() != SimpleOfSchemaColumn(dc.type())) {
        return false;
      }
    }
  } else {
    for (const auto& dc : sd.columns()) {
      auto it = std::find_if(schema.columns().begin(), schema.columns().end(),
                             [&](const auto& uc) { return uc.name() == dc.name(); });
      if (it == schema.columns().end()) return false;
      if (!dc.literal_type().has_simple() ||
          dc.literal_type().simple() != SimpleOfSchemaColumn(it->type())) {
        return false;
      }
    }
  }
  return true;
}

bool SchemaCasts(const LiteralType& d, const LiteralType& u) {
  if (u.has_schema()) {
    if (u.schema().columns_size() == 0 || d.schema().columns_size() == 0) return true;
    for (const auto& dc : d.schema().columns()) {
      auto it = std::find_if(u.schema().columns().begin(), u.schema().columns().end(),
                             [&](const auto& uc) { return uc.name() == dc.name(); });
      if (it == u.schema().columns().end() || it->type() != dc.type()) return false;
    }
    return true;
  }
  if (u.has_structured_dataset_type()) {
    const std::string& fmt = u.structured_dataset_type().format();
    if (!fmt.empty() && !EqualsIgnoreCase(fmt, "parquet")) return false;
    return SchemaColumnsCoveredBySd(d.schema(), u.structured_dataset_type(), true);
  }
  return false;
}

bool StructuredDatasetCasts(const LiteralType& d, const LiteralType& u) {
  if (IsSimple(u, core::NONE)) return true;  // structured datasets are nullable
  const auto& dsd = d.structured_dataset_type();
  if (u.has_structured_dataset_type()) {
    const auto& usd = u.structured_dataset_type();
    if (!usd.format().empty() && !dsd.format().empty() &&
        !EqualsIgnoreCase(usd.format(), dsd.format())) {
      return false;
    }
    if (usd.columns_size() == 0 || dsd.columns_size() == 0) return true;
    for (const auto& dc : dsd.columns()) {
      auto it = std::find_if(usd.columns().begin(), usd.columns().end(),
                             [&](const auto& uc) { return uc.name() == dc.name(); });
      if (it == usd.columns().end()) return false;
      if (!CastsFrom(dc.literal_type(), it->literal_type())) return false;
    }
    return true;
  }
  if (u.has_schema()) {
    if (!dsd.format().empty() && !EqualsIgnoreCase(dsd.format(), "parquet")) return false;
    return SchemaColumnsCoveredBySd(u.schema(), dsd, false);
  }
  return false;
}

bool UnionCasts(const LiteralType& d, const LiteralType& u) {
  const auto& dvs = d.union_type().variants();
  if (u.has_union_type()) {
    for (const auto& uv : u.union_type().variants()) {
      bool found = std::any_of(dvs.begin(), dvs.end(),
                               [&](const LiteralType& dv) { return AreTypesCastable(uv, dv); });
      if (!found) return false;
    }
    return true;
  }
  // A plain value must select exactly one variant; two is ambiguous.
  int matches = 0;
  for (const auto& dv : dvs) {
    if (AreTypesCastable(u, dv) && ++matches > 1) return false;
  }
  return matches == 1;
}

// The `type` oneofs are the same, ignoring structure, metadata and
// annotation at this level. Only reached for simple, enum or unset
// downstream types, so other kinds just need their case to differ.
bool SameTypeIgnoringAnnotations(const LiteralType& u, const LiteralType& d) {
  if (u.type_case() != d.type_case()) return false;
  switch (d.type_case()) {
    case LiteralType::kSimple: return u.simple() == d.simple();
    case LiteralType::kEnumType:
      return std::equal(u.enum_type().values().begin(), u.enum_type().values().end(),
                        d.enum_type().values().begin(), d.enum_type().values().end());
    case LiteralType::TYPE_NOT_SET: return true;
    default: {
      LiteralType uc = u, dc = d;
      for (LiteralType* t : {&uc, &dc}) {
        t->clear_structure();
        t->clear_metadata();
        t->clear_annotation();
      }
      return MessageDifferencer::Equals(uc, dc);
    }
  }
}

bool TrivialCasts(const LiteralType& d, const LiteralType& u) {
  if (u.has_enum_type() && IsSimple(d, core::STRING)) return true;
  if (d.has_enum_type() && IsSimple(u, core::STRING)) return true;
  if (!u.structure().tag().empty() && u.structure().tag() != d.structure().tag()) return false;
  if (IsSimple(u, core::STRUCT) && IsSimple(d, core::STRUCT)) {
    if (!u.has_metadata() || !d.has_metadata()) return true;
    return internal::IsJsonSchemaSubtype(u.metadata(), d.metadata());
  }
  return SameTypeIgnoringAnnotations(u, d);
}

bool CastsFrom(const LiteralType& downstream, const LiteralType& upstream) {
  switch (downstream.type_case()) {
    case LiteralType::kCollectionType: return CollectionCasts(downstream, upstream);
    case LiteralType::kMapValueType: return MapCasts(downstream, upstream);
    case LiteralType::kBlob: return BlobCasts(downstream, upstream);
    case LiteralType::kSchema: return SchemaCasts(downstream, upstream);
    case LiteralType::kStructuredDatasetType: return StructuredDatasetCasts(downstream, upstream);
    case LiteralType::kUnionType: return UnionCasts(downstream, upstream);
    case LiteralType::kSimple:
      if (downstream.simple() == core::NONE) return IsSimple(upstream, core::NONE);
      return TrivialCasts(downstream, upstream);
    default: return TrivialCasts(downstream, upstream);
  }
}

}  // namespace

namespace internal {
bool IsOptional(const LiteralType& t) {
  if (!t.has_union_type()) return false;
  for (const auto& v : t.union_type().variants()) {
    if (v.has_simple() && v.simple() == core::NONE) return true;
  }
  return false;
}
}  // namespace internal

bool AreTypesCastable(const LiteralType& upstream, const LiteralType& downstream) {
  if (upstream.has_union_type() && upstream.union_type().variants_size() == 1 &&
      CastsFrom(downstream, upstream.union_type().variants(0))) {
    return true;
  }
  return CastsFrom(downstream, upstream);
}

std::optional<LiteralType> LiteralTypeForScalar(const core::Scalar& scalar) {
  LiteralType t;
  switch (scalar.value_case()) {
    case core::Scalar::kPrimitive:
      switch (scalar.primitive().value_case()) {
        case core::Primitive::kInteger: t.set_simple(core::INTEGER); break;
        case core::Primitive::kFloatValue: t.set_simple(core::FLOAT); break;
        case core::Primitive::kStringValue: t.set_simple(core::STRING); break;
        case core::Primitive::kBoolean: t.set_simple(core::BOOLEAN); break;
        case core::Primitive::kDatetime: t.set_simple(core::DATETIME); break;
        case core::Primitive::kDuration: t.set_simple(core::DURATION); break;
        case core::Primitive::VALUE_NOT_SET: t.set_simple(core::NONE); break;
      }
      return t;
    case core::Scalar::kBlob:
      if (!scalar.blob().has_metadata()) return std::nullopt;
      *t.mutable_blob() = scalar.blob().metadata().type();
      return t;
    case core::Scalar::kBinary:
      t.set_simple(scalar.binary().tag() == "msgpack" ? core::STRUCT : core::BINARY);
      return t;
    case core::Scalar::kSchema:
      // An unset schema type stays "schema of nothing", which matches nothing.
      *t.mutable_schema() = scalar.schema().type();
      return t;
    case core::Scalar::kStructuredDataset:
      if (scalar.structured_dataset().has_metadata()) {
        *t.mutable_structured_dataset_type() =
            scalar.structured_dataset().metadata().structured_dataset_type();
      } else {
        t.mutable_structured_dataset_type();
      }
      return t;
    case core::Scalar::kNoneType: t.set_simple(core::NONE); return t;
    case core::Scalar::kError: t.set_simple(core::ERROR); return t;
    case core::Scalar::kGeneric: t.set_simple(core::STRUCT); return t;
    case core::Scalar::kUnion:
      *t.mutable_union_type()->add_variants() = scalar.union_().type();
      return t;
    case core::Scalar::VALUE_NOT_SET: return std::nullopt;
  }
  return std::nullopt;
}

namespace {
// The distinct element types of a collection or map, as one type: none when
// empty, the type itself when all agree, else their union sorted by type text.
std::optional<LiteralType> CommonType(const std::vector<const core::Literal*>& items) {
  std::map<std::string, LiteralType> distinct;
  for (const core::Literal* l : items) {
    auto t = LiteralTypeForLiteral(*l);
    if (!t) return std::nullopt;
    if (t->has_union_type()) {
      for (const auto& v : t->union_type().variants()) distinct.emplace(v.SerializeAsString(), v);
    } else {
      distinct.emplace(t->SerializeAsString(), *t);
    }
  }
  LiteralType out;
  if (distinct.empty()) {
    out.set_simple(core::NONE);
    return out;
  }
  if (distinct.size() == 1) return distinct.begin()->second;
  std::vector<LiteralType> variants;
  for (auto& [k, v] : distinct) variants.push_back(v);
  std::sort(variants.begin(), variants.end(), [](const LiteralType& a, const LiteralType& b) {
    return idl::TypeString(a) < idl::TypeString(b);
  });
  for (auto& v : variants) *out.mutable_union_type()->add_variants() = std::move(v);
  return out;
}
}  // namespace

std::optional<LiteralType> LiteralTypeForLiteral(const core::Literal& literal) {
  switch (literal.value_case()) {
    case core::Literal::kScalar: return LiteralTypeForScalar(literal.scalar());
    case core::Literal::kCollection: {
      std::vector<const core::Literal*> items;
      for (const auto& l : literal.collection().literals()) items.push_back(&l);
      auto inner = CommonType(items);
      if (!inner) return std::nullopt;
      LiteralType t;
      *t.mutable_collection_type() = *inner;
      return t;
    }
    case core::Literal::kMap: {
      std::vector<const core::Literal*> items;
      for (const auto& [k, l] : literal.map().literals()) items.push_back(&l);
      auto inner = CommonType(items);
      if (!inner) return std::nullopt;
      LiteralType t;
      *t.mutable_map_value_type() = *inner;
      return t;
    }
    case core::Literal::kOffloadedMetadata: return literal.offloaded_metadata().inferred_type();
    case core::Literal::VALUE_NOT_SET: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace flytecpp::compiler
