// nested_parser: the generator's depth is exact, the parser's max_depth means
// what nested_parser.h says, bad input is an error value, and deep nesting
// really overflows a small thread stack.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "ast.h"
#include "nested_parser.h"
#include "base/nested_source.h"

namespace nested_test {
namespace {

using nested::generate;
using nested::parse_source;
using nested::Shape;
using namespace std::literals;

const Shape kShapes[] = {Shape::Expr, Shape::Block, Shape::Generic, Shape::Array, Shape::Mixed};

std::string without_header(const std::string& text) { return text.substr(text.find('\n') + 1); }

TEST(NestedShape, NamesRoundTrip) {
  for (Shape s : kShapes) EXPECT_EQ(nested::shape_from_string(nested::to_string(s)), s);
  EXPECT_EQ(nested::shape_from_string("expr"), Shape::Expr);
  EXPECT_EQ(nested::shape_from_string("mixed"), Shape::Mixed);
  EXPECT_FALSE(nested::shape_from_string("Expr"));
  EXPECT_FALSE(nested::shape_from_string(""));
}

TEST(NestedGenerator, ParsesWithExactlyTheRequestedDepth) {
  for (Shape s : kShapes) {
    for (size_t d : {1, 2, 3, 10, 100, 1000}) {
      std::string src = generate(d, s, 1);
      auto r = parse_source(src);
      ASSERT_TRUE(r.ok) << nested::to_string(s) << " depth " << d << ": " << r.error;
      EXPECT_EQ(r.max_depth, d) << nested::to_string(s);
      EXPECT_GT(r.nodes, d) << nested::to_string(s);
    }
  }
}

TEST(NestedGenerator, DepthIsExactForManySeedsAndSmallDepths) {
  for (Shape s : kShapes)
    for (size_t d = 1; d <= 12; d++)
      for (uint64_t seed = 0; seed < 8; seed++) {
        auto r = parse_source(generate(d, s, seed));
        ASSERT_TRUE(r.ok) << nested::to_string(s) << " d=" << d << " seed=" << seed << ": " << r.error;
        ASSERT_EQ(r.max_depth, d) << nested::to_string(s) << " seed=" << seed;
      }
}

TEST(NestedGenerator, DeterministicForSameArguments) {
  for (Shape s : kShapes) EXPECT_EQ(generate(50, s, 42), generate(50, s, 42)) << nested::to_string(s);
}

TEST(NestedGenerator, SeedsChangeTheTextButNotTheDepth) {
  for (Shape s : kShapes) {
    std::string a = generate(30, s, 1), b = generate(30, s, 2);
    EXPECT_NE(without_header(a), without_header(b)) << nested::to_string(s);
    EXPECT_EQ(parse_source(a).max_depth, 30u);
    EXPECT_EQ(parse_source(b).max_depth, 30u);
  }
}

TEST(NestedGenerator, SizeGrowsWithDepth) {
  for (Shape s : kShapes) {
    size_t s1 = generate(1, s, 3).size(), s100 = generate(100, s, 3).size(), s1000 = generate(1000, s, 3).size();
    EXPECT_LT(s1, s100) << nested::to_string(s);
    // Filler at every level: at least ten bytes per level, not just "((((x))))".
    EXPECT_GE(s1000 - s100, 900u * 10) << nested::to_string(s);
  }
}

// corpora/nested_parser/seeds/<shape>-d40 were written as generate(40, shape, 1).
TEST(NestedSeeds, EveryShapeHasADepth40SeedThatParses) {
  for (Shape s : kShapes) {
    std::string path = std::string(FAULTLINE_SOURCE_DIR) + "/corpora/nested_parser/seeds/" +
                       std::string(nested::to_string(s)) + "-d40";
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    std::stringstream text;
    text << in.rdbuf();
    auto r = parse_source(text.str());
    EXPECT_TRUE(r.ok) << path << ": " << r.error;
    EXPECT_EQ(r.max_depth, 40u) << path;
  }
}

TEST(NestedGenerator, ZeroDepthMeansOne) { EXPECT_EQ(parse_source(generate(0, Shape::Expr, 1)).max_depth, 1u); }

// The max_depth definition, construct by construct.
TEST(NestedParser, MaxDepthCountsExactlyTheNestingConstructs) {
  struct Case {
    const char* source;
    size_t depth;
  } cases[] = {
      {"", 0},
      {"// only a comment\n", 0},
      {"int f() {}", 1},
      {"int f() { return g(a, b)[c](d); }", 1},                   // call args and index: not constructs
      {"int f(Vec<int> x) { if (a) b = 1; while (c) d; }", 1},    // signature's < > is at depth 1 itself
      {"Map<int, Vec<Opt<int>>> f() {}", 3},                      // generic lists outside the body
      {"int f() { let Map<Vec<Opt<int>>, int> m; }", 4},          // `>>>` closes three lists
      {"int f() { let int[][] m = [[1], [2, [3]]]; }", 4},        // `[]` type suffix: not a construct
      {"int f() { return ((1)); }", 3},
      {"int f() { { } { { } } }", 3},
      {"int f() { if (a) { while (b) { x = (y); } } }", 4},       // if/while condition parens: not constructs
      {"int f() { x = ({ let int y = [1]; }); }", 4},             // statement expression: paren + block
      {"int f() { return (1) + (2) + ((3)); }", 3},
      {"int f() { x = a[(1)]; }", 2},
  };
  for (const Case& c : cases) {
    auto r = parse_source(c.source);
    EXPECT_TRUE(r.ok) << c.source << ": " << r.error;
    EXPECT_EQ(r.max_depth, c.depth) << c.source;
  }
}

TEST(NestedParser, BuildsTheAst) {
  // Program, Function, Type int, Block, Return, Binary +, Int 1, Binary *, Int 2, Ident x
  auto r = parse_source("int main() { return 1 + 2 * x; }");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.nodes, 10u);
  // Program, Function, Type, Param, Type Vec, Type int, Block, Let, Type str, String
  r = parse_source("int f(Vec<int> v) { let str s = \"a\\\"b\\n\"; }");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.nodes, 10u);
}

