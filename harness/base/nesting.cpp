#include "base/nesting.h"

#include <algorithm>

namespace faultline {

Result<Nesting> nesting_from_template(const std::string& tmpl, const std::string& leaf, const std::string& sep) {
  const auto at = tmpl.find('@');
  const auto count = std::count(tmpl.begin(), tmpl.end(), '@');
  if (count != 1)
    return Error{"template '" + tmpl + "' must have exactly one @ (where the next level goes), not " +
                 std::to_string(count)};
  return Nesting{tmpl.substr(0, at), tmpl.substr(at + 1), leaf, sep};
}

Result<uint64_t> nesting_size(const Nesting& n, uint64_t depth) {
  // depth × (open + close) + (depth - 1) × 2 × sep + leaf, checked.
  uint64_t levels = 0, seps = 0, total = 0;
  const bool overflow = __builtin_mul_overflow(depth, n.open.size() + n.close.size(), &levels) ||
                        __builtin_mul_overflow(depth ? depth - 1 : 0, 2 * n.sep.size(), &seps) ||
                        __builtin_add_overflow(levels, seps, &total) ||
                        __builtin_add_overflow(total, n.leaf.size(), &total);
  if (overflow || total > kMaxNestingBytes)
    return Error{"depth " + std::to_string(depth) + " would make an input of " +
                 (overflow ? std::string("more than 2^64 bytes") : std::to_string(total) + " bytes") + ", over the " +
                 std::to_string(kMaxNestingBytes >> 20) + " MiB limit"};
  return total;
}

Result<std::string> nest(const Nesting& n, uint64_t depth) {
  auto bytes = nesting_size(n, depth);
  if (!bytes) return bytes.error();
  std::string out;
  out.reserve(*bytes);
  for (uint64_t i = 0; i < depth; i++) {
    if (i) out += n.sep;
    out += n.open;
  }
  out += n.leaf;
  for (uint64_t i = 0; i < depth; i++) {
    if (i) out += n.sep;
    out += n.close;
  }
  return out;
}

std::string nesting_label(const Nesting& n) {
  auto at = [&](uint64_t depth) {
    auto s = nest(n, depth);
    if (!s) return std::string("(too large)");
    return s->size() > 40 ? s->substr(0, 37) + "..." : s.value();
  };
  return at(1) + ", " + at(2) + ", ...";
}

}  // namespace faultline
