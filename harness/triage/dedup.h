// Stack hashes: which frames are meaningful, and the recursion cycle that
// identifies a stack exhaustion whatever frame the guard page happened to hit.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "process/frame.h"

namespace faultline {

constexpr size_t kHashFrames = 3;

struct RecursionCycle {
  std::vector<std::string> functions;  // canonical rotation, innermost first
  size_t first_frame = 0;              // where the repetition starts in the stack
  uint64_t bytes_per_level = 0;        // stack consumed by one trip round the cycle (0: unknown)
  // No exact period (a fuzzer's input nests constructs irregularly): the
  // functions are the program's own that recur at least kRepetitions times,
  // sorted; which of them an input happens to use varies endlessly, so such a
  // stack is bucketed by where the recursion is entered: the outermost of
  // them (parse_expr for any mix of nested expressions).
  bool irregular = false;
  std::string entry;
};

// A signal-unsafe reentrancy is the pair (handler, function it interrupted):
// the same bug whichever instruction of that function the signal hit.
struct ReentrancyPair {
  std::string handler;      // the frame just above the signal trampoline
  std::string interrupted;  // what the program had called when the signal came (e.g. malloc)
  size_t handler_frame = 0, interrupted_frame = 0;
};

// libc, the C++ runtime, the dynamic linker, signal trampolines, the vdso and
// faultline's own injector say nothing about which bug this is.
bool is_runtime_frame(const Frame& f);

// Key a frame is hashed and compared by: function name, else module+offset.
std::string frame_key(const Frame& f);

std::optional<RecursionCycle> find_recursion_cycle(const std::vector<Frame>& frames);

// Index of the signal trampoline (__restore_rt) in a stack, when there is one
// with a handler's frame above it.
std::optional<size_t> signal_frame(const std::vector<Frame>& frames);

// In a stack that runs through a signal trampoline (__restore_rt): the
// program's handler (the innermost-but-wrapper frame above the trampoline)
// and the outermost runtime frame below it (the call the program had made,
// e.g. malloc), or the first frame there when it is the program's own.
std::optional<ReentrancyPair> find_reentrancy_pair(const std::vector<Frame>& frames);

// Where a frame's code comes from, for the hash: its source file's name
// (the same for a target's plain and fuzzer builds), else its module's (a
// library's, or a program without debug information). Two programs' `main`
// are two bugs.
std::string frame_origin(const Frame& f);

// Hash of the top kHashFrames meaningful frames (all frames if none is
// meaningful), each function with its origin, or of the cycle or the
// reentrancy pair when there is one. Marks the frames used.
std::string stack_hash(std::vector<Frame>& frames, const std::optional<RecursionCycle>& cycle,
                       const std::optional<ReentrancyPair>& pair = std::nullopt);

// Hash of the whole stack's meaningful frames (the first 64), each with its
// origin: two crashes of one bucket with different values reached the
// hashed frames through different callers, the "similar" count of fuzz and
// campaign, so a bucket that merges two bugs shows.
std::string full_stack_hash(const std::vector<Frame>& frames);

std::string fnv1a_hex(const std::string& s);

}  // namespace faultline
