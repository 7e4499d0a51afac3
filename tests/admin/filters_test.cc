// flyteadmin's list filter syntax, parsed and applied.
#include "filters.h"

#include <gtest/gtest.h>

namespace flytecpp::admin {
namespace {

FieldOf Row(const std::string& phase, int64_t created_ns) {
  return [=](const std::string& f) -> std::optional<FieldValue> {
    const std::string field = OwnField(f, {"execution"});
    if (field == "phase") return FieldValue{phase, {}};
    if (field == "created_at") return FieldValue{"", created_ns};
    return std::nullopt;
  };
}

TEST(FiltersTest, PredicatesJoinedByPlusEachMustPass) {
  auto f =
      ParseFilters("value_in(execution.phase,FAILED;ABORTED)+gte(created_at,2024-01-01T00:00:00Z)");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ((*f)[0].values, (std::vector<std::string>{"FAILED", "ABORTED"}));
  const int64_t jan2 = 1704153600LL * 1000000000LL;  // 2024-01-02
  EXPECT_TRUE(*Matches(*f, Row("ABORTED", jan2)));
  EXPECT_FALSE(*Matches(*f, Row("SUCCEEDED", jan2)));
  EXPECT_FALSE(*Matches(*f, Row("FAILED", 0)));  // 1970: too early
  auto ne = ParseFilters("ne(phase,RUNNING)");
  ASSERT_TRUE(ne.ok());
  EXPECT_TRUE(*Matches(*ne, Row("SUCCEEDED", 0)));
  EXPECT_FALSE(*Matches(*ne, Row("RUNNING", 0)));
  EXPECT_TRUE(*Matches({}, Row("RUNNING", 0)));  // no filters: everything
}

TEST(FiltersTest, MistakesNameWhatIsWrong) {
  auto bad = ParseFilters("eq(phase)");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"eq(phase)\" is not op(field,value)"), std::string::npos);
  auto op = ParseFilters("like(phase,x)");
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().message().find("unknown operation \"like\""), std::string::npos);
  auto field = ParseFilters("eq(colour,red)");
  ASSERT_TRUE(field.ok());
  auto m = Matches(*field, Row("RUNNING", 0));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("cannot filter on \"colour\""), std::string::npos);
  auto time = ParseFilters("gt(created_at,yesterday)");
  ASSERT_TRUE(time.ok());
  auto t = Matches(*time, Row("RUNNING", 0));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("\"yesterday\" is not an RFC 3339 time"), std::string::npos);
}

TEST(FiltersTest, PageTokensAreOffsetsAndNothingElse) {
  ASSERT_TRUE(PageOffset("").ok());
  EXPECT_EQ(*PageOffset(""), 0u);
  ASSERT_TRUE(PageOffset("25").ok());
  EXPECT_EQ(*PageOffset("25"), 25u);
  for (const char* bad : {"-1", "ten", "1e3", "99999999999999999999999"}) {
    auto offset = PageOffset(bad);
    ASSERT_FALSE(offset.ok()) << bad;
    EXPECT_NE(offset.status().message().find("invalid token"), std::string::npos);
  }
}

}  // namespace
}  // namespace flytecpp::admin
