// The nested-source generator: valid source for nested_parser's small C-like
// language (its grammar is in targets/nested_parser/nested_parser.h) nested to
// an exact depth, looking like machine-generated code. A target's `stack`
// table names it (`generator = "nested-source"`) to measure how much stack a
// parser needs per nesting level; `faultline gen nested` prints it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nested {

// What the generator nests. `mixed` repeats block, paren, array, paren with a
// fixed period (see generate()).
enum class Shape { Expr, Block, Generic, Array, Mixed };

// "expr", "block", "generic", "array", "mixed"; nullopt for anything else.
std::optional<Shape> shape_from_string(std::string_view name);
std::string_view to_string(Shape shape);

// Valid source whose parse has max_depth == depth exactly (depth >= 1; 0 is
// treated as 1), deterministic for (depth, shape, seed), with several
// functions and filler statements and operands at every level, so the size
// grows linearly with depth. The spine that reaches `depth` repeats the same
// grammar path at every level, so the parser's frames are periodic:
//   expr    : one function body, then depth-1 nested `( a op ( ... ) op b )`
//   block   : depth-1 nested statements cycling if / while / bare `{}`
//   generic : a `let` whose type nests depth-1 generic argument lists
//   array   : a `let` whose initializer nests depth-1 array literals
//   mixed   : constructs repeat block, paren, array, paren with period 4:
//             { x = a + ( b * [ c, ({ ... }), d ] ) ; }  — generic lists
//             cannot contain anything but types, so they appear in every
//             block as siblings, not on the spine.
// Iterative: generating a million levels does not recurse.
std::string generate(size_t depth, Shape shape, uint64_t seed);

}  // namespace nested
