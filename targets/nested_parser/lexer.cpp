#include "lexer.h"

#include <cstdio>

namespace nested {
namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

Tok keyword_or_ident(std::string_view word) {
  if (word == "if") return Tok::KwIf;
  if (word == "else") return Tok::KwElse;
  if (word == "while") return Tok::KwWhile;
  if (word == "return") return Tok::KwReturn;
  if (word == "let") return Tok::KwLet;
  return Tok::Ident;
}

std::string printable(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string(1, c);
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
  return buf;
}

std::string at_line(size_t line, const std::string& what) { return "line " + std::to_string(line) + ": " + what; }

}  // namespace

LexResult lex(std::string_view src) {
  LexResult r;
  size_t line = 1;
  size_t i = 0;
  auto fail = [&](const std::string& what) {
    r.tokens.clear();
    r.error = at_line(line, what);
    return r;
  };
  while (i < src.size()) {
    char c = src[i];
    if (c == '\n') {
      line++;
      i++;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      i++;
      continue;
    }
    if (c == '/' && i + 1 < src.size() && src[i + 1] == '/') {
      while (i < src.size() && src[i] != '\n') i++;
      continue;
    }
    Token t;
    t.line = line;
    size_t start = i;
    if (is_ident_start(c)) {
      while (i < src.size() && (is_ident_start(src[i]) || is_digit(src[i]))) i++;
      t.text = src.substr(start, i - start);
      t.kind = keyword_or_ident(t.text);
    } else if (is_digit(c)) {
      uint64_t v = 0;
      while (i < src.size() && is_digit(src[i])) {
        uint64_t d = static_cast<uint64_t>(src[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return fail("integer literal too large");
        v = v * 10 + d;
        i++;
      }
      if (i < src.size() && is_ident_start(src[i])) return fail("invalid suffix on integer literal");
      t.kind = Tok::Int;
      t.value = v;
      t.text = src.substr(start, i - start);
    } else if (c == '"') {
      i++;
      for (;;) {
        if (i >= src.size() || src[i] == '\n') return fail("unterminated string literal");
        if (src[i] == '"') break;
        if (src[i] == '\\') {
          if (i + 1 >= src.size()) return fail("unterminated string literal");
          char e = src[i + 1];
          if (e != 'n' && e != 't' && e != '\\' && e != '"' && e != '0')
            return fail("unknown escape '\\" + printable(e) + "' in string literal");
          i += 2;
          continue;
        }
        i++;
      }
      i++;  // closing quote
      t.kind = Tok::String;
      t.text = src.substr(start, i - start);
    } else {
      char n = i + 1 < src.size() ? src[i + 1] : '\0';
      size_t len = 1;
      // `c` alone, or `c=` as the two-character operator.
      auto maybe_eq = [&](Tok with_eq, Tok alone) {
        if (n != '=') return alone;
        len = 2;
        return with_eq;
      };
      switch (c) {
        case '(': t.kind = Tok::LParen; break;
        case ')': t.kind = Tok::RParen; break;
        case '{': t.kind = Tok::LBrace; break;
        case '}': t.kind = Tok::RBrace; break;
        case '[': t.kind = Tok::LBracket; break;
        case ']': t.kind = Tok::RBracket; break;
        case ',': t.kind = Tok::Comma; break;
        case ';': t.kind = Tok::Semi; break;
        case '+': t.kind = Tok::Plus; break;
        case '-': t.kind = Tok::Minus; break;
        case '*': t.kind = Tok::Star; break;
        case '/': t.kind = Tok::Slash; break;
        case '%': t.kind = Tok::Percent; break;
        case '=': t.kind = maybe_eq(Tok::Eq, Tok::Assign); break;
        case '!': t.kind = maybe_eq(Tok::Ne, Tok::Not); break;
        case '<': t.kind = maybe_eq(Tok::Le, Tok::Lt); break;
        case '>': t.kind = maybe_eq(Tok::Ge, Tok::Gt); break;
        case '&':
          if (n != '&') return fail("unexpected character '&' (did you mean '&&'?)");
          t.kind = Tok::AndAnd;
          len = 2;
          break;
        case '|':
          if (n != '|') return fail("unexpected character '|' (did you mean '||'?)");
          t.kind = Tok::OrOr;
          len = 2;
          break;
        default:
          return fail("unexpected character '" + printable(c) + "'");
      }
      i += len;
      t.text = src.substr(start, len);
    }
    r.tokens.push_back(t);
  }
  Token end;
  end.line = line;
  r.tokens.push_back(end);
  return r;
}

std::string describe(const Token& token) {
  if (token.kind == Tok::End) return "end of input";
  std::string_view text = token.text;
  if (text.size() > 24) return "'" + std::string(text.substr(0, 21)) + "...'";
  return "'" + std::string(text) + "'";
}

}  // namespace nested
