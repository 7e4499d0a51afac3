// Castability, case by case (flyte-compiler.md §3.1), and literal types.
#include <gtest/gtest.h>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"

namespace flytecpp::compiler {
namespace {

using namespace flytecpp::idl;
namespace core = flyteidl::core;

struct Case {
  LiteralType up;
  LiteralType down;
  bool castable;
};

LiteralType Tagged(LiteralType t, std::string tag) {
  t.mutable_structure()->set_tag(std::move(tag));
  return t;
}

LiteralType Untagged(LiteralType union_type) {
  for (auto& v : *union_type.mutable_union_type()->mutable_variants()) v.clear_structure();
  return union_type;
}

LiteralType StructWithSchema(const std::string& json_props, std::vector<std::string> required) {
  LiteralType t = types::Struct();
  auto* fields = t.mutable_metadata()->mutable_fields();
  (*fields)["type"].set_string_value("object");
  auto* props = (*fields)["properties"].mutable_struct_value()->mutable_fields();
  for (char c : json_props) {
    std::string name(1, c);
    (*(*props)[name].mutable_struct_value()->mutable_fields())["type"].set_string_value("integer");
  }
  auto* req = (*fields)["required"].mutable_list_value();
  for (auto& r : required) req->add_values()->set_string_value(r);
  return t;
}

TEST(TypingTest, CastabilityTable) {
  const std::vector<Case> cases = {
      {types::Int(), types::Int(), true},
      {types::Int(), types::Float(), false},
      {types::Float(), types::Int(), false},
      {types::None(), types::Int(), false},
      {types::None(), types::None(), true},
      {types::List(types::None()), types::List(types::Int()), true},  // []
      {types::Map(types::None()), types::Map(types::Int()), true},    // {}
      {types::List(types::Int()), types::Int(), false},
      {types::List(types::Int()), types::List(types::List(types::Int())), false},
      {types::Blob("csv"), types::Blob(""), true},
      {types::Blob(""), types::Blob("csv"), true},
      {types::Blob("csv"), types::Blob("pdf"), false},
      {types::Blob("csv"), types::MultipartBlob("csv"), true},  // dimensionality ignored
      {types::String(), types::Union({types::String(), types::Int()}), true},
      {types::String(), types::Union({types::String(), types::String()}), false},  // ambiguous
      {Tagged(types::String(), "a"),
       types::Union({Tagged(types::String(), "a"), Tagged(types::String(), "b")}), true},
      {types::Union({types::Int(), types::String()}),
       types::Union({types::Int(), types::String(), types::Float()}), true},
      {types::Union({types::Int(), types::String()}), types::Int(), false},
      {Untagged(types::Union({types::Int()})), types::Int(), true},  // one variant unwraps
      {types::Union({types::Int()}), types::Int(), false},           // ...unless its tag differs
      {types::Enum({"a", "b"}), types::String(), true},
      {types::String(), types::Enum({"a", "b"}), true},
      {types::Enum({"a", "b"}), types::Enum({"b", "a"}), false},
      {types::Enum({"a", "b"}), types::Enum({"a", "b"}), true},
      {types::None(), types::StructuredDataset("parquet"), true},  // nullable
      {types::StructuredDataset("PARQUET"), types::StructuredDataset("parquet"), true},
      {types::StructuredDataset("csv"), types::StructuredDataset("parquet"), false},
      {types::StructuredDataset("parquet", {{"a", types::Int()}}),
       types::StructuredDataset("", {{"a", types::Int()}}), true},
      {types::StructuredDataset("", {{"a", types::Int()}}),
       types::StructuredDataset("", {{"b", types::Int()}}), false},
      {types::Schema({{"a", core::SchemaType::SchemaColumn::INTEGER}}),
       types::StructuredDataset("", {{"a", types::Int()}}), true},
      {types::StructuredDataset("csv"), types::Schema(), false},
      {types::StructuredDataset(""), types::Schema({{"a", core::SchemaType::SchemaColumn::FLOAT}}),
       true},
      {types::Schema({{"a", core::SchemaType::SchemaColumn::INTEGER}}),
       types::Schema({{"a", core::SchemaType::SchemaColumn::FLOAT}}), false},
      {types::Struct(), types::Struct(), true},
      {StructWithSchema("ab", {"a", "b"}), StructWithSchema("ab", {"a", "b"}), true},
      {StructWithSchema("abc", {"a", "b", "c"}), StructWithSchema("ab", {"a", "b"}),
       true},  // child
      {StructWithSchema("ab", {"a", "b"}), StructWithSchema("abc", {"a", "b", "c"}), false},
      {types::Binary(), types::Binary(), true},
      {types::Datetime(), types::Duration(), false},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    EXPECT_EQ(AreTypesCastable(c.up, c.down), c.castable)
        << "case " << i << ": " << TypeString(c.up) << " -> " << TypeString(c.down);
  }
}

TEST(TypingTest, MetadataIsIgnoredOutsideStructs) {
  LiteralType a = types::Int();
  (*a.mutable_metadata()->mutable_fields())["k"].set_string_value("v");
  EXPECT_TRUE(AreTypesCastable(a, types::Int()));
  EXPECT_TRUE(AreTypesCastable(types::List(a), types::List(types::Int())));
}

TEST(TypingTest, LiteralTypes) {
  auto t = LiteralTypeForScalar(lit::Int(3).scalar());
  ASSERT_TRUE(t);
  EXPECT_EQ(TypeString(*t), "int");
  EXPECT_EQ(TypeString(*LiteralTypeForScalar(lit::Blob("/x", "csv").scalar())), "blob:csv");
  EXPECT_EQ(TypeString(*LiteralTypeForScalar(lit::Binary("", "msgpack").scalar())), "struct");
  EXPECT_EQ(TypeString(*LiteralTypeForScalar(lit::None().scalar())), "none");
  core::Scalar bare_blob;
  bare_blob.mutable_blob()->set_uri("/x");
  EXPECT_FALSE(LiteralTypeForScalar(bare_blob));
  EXPECT_EQ(TypeString(*LiteralTypeForLiteral(lit::List({lit::Int(1), lit::String("a")}))),
            "list<union<int, str>>");
  EXPECT_EQ(TypeString(*LiteralTypeForLiteral(lit::List({}))), "list<none>");
  EXPECT_EQ(TypeString(*LiteralTypeForLiteral(lit::Map({{"a", lit::Float(1)}}))),
            "map<str, float>");
}

}  // namespace
}  // namespace flytecpp::compiler
