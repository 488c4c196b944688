// nested_parser: a recursive-descent parser for a small C-like language. Its
// generator of deeply nested source is faultline's nested-source module
// (harness/base/nested_source.h), which any target's `stack` table can use.
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

}  // namespace nested
