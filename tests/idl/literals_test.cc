#include "flytecpp/idl/literals.h"

#include <gtest/gtest.h>

namespace flytecpp::idl {
namespace {

using namespace std::chrono_literals;

TEST(LiteralsTest, EveryScalarKindHasABuilder) {
  EXPECT_EQ(KindOf(lit::Int(3)), LiteralKind::kInteger);
  EXPECT_EQ(KindOf(lit::Float(2.5)), LiteralKind::kFloat);
  EXPECT_EQ(KindOf(lit::String("x")), LiteralKind::kString);
  EXPECT_EQ(KindOf(lit::Bool(true)), LiteralKind::kBoolean);
  EXPECT_EQ(KindOf(lit::Datetime(TimePoint{})), LiteralKind::kDatetime);
  EXPECT_EQ(KindOf(lit::Duration(90s)), LiteralKind::kDuration);
  EXPECT_EQ(KindOf(lit::None()), LiteralKind::kNone);
  EXPECT_EQ(KindOf(lit::Blob("/tmp/a.csv", "csv")), LiteralKind::kBlob);
  EXPECT_EQ(KindOf(lit::Schema("/tmp/s")), LiteralKind::kSchema);
  EXPECT_EQ(KindOf(lit::StructuredDataset("/tmp/d", "parquet")), LiteralKind::kStructuredDataset);
  EXPECT_EQ(KindOf(lit::Error("n0", "boom")), LiteralKind::kError);
  EXPECT_EQ(KindOf(lit::Generic({})), LiteralKind::kGeneric);
  EXPECT_EQ(KindOf(lit::Binary("\x01\x02", "msgpack")), LiteralKind::kBinary);
  EXPECT_EQ(KindOf(lit::Union(lit::Int(1), types::Int())), LiteralKind::kUnion);
  EXPECT_EQ(KindOf(lit::List({lit::Int(1)})), LiteralKind::kCollection);
  EXPECT_EQ(KindOf(lit::Map({{"a", lit::Int(1)}})), LiteralKind::kMap);
  EXPECT_EQ(KindOf(Literal()), LiteralKind::kEmpty);
}

TEST(LiteralsTest, BuildersSetTheProtoFields) {
  Literal blob = lit::Blob("s3://b/x", "csv", flyteidl::core::BlobType::MULTIPART);
  EXPECT_EQ(blob.scalar().blob().uri(), "s3://b/x");
  EXPECT_EQ(blob.scalar().blob().metadata().type().format(), "csv");
  EXPECT_EQ(blob.scalar().blob().metadata().type().dimensionality(),
            flyteidl::core::BlobType::MULTIPART);
  Literal d = lit::Duration(1500ms);
  EXPECT_EQ(d.scalar().primitive().duration().seconds(), 1);
  EXPECT_EQ(d.scalar().primitive().duration().nanos(), 500000000);
  Literal u = lit::Union(lit::None(), types::None());
  EXPECT_TRUE(u.scalar().union_().value().scalar().has_none_type());
  EXPECT_EQ(u.scalar().union_().type().simple(), flyteidl::core::NONE);
}

TEST(LiteralsTest, NativeRoundTrip) {
  EXPECT_EQ(*FromLiteral<int64_t>(ToLiteral(int64_t{-7})), -7);
  EXPECT_EQ(*FromLiteral<int>(ToLiteral(42)), 42);
  EXPECT_DOUBLE_EQ(*FromLiteral<double>(ToLiteral(2.5)), 2.5);
  EXPECT_EQ(*FromLiteral<std::string>(ToLiteral(std::string("hi"))), "hi");
  EXPECT_EQ(*FromLiteral<bool>(ToLiteral(true)), true);
  TimePoint t(std::chrono::seconds(1700000000) + std::chrono::nanoseconds(5));
  EXPECT_EQ(*FromLiteral<TimePoint>(ToLiteral(t)), t);
  EXPECT_EQ(*FromLiteral<std::chrono::milliseconds>(ToLiteral(250ms)), 250ms);

  std::vector<std::vector<int>> nested = {{1, 2}, {}, {3}};
  EXPECT_EQ(*FromLiteral<std::vector<std::vector<int>>>(ToLiteral(nested)), nested);
  std::map<std::string, double> m = {{"a", 1.0}, {"b", -2.0}};
  EXPECT_EQ((*FromLiteral<std::map<std::string, double>>(ToLiteral(m))), m);
  std::optional<int> none;
  EXPECT_EQ(KindOf(ToLiteral(none)), LiteralKind::kNone);
  EXPECT_EQ(*FromLiteral<std::optional<int>>(lit::None()), std::nullopt);
  EXPECT_EQ(*FromLiteral<std::optional<int>>(lit::Int(4)), 4);
}

TEST(LiteralsTest, FromLiteralLooksThroughUnions) {
  Literal u = lit::Union(lit::Int(5), types::Int());
  EXPECT_EQ(*FromLiteral<int>(u), 5);
}

TEST(LiteralsTest, FromLiteralReportsMismatchWithPath) {
  auto r = FromLiteral<int>(lit::String("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "expected a int literal, got str \"x\"");

  auto v = FromLiteral<std::vector<int>>(lit::List({lit::Int(1), lit::Float(2.0)}));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("element [1]"), std::string::npos);

  auto small = FromLiteral<int8_t>(lit::Int(1000));
  EXPECT_FALSE(small.ok());
  auto unsigned_neg = FromLiteral<uint32_t>(lit::Int(-1));
  EXPECT_FALSE(unsigned_neg.ok());
}

TEST(LiteralsTest, EqualityIsByValue) {
  EXPECT_TRUE(LiteralEquals(lit::Int(1), lit::Int(1)));
  EXPECT_FALSE(LiteralEquals(lit::Int(1), lit::Int(2)));
  EXPECT_FALSE(LiteralEquals(lit::Int(1), lit::Float(1.0)));
  // Maps compare as maps; hash/metadata annotations do not count.
  Literal a = lit::Map({{"x", lit::Int(1)}, {"y", lit::String("s")}});
  Literal b = lit::Map({{"y", lit::String("s")}, {"x", lit::Int(1)}});
  b.set_hash("abc");
  (*b.mutable_metadata())["k"] = "v";
  EXPECT_TRUE(LiteralEquals(a, b));
  EXPECT_FALSE(
      LiteralEquals(lit::List({lit::Int(1), lit::Int(2)}), lit::List({lit::Int(2), lit::Int(1)})));
  EXPECT_TRUE(LiteralMapEquals(lit::Inputs({{"a", lit::Bool(true)}}),
                               lit::Inputs({{"a", lit::Bool(true)}})));
}

TEST(LiteralsTest, ShortStrings) {
  EXPECT_EQ(ShortString(lit::Int(42)), "42");
  EXPECT_EQ(ShortString(lit::Float(3)), "3.0");
  EXPECT_EQ(ShortString(lit::Float(2.5)), "2.5");
  EXPECT_EQ(ShortString(lit::String("a\"b")), "\"a\\\"b\"");
  EXPECT_EQ(ShortString(lit::Bool(false)), "false");
  EXPECT_EQ(ShortString(lit::Datetime(TimePoint(std::chrono::seconds(1704067200)))),
            "2024-01-01T00:00:00Z");
  EXPECT_EQ(ShortString(lit::Duration(90s)), "90s");
  EXPECT_EQ(ShortString(lit::None()), "none");
  EXPECT_EQ(ShortString(lit::Blob("/d/x.csv", "csv")), "blob:csv(/d/x.csv)");
  EXPECT_EQ(ShortString(lit::Error("n1", "bad")), "error(n1: bad)");
  // flytekit's msgpack (dataclasses, dicts) as JSON; bytes that are not one
  // whole msgpack value as their size.
  EXPECT_EQ(ShortString(lit::Binary("\x82\xa4name\xa1x\xa5total\x93\x01\xc3\xc0", "msgpack")),
            R"({"name":"x","total":[1,true,null]})");
  EXPECT_EQ(ShortString(lit::Binary("abc", "msgpack")), "binary(3 bytes, msgpack)");
  EXPECT_EQ(ShortString(lit::Union(lit::Int(1), types::Int())), "1");
  EXPECT_EQ(ShortString(lit::List({lit::Int(1), lit::Int(2)})), "[1, 2]");
  EXPECT_EQ(ShortString(lit::Map({{"b", lit::Int(2)}, {"a", lit::String("x")}})),
            "{a: \"x\", b: 2}");
  std::vector<Literal> many;
  for (int i = 0; i < 12; ++i) many.push_back(lit::Int(i));
  EXPECT_EQ(ShortString(lit::List(many), 3), "[0, 1, 2, … (9 more)]");
  google::protobuf::Struct s;
  (*s.mutable_fields())["k"].set_number_value(1);
  EXPECT_EQ(ShortString(lit::Generic(s)), "{\"k\":1}");
}

}  // namespace
}  // namespace flytecpp::idl
