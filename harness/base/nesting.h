// Nested input for any parser: the same construct wrapped around itself
// `depth` times, e.g. [[[1]]] for JSON or <a><a></a></a> for XML. One
// generator for `faultline gen nested --open/--template`, `faultline stack
// --open/--template -- PROGRAM` and the manifest's `stack` tables.
#pragma once
#include <cstdint>
#include <string>

#include "base/result.h"

namespace faultline {

// A level is `open`, the next level (or `leaf` at the innermost), `close`.
// `sep` goes between two levels, on the way in and on the way out:
//   open=[ close=] leaf=1 sep=" ", depth 3:  [ [ [1] ] ]
struct Nesting {
  std::string open, close, leaf, sep;
};

// The template form: one `@` marks where the next level goes, the rest is
// literal text around it ("f(@,1)" is open "f(", close ",1)"). A template
// with no `@` or more than one is an error (there is no escape for `@`:
// give --open and --close instead).
Result<Nesting> nesting_from_template(const std::string& tmpl, const std::string& leaf, const std::string& sep);

// Inputs larger than this are refused: a depth that needs more is a typo or
// a search range no parser test needs.
constexpr uint64_t kMaxNestingBytes = uint64_t{256} << 20;

// The size of the input at `depth`, or the one-line error nest() gives when
// that is over kMaxNestingBytes: to refuse a search range before it starts.
Result<uint64_t> nesting_size(const Nesting& n, uint64_t depth);

// open (sep open)×(depth-1) leaf close (sep close)×(depth-1); depth 0 is the
// leaf alone. Built in a loop (no recursion, whatever the depth); an error
// when it would be larger than kMaxNestingBytes.
Result<std::string> nest(const Nesting& n, uint64_t depth);

// How the nesting reads, for humans: the inputs at depth 1 and 2,
// "[1], [[1]], ..." (each cut at 40 characters).
std::string nesting_label(const Nesting& n);

}  // namespace faultline
