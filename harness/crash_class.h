// The crash taxonomy of DESIGN.md: one enum, these exact strings everywhere.
#pragma once
#include <optional>
#include <string_view>

namespace faultline {

// X(enumerator, "report string"). When a run has several findings the
// report's class is the earliest in time; declaration order breaks ties.
#define FAULTLINE_CRASH_CLASSES(X)                                   \
  X(StackExhaustion, "stack-exhaustion")                             \
  X(SignalUnsafeReentrancy, "signal-unsafe-reentrancy")              \
  X(LazyBindingInSignalHandler, "lazy-binding-in-signal-handler")    \
  X(DuplicateAllocation, "duplicate-allocation")                     \
  X(SignalUnsafeCall, "signal-unsafe-call")                          \
  X(DeadlockInSignalHandler, "deadlock-in-signal-handler")           \
  X(HeapSizeMismatch, "heap-size-mismatch")                          \
  X(DoubleFree, "double-free")                                       \
  X(UseAfterFree, "use-after-free")                                  \
  X(HeapCorruption, "heap-corruption")                               \
  X(NullDereference, "null-dereference")                             \
  X(WildAccess, "wild-access")                                       \
  X(Abort, "abort")                                                  \
  X(IllegalInstruction, "illegal-instruction")                       \
  X(Arithmetic, "arithmetic")                                        \
  X(Timeout, "timeout")                                              \
  X(Oom, "oom")                                                      \
  X(None, "none")

enum class CrashClass {
#define FAULTLINE_X(id, name) id,
  FAULTLINE_CRASH_CLASSES(FAULTLINE_X)
#undef FAULTLINE_X
};

std::string_view to_string(CrashClass c);
std::optional<CrashClass> crash_class_from_string(std::string_view s);

}  // namespace faultline
