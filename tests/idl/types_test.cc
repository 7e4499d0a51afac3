#include "flytecpp/idl/types.h"

#include <gtest/gtest.h>

#include <fstream>

#include "flytecpp/idl/literals.h"
#include "test_support.h"

namespace flytecpp::idl {
namespace {

using namespace std::chrono_literals;

TEST(TypesTest, TypeStrings) {
  EXPECT_EQ(TypeString(types::Int()), "int");
  EXPECT_EQ(TypeString(types::Float()), "float");
  EXPECT_EQ(TypeString(types::String()), "str");
  EXPECT_EQ(TypeString(types::Bool()), "bool");
  EXPECT_EQ(TypeString(types::Datetime()), "datetime");
  EXPECT_EQ(TypeString(types::Duration()), "duration");
  EXPECT_EQ(TypeString(types::None()), "none");
  EXPECT_EQ(TypeString(types::Struct()), "struct");
  EXPECT_EQ(TypeString(types::Binary()), "binary");
  EXPECT_EQ(TypeString(types::Error()), "error");
  EXPECT_EQ(TypeString(types::List(types::Float())), "list<float>");
  EXPECT_EQ(TypeString(types::Map(types::Blob("csv"))), "map<str, blob:csv>");
  EXPECT_EQ(TypeString(types::Union({types::Int(), types::None()})), "union<int, none>");
  EXPECT_EQ(TypeString(types::Enum({"red", "green"})), "enum<red, green>");
  EXPECT_EQ(TypeString(types::Blob()), "blob");
  EXPECT_EQ(TypeString(types::MultipartBlob("csv")), "multipart_blob:csv");
  EXPECT_EQ(TypeString(types::Schema({{"a", flyteidl::core::SchemaType::SchemaColumn::INTEGER}})),
            "schema<a: int>");
  EXPECT_EQ(TypeString(types::StructuredDataset("parquet", {{"x", types::Float()}})),
            "structured_dataset:parquet<x: float>");
  EXPECT_EQ(TypeString(LiteralType()), "<unset>");
}

TEST(TypesTest, UnionVariantsAreTagged) {
  LiteralType u = types::Union({types::Int(), types::String()});
  EXPECT_EQ(u.union_type().variants(0).structure().tag(), "int");
  EXPECT_EQ(u.union_type().variants(1).structure().tag(), "str");
}

TEST(TypesTest, DefaultLiterals) {
  EXPECT_TRUE(LiteralEquals(*DefaultLiteral(types::Int()), lit::Int(0)));
  EXPECT_TRUE(LiteralEquals(*DefaultLiteral(types::String()), lit::String("")));
  EXPECT_TRUE(LiteralEquals(*DefaultLiteral(types::List(types::Int())), lit::List({})));
  EXPECT_TRUE(LiteralEquals(*DefaultLiteral(types::Enum({"a", "b"})), lit::String("a")));
  EXPECT_TRUE(LiteralEquals(
      *DefaultLiteral(types::Union({types::Int(), types::None()})),
      lit::Union(lit::None(),
                 types::Union({types::Int(), types::None()}).union_type().variants(1))));
  auto blob = DefaultLiteral(types::Blob("csv"));
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->scalar().blob().metadata().type().format(), "csv");
  EXPECT_FALSE(DefaultLiteral(LiteralType()).ok());
  EXPECT_FALSE(DefaultLiteral(types::Enum({})).ok());
}

struct ParseCase {
  std::string text;
  LiteralType type;
  Literal want;
};

TEST(TypesTest, ParseLiteralAccepts) {
  const std::vector<ParseCase> cases = {
      {"3", types::Int(), lit::Int(3)},
      {"-12", types::Int(), lit::Int(-12)},
      {"2.5", types::Float(), lit::Float(2.5)},
      {"1e3", types::Float(), lit::Float(1000)},
      {"true", types::Bool(), lit::Bool(true)},
      {"No", types::Bool(), lit::Bool(false)},
      {"hello world", types::String(), lit::String("hello world")},
      {"2024-01-01T00:00:00Z", types::Datetime(),
       lit::Datetime(TimePoint(std::chrono::seconds(1704067200)))},
      {"2024-01-01", types::Datetime(), lit::Datetime(TimePoint(std::chrono::seconds(1704067200)))},
      {"90s", types::Duration(), lit::Duration(90s)},
      {"1h30m", types::Duration(), lit::Duration(90min)},
      {"250ms", types::Duration(), lit::Duration(250ms)},
      {"1.5s", types::Duration(), lit::Duration(1500ms)},
      {"none", types::None(), lit::None()},
      {"[1, 2, 3]", types::List(types::Int()), lit::List({lit::Int(1), lit::Int(2), lit::Int(3)})},
      {"[[1.5], []]", types::List(types::List(types::Float())),
       lit::List({lit::List({lit::Float(1.5)}), lit::List({})})},
      {"{\"a\": \"x\"}", types::Map(types::String()), lit::Map({{"a", lit::String("x")}})},
      {"[\"90s\"]", types::List(types::Duration()), lit::List({lit::Duration(90s)})},
      {"green", types::Enum({"red", "green"}), lit::String("green")},
      {"7", types::Union({types::Int(), types::None()}),
       lit::Union(lit::Int(7), types::Union({types::Int()}).union_type().variants(0))},
      {"none", types::Union({types::Int(), types::None()}),
       lit::Union(lit::None(), types::Union({types::None()}).union_type().variants(0))},
      {"s3://bucket/x.csv", types::Blob("csv"), lit::Blob("s3://bucket/x.csv", "csv")},
  };
  for (const auto& c : cases) {
    auto got = ParseLiteral(c.text, c.type);
    ASSERT_TRUE(got.ok()) << c.text << " as " << TypeString(c.type) << ": "
                          << got.status().ToString();
    EXPECT_TRUE(LiteralEquals(*got, c.want))
        << c.text << ": got " << ShortString(*got) << " want " << ShortString(c.want);
  }
}

TEST(TypesTest, ParseLiteralStruct) {
  auto got = ParseLiteral(R"({"a": 1, "b": [true, "x"]})", types::Struct());
  ASSERT_TRUE(got.ok());
  const auto& fields = got->scalar().generic().fields();
  EXPECT_EQ(fields.at("a").number_value(), 1);
  EXPECT_EQ(fields.at("b").list_value().values(1).string_value(), "x");
}

TEST(TypesTest, ParseLiteralLocalBlobPathBecomesAbsolute) {
  testing::TempDir dir;
  auto file = dir.path() / "data.csv";
  std::ofstream(file) << "a,b\n";
  auto got = ParseLiteral(file.string(), types::Blob("csv"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->scalar().blob().uri(), file.string());
  auto missing = ParseLiteral((dir.path() / "nope.csv").string(), types::Blob("csv"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no such file"), std::string::npos);
}

TEST(TypesTest, ParseLiteralRejectsWithClearMessages) {
  struct Bad {
    std::string text;
    LiteralType type;
    std::string expect_in_message;
  };
  const std::vector<Bad> cases = {
      {"3.5", types::Int(), "cannot parse \"3.5\" as int"},
      {"", types::Int(), "as int"},
      {"12abc", types::Int(), "as int"},
      {"maybe", types::Bool(), "use true or false"},
      {"yesterday", types::Datetime(), "RFC 3339"},
      {"5 parsecs", types::Duration(), "90s"},
      {"[1, 2.5]", types::List(types::Int()), "value[1]: expected an integer"},
      {"[1,", types::List(types::Int()), "invalid JSON"},
      {"{\"a\": 1}", types::List(types::Int()), "expected a JSON array"},
      {"purple", types::Enum({"red"}), "not one of the enum values"},
      {"x", types::Union({types::Int(), types::Float()}), "matches no variant"},
      {"x", types::Error(), "not settable"},
  };
  for (const auto& c : cases) {
    auto got = ParseLiteral(c.text, c.type);
    ASSERT_FALSE(got.ok()) << c.text << " as " << TypeString(c.type);
    EXPECT_NE(got.status().message().find(c.expect_in_message), std::string::npos)
        << got.status().message();
  }
}

}  // namespace
}  // namespace flytecpp::idl
