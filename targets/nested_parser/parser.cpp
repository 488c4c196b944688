// Recursive-descent parser: one member function per grammar rule, each a real
// frame (NESTED_RULE), so a stack overflow on deep nesting shows the grammar
// path in the backtrace and the frames repeat with the nesting.
#include <string>
#include <utility>
#include <vector>

#include "ast.h"
#include "lexer.h"
#include "nested_parser.h"

// Every rule stays its own frame under -O2: inlining would merge the precedence
// ladder into a few big frames, and GCC's IPA clones would rename the frames
// triage reports (parse_unary.isra.0). noipa = noinline + noclone + no IPA.
#if defined(__clang__)
#define NESTED_RULE __attribute__((noinline))
#else
#define NESTED_RULE __attribute__((noipa))
#endif

namespace nested {
namespace {

// Thrown at the first syntax error and caught in parse_source(): the error is
// a value at the module edge, the exception never leaves this file.
struct SyntaxError {
  std::string message;
};

}  // namespace

// Not in an anonymous namespace: its frames read nested::Parser::parse_group()
// in backtraces and stack hashes.
class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : toks_(tokens) {}

  NodePtr parse_program();
  size_t max_depth() const { return max_open_; }
  size_t nodes() const { return nodes_; }

 private:
  // Counts one open nesting construct for as long as it lives (see max_depth
  // in nested_parser.h for what counts).
  class Nest {
   public:
    explicit Nest(Parser& p) : p_(p) {
      if (++p_.open_ > p_.max_open_) p_.max_open_ = p_.open_;
    }
    ~Nest() { --p_.open_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Parser& p_;
  };

  NodePtr parse_function();
  NodePtr parse_type();
  NodePtr parse_block();
  NodePtr parse_statement();
  NodePtr parse_if();
  NodePtr parse_while();
  NodePtr parse_return();
  NodePtr parse_let();
  NodePtr parse_expr_statement();
  NodePtr parse_expr();
  NodePtr parse_logical_or();
  NodePtr parse_logical_and();
  NodePtr parse_equality();
  NodePtr parse_relational();
  NodePtr parse_additive();
  NodePtr parse_multiplicative();
  NodePtr parse_unary();
  NodePtr parse_postfix();
  NodePtr parse_primary();
  NodePtr parse_group();
  NodePtr parse_array_literal();

  const Token& peek() const { return toks_[pos_]; }
  bool at(Tok kind) const { return toks_[pos_].kind == kind; }
  const Token& advance() {
    const Token& t = toks_[pos_];
    if (t.kind != Tok::End) pos_++;
    return t;
  }
  bool accept(Tok kind) {
    if (!at(kind)) return false;
    advance();
    return true;
  }
  const Token& expect(Tok kind, const char* what) {
    if (!at(kind)) fail(std::string("expected ") + what + ", found " + describe(peek()));
    return advance();
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw SyntaxError{"line " + std::to_string(peek().line) + ": " + what};
  }
  NodePtr make(NodeKind kind, const Token& at, std::string_view text = {}) {
    nodes_++;
    return std::make_unique<Node>(kind, at.line, text);
  }
  NodePtr binary(const Token& op, NodePtr lhs, NodePtr rhs) {
    NodePtr n = make(NodeKind::Binary, op, op.text);
    n->children.push_back(std::move(lhs));
    n->children.push_back(std::move(rhs));
    return n;
  }