TEST(NestedParser, AcceptsTheWholeLanguage) {
  const char* src = R"(// comment at the top
Map<str, Vec<int[]>>[] build(int n, Opt<Box<Node>> root) {
  let Vec<int> xs = [1, 2, [3, 4], (5 + 6) * 7];
  let int y;
  a = b = c[1] = -!x % 3;   // right-associative assignment
  if (a <= b && c >= d || e != f == g) return; else { while (n > 0) n = n - 1; }
  return emit(xs, "s", 0)[n / 2];
}
int main() { { } return; }
)";
  auto r = parse_source(src);
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(NestedParser, RejectsBadProgramsWithALineNumber) {
  struct Case {
    std::string_view source;
    const char* line;  // expected "line N:" prefix
  } cases[] = {
      {"int main() {\n  return 1 + ;\n}", "line 2:"},
      {"int main() {\n\n  let int x = (1 + 2;\n}", "line 3:"},
      {"int main( {\n}", "line 1:"},
      {"int main() {\n  if (x)\n}", "line 3:"},
      {"int main() {\n  x = \"unterminated;\n}", "line 2:"},
      {"int main() {\n  x = \"bad \\q escape\";\n}", "line 2:"},
      {"int f() {\n  1 = 2;\n}", "line 2:"},
      {"int f() {\n  (a) = 2;\n}", "line 2:"},
      {"int f() {\n  return 1\n}", "line 3:"},
      {"int main() {\n  let Vec<int x;\n}", "line 2:"},
      {"int main() {\n  let int[ x;\n}", "line 2:"},
      {"int main() {\n # \n}", "line 2:"},
      {"int main() {\n  a & b;\n}", "line 2:"},
      {"int main() {\n", "line 2:"},
      {"}", "line 1:"},
      {"int main() { a[1; }", "line 1:"},
      {"int main() { f(1,); }", "line 1:"},
      {"int main() { let int = 3; }", "line 1:"},
      {"int main() { return (); }", "line 1:"},
      {"int main() { x = [1, 2; }", "line 1:"},
      {"int main() { x = 99999999999999999999999; }", "line 1:"},
      {"int main() { x = 12abc; }", "line 1:"},
      {"int main() { if x { } }", "line 1:"},
      {"int main() { while (1) }", "line 1:"},
      {"int main() { x = ({ y; ); }", "line 1:"},
      {"int if() { }", "line 1:"},
      {"int f()", "line 1:"},
      {"int f() ;", "line 1:"},
      {"main() { }", "line 1:"},
      {"int f() { x = \0; }"sv, "line 1:"},
  };
  for (const Case& c : cases) {
    auto r = parse_source(c.source);
    EXPECT_FALSE(r.ok) << c.source;
    EXPECT_EQ(r.error.rfind(c.line, 0), 0u) << c.source << " -> " << r.error;
  }
  // Binary garbage and truncations of a valid program never crash.
  std::string good = generate(20, Shape::Mixed, 5);
  for (size_t cut = 0; cut < good.size(); cut += 7) {
    auto r = parse_source(std::string_view(good).substr(0, cut));
    if (!r.ok) {
      EXPECT_EQ(r.error.rfind("line ", 0), 0u) << r.error;
    }
  }
  std::string bytes;
  for (int i = 0; i < 256; i++) bytes += static_cast<char>(i);
  EXPECT_FALSE(parse_source(bytes).ok);
}

TEST(NestedParser, ParsesDeepUnaryChains) {
  std::string src = "int f() { return " + std::string(20000, '-') + "1; }";
  auto r = parse_source(src);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.max_depth, 1u);
  EXPECT_EQ(r.nodes, 20000u + 6);  // Program Function Type Block Return, the unaries, Int
}

// The teardown must not be what overflows: a million-deep AST is freed on a
// 64 KiB stack, which a recursive destructor could not do.
void* destroy_chain(void* arg) {
  std::unique_ptr<nested::Node> root(static_cast<nested::Node*>(arg));
  root.reset();
  return nullptr;
}

TEST(NestedAst, DestroysADeepTreeInConstantStack) {
  auto root = std::make_unique<nested::Node>(nested::NodeKind::Group, 1);
  nested::Node* tail = root.get();
  for (int i = 0; i < 1000000; i++) {
    tail->children.push_back(std::make_unique<nested::Node>(nested::NodeKind::Unary, 1, "-"));
    tail = tail->children.back().get();
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 << 10);
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, &attr, destroy_chain, root.release()), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
}

// The bug this target exists for: a worker thread with a small stack runs off
// its guard page on deep generated nesting.
void* parse_on_thread(void* arg) {
  parse_source(*static_cast<const std::string*>(arg));
  return nullptr;
}

[[noreturn]] void parse_on_small_thread_stack(const std::string& src) {
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 << 10);
  pthread_t t;
  pthread_create(&t, &attr, parse_on_thread, const_cast<std::string*>(&src));
  pthread_join(t, nullptr);
  std::exit(0);
}

TEST(NestedParserDeathTest, DeepNestingOverflowsASmallThreadStack) {
  std::string src = generate(2000, Shape::Expr, 1);  // ~2.5 MB of parse stack
  EXPECT_EXIT(parse_on_small_thread_stack(src), testing::KilledBySignal(SIGSEGV), "");
}

}  // namespace
}  // namespace nested_test
