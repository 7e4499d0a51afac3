// One-line messages from what libraries and programs print.
#include "flytecpp/util/text.h"

#include <gtest/gtest.h>

namespace flytecpp {
namespace {

TEST(TextTest, OneLineKeepsTheTextAndDropsOnlyLineBreaksAndTheTrailingBlanks) {
  EXPECT_EQ(OneLine("ERROR:  syntax error at or near \"SELEC\"\nLINE 1: SELEC 1\n        ^\n"),
            "ERROR:  syntax error at or near \"SELEC\" LINE 1: SELEC 1         ^");
  EXPECT_EQ(OneLine("could not connect\r\n"), "could not connect");
  EXPECT_EQ(OneLine(""), "");
  EXPECT_EQ(OneLine("\n \n"), "");
}

TEST(TextTest, CollapsedMakesEveryRunOfWhitespaceOneSpace) {
  EXPECT_EQ(Collapsed("  a \n\t b  "), "a b");
}

TEST(TextTest, HexOfIsTwoLowerCaseDigitsAByte) {
  EXPECT_EQ(HexOf(std::string("\x00\x0f\xa5\xff", 4)), "000fa5ff");
  EXPECT_EQ(HexOf(""), "");
}

TEST(TextTest, PathEscapeRoundTrips) {
  EXPECT_EQ(PathEscape("a b/c=d"), "a%20b%2Fc%3Dd");
  EXPECT_EQ(PathUnescape("a%20b%2Fc%3Dd"), "a b/c=d");
  EXPECT_EQ(PathUnescape("bad%2"), std::nullopt);
}

}  // namespace
}  // namespace flytecpp