  const std::vector<Token>& toks_;
  size_t pos_ = 0;
  size_t open_ = 0;
  size_t max_open_ = 0;
  size_t nodes_ = 0;
};

NESTED_RULE NodePtr Parser::parse_program() {
  NodePtr program = make(NodeKind::Program, peek());
  while (!at(Tok::End)) program->children.push_back(parse_function());
  return program;
}

NESTED_RULE NodePtr Parser::parse_function() {
  NodePtr type = parse_type();
  const Token& name = expect(Tok::Ident, "function name");
  NodePtr fn = make(NodeKind::Function, name, name.text);
  fn->children.push_back(std::move(type));
  expect(Tok::LParen, "'(' after function name");
  if (!at(Tok::RParen)) {
    do {
      NodePtr ptype = parse_type();
      const Token& pname = expect(Tok::Ident, "parameter name");
      NodePtr param = make(NodeKind::Param, pname, pname.text);
      param->children.push_back(std::move(ptype));
      fn->children.push_back(std::move(param));
    } while (accept(Tok::Comma));
  }
  expect(Tok::RParen, "')' after parameters");
  if (!at(Tok::LBrace)) fail("expected '{' to begin function body, found " + describe(peek()));
  fn->children.push_back(parse_block());
  return fn;
}

NESTED_RULE NodePtr Parser::parse_type() {
  const Token& name = expect(Tok::Ident, "type name");
  NodePtr type = make(NodeKind::Type, name, name.text);
  if (at(Tok::Lt)) {
    Nest nest(*this);
    advance();
    do type->children.push_back(parse_type());
    while (accept(Tok::Comma));
    expect(Tok::Gt, "'>' to close generic arguments");
  }
  while (at(Tok::LBracket)) {
    advance();
    expect(Tok::RBracket, "']' in array type");
    type->value++;
  }
  return type;
}

NESTED_RULE NodePtr Parser::parse_block() {
  Nest nest(*this);
  NodePtr block = make(NodeKind::Block, expect(Tok::LBrace, "'{'"));
  while (!at(Tok::RBrace)) {
    if (at(Tok::End)) fail("expected '}' to close block, found end of input");
    block->children.push_back(parse_statement());
  }
  advance();
  return block;
}

NESTED_RULE NodePtr Parser::parse_statement() {
  switch (peek().kind) {
    case Tok::LBrace: return parse_block();
    case Tok::KwIf: return parse_if();
    case Tok::KwWhile: return parse_while();
    case Tok::KwReturn: return parse_return();
    case Tok::KwLet: return parse_let();
    default: return parse_expr_statement();
  }
}

NESTED_RULE NodePtr Parser::parse_if() {
  NodePtr n = make(NodeKind::If, advance());
  expect(Tok::LParen, "'(' after 'if'");
  n->children.push_back(parse_expr());
  expect(Tok::RParen, "')' after if condition");
  n->children.push_back(parse_statement());
  if (accept(Tok::KwElse)) n->children.push_back(parse_statement());
  return n;
}

NESTED_RULE NodePtr Parser::parse_while() {
  NodePtr n = make(NodeKind::While, advance());
  expect(Tok::LParen, "'(' after 'while'");
  n->children.push_back(parse_expr());
  expect(Tok::RParen, "')' after while condition");
  n->children.push_back(parse_statement());
  return n;
}

NESTED_RULE NodePtr Parser::parse_return() {
  NodePtr n = make(NodeKind::Return, advance());
  if (!at(Tok::Semi)) n->children.push_back(parse_expr());
  expect(Tok::Semi, "';' after return");
  return n;
}

NESTED_RULE NodePtr Parser::parse_let() {
  const Token& let = advance();
  NodePtr type = parse_type();
  const Token& name = expect(Tok::Ident, "variable name after type");
  NodePtr n = make(NodeKind::Let, let, name.text);
  n->children.push_back(std::move(type));
  if (accept(Tok::Assign)) n->children.push_back(parse_expr());
  expect(Tok::Semi, "';' after let");
  return n;
}

NESTED_RULE NodePtr Parser::parse_expr_statement() {
  NodePtr n = make(NodeKind::ExprStmt, peek());
  n->children.push_back(parse_expr());
  expect(Tok::Semi, "';' after expression");
  return n;
}

// Assignment, right-associative: `a = b = c` recurses on the right.
NESTED_RULE NodePtr Parser::parse_expr() {
  NodePtr lhs = parse_logical_or();
  if (!at(Tok::Assign)) return lhs;
  if (lhs->kind != NodeKind::Ident && lhs->kind != NodeKind::Index) fail("left side of '=' is not assignable");
  NodePtr n = make(NodeKind::Assign, advance());
  n->children.push_back(std::move(lhs));
  n->children.push_back(parse_expr());
  return n;
}

NESTED_RULE NodePtr Parser::parse_logical_or() {
  NodePtr lhs = parse_logical_and();
  while (at(Tok::OrOr)) {
    const Token& op = advance();
    lhs = binary(op, std::move(lhs), parse_logical_and());
  }
  return lhs;
}

NESTED_RULE NodePtr Parser::parse_logical_and() {
  NodePtr lhs = parse_equality();
  while (at(Tok::AndAnd)) {
    const Token& op = advance();
    lhs = binary(op, std::move(lhs), parse_equality());
  }
  return lhs;
}

NESTED_RULE NodePtr Parser::parse_equality() {
  NodePtr lhs = parse_relational();
  while (at(Tok::Eq) || at(Tok::Ne)) {
    const Token& op = advance();
    lhs = binary(op, std::move(lhs), parse_relational());
  }
  return lhs;
}

NESTED_RULE NodePtr Parser::parse_relational() {
  NodePtr lhs = parse_additive();
  while (at(Tok::Lt) || at(Tok::Gt) || at(Tok::Le) || at(Tok::Ge)) {
    const Token& op = advance();
    lhs = binary(op, std::move(lhs), parse_additive());
  }
  return lhs;
}

NESTED_RULE NodePtr Parser::parse_additive() {
  NodePtr lhs = parse_multiplicative();
  while (at(Tok::Plus) || at(Tok::Minus)) {
    const Token& op = advance();
    lhs = binary(op, std::move(lhs), parse_multiplicative());
  }
  return lhs;
}

NESTED_RULE NodePtr Parser::parse_multiplicative() {
  NodePtr lhs = parse_unary();
  while (at(Tok::Star) || at(Tok::Slash) || at(Tok::Percent)) {
    const Token& op = advance();
    lhs = binary(op, std::move(lhs), parse_unary());
  }
  return lhs;
}

NESTED_RULE NodePtr Parser::parse_unary() {
  if (!at(Tok::Minus) && !at(Tok::Not)) return parse_postfix();
  const Token& op = advance();
  NodePtr n = make(NodeKind::Unary, op, op.text);
  n->children.push_back(parse_unary());
  return n;
}

NESTED_RULE NodePtr Parser::parse_postfix() {
  NodePtr base = parse_primary();
  for (;;) {
    if (at(Tok::LParen)) {
      NodePtr call = make(NodeKind::Call, advance());
      call->children.push_back(std::move(base));
      if (!at(Tok::RParen)) {
        do call->children.push_back(parse_expr());
        while (accept(Tok::Comma));
      }
      expect(Tok::RParen, "')' after call arguments");
      base = std::move(call);
    } else if (at(Tok::LBracket)) {
      NodePtr index = make(NodeKind::Index, advance());
      index->children.push_back(std::move(base));
      index->children.push_back(parse_expr());
      expect(Tok::RBracket, "']' after index");
      base = std::move(index);
    } else {
      return base;
    }
  }
}

NESTED_RULE NodePtr Parser::parse_primary() {
  const Token& t = peek();
  switch (t.kind) {
    case Tok::Int: {
      NodePtr n = make(NodeKind::Int, advance(), t.text);
      n->value = t.value;
      return n;
    }
    case Tok::String: return make(NodeKind::String, advance(), t.text);
    case Tok::Ident: return make(NodeKind::Ident, advance(), t.text);
    case Tok::LParen: return parse_group();
    case Tok::LBracket: return parse_array_literal();
    default: fail("expected an expression, found " + describe(t));
  }
}

NESTED_RULE NodePtr Parser::parse_group() {
  Nest nest(*this);
  NodePtr group = make(NodeKind::Group, advance());
  group->children.push_back(at(Tok::LBrace) ? parse_block() : parse_expr());
  expect(Tok::RParen, "')' to close parenthesis");
  return group;
}

NESTED_RULE NodePtr Parser::parse_array_literal() {
  Nest nest(*this);
  NodePtr array = make(NodeKind::Array, advance());
  if (!at(Tok::RBracket)) {
    do array->children.push_back(parse_expr());
    while (accept(Tok::Comma));
  }
  expect(Tok::RBracket, "']' to close array literal");
  return array;
}

ParseResult parse_source(std::string_view source) {
  ParseResult result;
  LexResult lexed = lex(source);
  if (!lexed.error.empty()) {
    result.error = std::move(lexed.error);
    return result;
  }
  Parser parser(lexed.tokens);
  try {
    NodePtr program = parser.parse_program();
    result.ok = true;
  } catch (const SyntaxError& e) {
    result.error = e.message;
  }
  result.max_depth = parser.max_depth();
  result.nodes = parser.nodes();
  return result;
}

}  // namespace nested
