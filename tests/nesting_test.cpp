// The generator for any parser's nesting (nesting.h): exact text, the
// separator, the template form, and the size bound.
#include <gtest/gtest.h>

#include "base/nesting.h"

namespace faultline {
namespace {

std::string at(const Nesting& n, uint64_t depth) {
  auto s = nest(n, depth);
  EXPECT_TRUE(s) << s.error().message;
  return s ? s.value() : "";
}

TEST(Nesting, OpenLeafCloseAtSmallDepths) {
  const Nesting json{"[", "]", "1", ""};
  EXPECT_EQ(at(json, 0), "1");
  EXPECT_EQ(at(json, 1), "[1]");
  EXPECT_EQ(at(json, 3), "[[[1]]]");
  EXPECT_EQ(at(Nesting{"<a>", "</a>", "", ""}, 2), "<a><a></a></a>");
  EXPECT_EQ(at(Nesting{"{\"a\":", "}", "1", ""}, 2), "{\"a\":{\"a\":1}}");
  // A prefix chain: no close at all.
  EXPECT_EQ(at(Nesting{"-", "", "1", ""}, 3), "---1");
}

TEST(Nesting, SeparatorGoesBetweenLevelsOnTheWayInAndOut) {
  EXPECT_EQ(at(Nesting{"[", "]", "1", " "}, 1), "[1]");
  EXPECT_EQ(at(Nesting{"[", "]", "1", " "}, 3), "[ [ [1] ] ]");
  EXPECT_EQ(at(Nesting{"(", ")", "x", "\n"}, 2), "(\n(x)\n)");
}

TEST(Nesting, TemplateMarksTheNextLevelWithOneAt) {
  auto f = nesting_from_template("f(@,1)", "x", "");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->open, "f(");
  EXPECT_EQ(f->close, ",1)");
  EXPECT_EQ(at(f.value(), 1), "f(x,1)");
  EXPECT_EQ(at(f.value(), 3), "f(f(f(x,1),1),1)");
  auto pairs = nesting_from_template("[k=@]", "1", " ");
  ASSERT_TRUE(pairs);
  EXPECT_EQ(at(pairs.value(), 2), "[k= [k=1] ]");
  for (const char* bad : {"f(x)", "f(@,@)", ""}) {
    auto e = nesting_from_template(bad, "", "");
    ASSERT_FALSE(e) << bad;
    EXPECT_NE(e.error().message.find("exactly one @"), std::string::npos) << e.error().message;
  }
}

TEST(Nesting, SizeIsExactAndBounded) {
  const Nesting n{"ab", "c", "leaf", "--"};
  for (uint64_t d : {0u, 1u, 2u, 7u, 1000u}) EXPECT_EQ(nesting_size(n, d).value(), at(n, d).size()) << d;
  // 100 million levels of [ ] is 200 MB: made. One more byte per level is too much.
  EXPECT_TRUE(nesting_size(Nesting{"[", "]", "", ""}, 100'000'000));
  auto big = nest(Nesting{"[[", "]", "", ""}, 100'000'000);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, "depth 100000000 would make an input of 300000000 bytes, over the 256 MiB limit");
  auto huge = nesting_size(Nesting{"[", "]", "", ""}, UINT64_MAX);
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("more than 2^64 bytes"), std::string::npos);
}

TEST(Nesting, LabelShowsTheFirstTwoDepths) {
  EXPECT_EQ(nesting_label(Nesting{"[", "]", "1", ""}), "[1], [[1]], ...");
}

}  // namespace
}  // namespace faultline
