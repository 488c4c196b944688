// The AST the parser builds. One node type with owned children keeps the
// teardown in one place: ~Node() frees the tree with an explicit worklist, so
// destroying a deep tree uses constant stack and the parser's recursion, not
// the destructor's, is what overflows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace nested {

enum class NodeKind : uint8_t {
  Program,   // children: Function*
  Function,  // text: name; children: return Type, Param*, Block
  Param,     // text: name; children: Type
  Type,      // text: name; value: number of [] suffixes; children: generic args
  Block,     // children: statements
  If,        // children: cond, then [, else]
  While,     // children: cond, body
  Return,    // children: [value]
  Let,       // text: name; children: Type [, init]
  ExprStmt,  // children: expr
  Assign,    // children: target, value
  Binary,    // text: operator; children: lhs, rhs
  Unary,     // text: operator; children: operand
  Call,      // children: callee, args*
  Index,     // children: base, index
  Int,       // value
  String,    // text: the literal with its quotes
  Ident,     // text
  Group,     // children: expr, or Block for a statement expression
  Array,     // children: elements
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  NodeKind kind;
  size_t line;
  std::string_view text;  // into the source, which outlives the tree
  uint64_t value = 0;
  std::vector<NodePtr> children;

  Node(NodeKind k, size_t l, std::string_view t = {}) : kind(k), line(l), text(t) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();
};

inline Node::~Node() {
  if (children.empty()) return;
  std::vector<NodePtr> work = std::move(children);
  while (!work.empty()) {
    NodePtr n = std::move(work.back());
    work.pop_back();
    if (!n) continue;
    for (NodePtr& c : n->children)
      if (c) work.push_back(std::move(c));
    n->children.clear();  // so n's own destructor returns at once
  }
}

}  // namespace nested
