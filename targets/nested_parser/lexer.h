// Tokens of the nested_parser language. The whole input is lexed up front,
// like a compiler's front end does, so the parser's recursion is the only
// thing whose stack use grows with the input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nested {

enum class Tok : uint8_t {
  End, Ident, Int, String,
  KwIf, KwElse, KwWhile, KwReturn, KwLet,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Comma, Semi,
  Assign, Eq, Ne, Lt, Gt, Le, Ge, Plus, Minus, Star, Slash, Percent, Not, AndAnd, OrOr,
};

struct Token {
  Tok kind = Tok::End;
  size_t line = 1;
  std::string_view text;  // points into the source
  uint64_t value = 0;     // Int only
};

struct LexResult {
  std::vector<Token> tokens;  // always ends with Tok::End when error is empty
  std::string error;          // "line L: ..."
};

LexResult lex(std::string_view source);

// How a token reads in an error message: 'x', or "end of input".
std::string describe(const Token& token);

}  // namespace nested
