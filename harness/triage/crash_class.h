// The crash taxonomy of DESIGN.md: one enum, these exact strings everywhere.
#pragma once
#include <optional>
#include <string_view>

namespace faultline {

// X(enumerator, "report string", false). When a run has several findings the
// report's class is the earliest in time; declaration order breaks ties.
#define FAULTLINE_CRASH_CLASSES(X)                                   \
  X(StackExhaustion, "stack-exhaustion", false)                             \
  X(SignalUnsafeReentrancy, "signal-unsafe-reentrancy", false)              \
  X(LazyBindingInSignalHandler, "lazy-binding-in-signal-handler", false)    \
  X(DuplicateAllocation, "duplicate-allocation", true)                     \
  X(SignalUnsafeCall, "signal-unsafe-call", false)                          \
  X(DeadlockInSignalHandler, "deadlock-in-signal-handler", false)           \
  X(HeapSizeMismatch, "heap-size-mismatch", true)                          \
  X(DoubleFree, "double-free", true)                                       \
  X(UseAfterFree, "use-after-free", true)                                  \
  X(HeapCorruption, "heap-corruption", true)                               \
  X(NullDereference, "null-dereference", false)                             \
  X(WildAccess, "wild-access", false)                                       \
  X(Abort, "abort", false)                                                  \
  X(IllegalInstruction, "illegal-instruction", false)                       \
  X(Arithmetic, "arithmetic", false)                                        \
  X(Timeout, "timeout", false)                                              \
  X(Oom, "oom", false)                                                      \
  X(None, "none", false)

enum class CrashClass {
#define FAULTLINE_X(id, name, heap) id,
  FAULTLINE_CRASH_CLASSES(FAULTLINE_X)
#undef FAULTLINE_X
};

std::string_view to_string(CrashClass c);
std::optional<CrashClass> crash_class_from_string(std::string_view s);
bool is_heap_class(CrashClass c);

}  // namespace faultline
