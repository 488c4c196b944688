// nested_parser: a recursive-descent parser for a small C-like language, and a
// generator of deeply nested, machine-generated-looking source for it.
//
// The bug this target exists for: a parser compiling large generated source
// recurses once (several frames) per nesting level and runs out of a small
// worker-thread stack. So the parser is deliberately a plain recursive-descent
// parser: no explicit stack, no depth limit, every grammar rule its own frame.
//
// Grammar (`//` line comments; keywords: if else while return let):
//   program    := function*
//   function   := type IDENT '(' [type IDENT (',' type IDENT)*] ')' block
//   type       := IDENT ['<' type (',' type)* '>'] ('[' ']')*
//   block      := '{' statement* '}'
//   statement  := block | 'if' '(' expr ')' statement ['else' statement]
//               | 'while' '(' expr ')' statement | 'return' [expr] ';'
//               | 'let' type IDENT ['=' expr] ';' | expr ';'
//   expr       := or ['=' expr]          (right-assoc; target: identifier or index)
//   or := and ('||' and)*   and := eq ('&&' eq)*   eq := rel (('=='|'!=') rel)*
//   rel := add (('<'|'>'|'<='|'>=') add)*   add := mul (('+'|'-') mul)*
//   mul := unary (('*'|'/'|'%') unary)*     unary := ('-'|'!') unary | postfix
//   postfix    := primary ('(' [expr (',' expr)*] ')' | '[' expr ']')*
//   primary    := INT | STRING | IDENT | '(' expr ')' | '(' block ')'
//               | '[' [expr (',' expr)*] ']'
// `'(' block ')'` is a GNU-style statement expression `({ ... })`: the one way
// for an expression to contain statements, which the generator's `mixed`
// shape needs to cycle from expressions back into blocks.
// Types appear only after `let` and in signatures, so `<` is never ambiguous;
// `>>` closing two generic lists is simply two `>` tokens.
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

struct ParseResult {
  bool ok = false;
  std::string error;  // "line L: ..." when !ok, empty otherwise
  // The maximum number of simultaneously open nesting constructs. A nesting
  // construct is exactly one of:
  //   - a parenthesised group `( expr )` in an expression (primary), including
  //     the parentheses of a statement expression `({ ... })`;
  //   - a block `{ ... }`: a function body, a nested block, the braces of
  //     if/while bodies, the block of a statement expression;
  //   - a generic argument list `< ... >` in a type;
  //   - an array literal `[ ... ]`.
  // NOT nesting constructs: call argument lists `f(a, b)`, index brackets
  // `a[i]`, the `[]` type suffix, parameter lists, and the parentheses around
  // an if/while condition. A program with one empty function has depth 1; an
  // empty program has depth 0. When !ok, the depth reached before the error.
  size_t max_depth = 0;
  size_t nodes = 0;  // AST nodes built (up to the error when !ok)
};

// Lexes, parses and builds the AST of `source`, then tears it down. Never
// crashes on bad input, except by running out of stack on deep nesting: the
// recursion depth grows with nesting (roughly a constant number of frames per
// nesting level) and that is the point of this target.
ParseResult parse_source(std::string_view source);

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
