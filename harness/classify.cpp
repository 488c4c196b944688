#include "classify.h"

#include "allocators.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>

namespace faultline {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kNullPageLimit = 64 * 1024;
// Linux keeps stack_guard_gap (256 pages) free below a growing stack.
constexpr uint64_t kMainStackGuardGap = 256 * kPage;
constexpr uint64_t kNearStackPointer = 64 * 1024;
// A signal frame with AVX-512 state is about 3.5 KiB; anything under 16 KiB
// above the stack's end cannot hold frame plus handler.
constexpr uint64_t kSignalFrameRoom = 16 * 1024;

bool address_is_meaningful(const CrashSnapshot& s) {
  // SI_KERNEL: a general-protection fault (e.g. a non-canonical pointer) has no address.
  return (s.signo == SIGSEGV || s.signo == SIGBUS) && s.si_code > 0 && s.si_code != SI_KERNEL;
}

const MapEntry* mapping_starting_at(const std::vector<MapEntry>& maps, uint64_t a) {
  for (const auto& m : maps)
    if (m.start == a) return &m;
  return nullptr;
}

const MapEntry* first_mapping_above(const std::vector<MapEntry>& maps, uint64_t a) {
  const MapEntry* best = nullptr;
  for (const auto& m : maps)
    if (m.start > a && (!best || m.start < best->start)) best = &m;
  return best;
}

std::string thread_name(int index) { return index == 0 ? "main thread" : "thread " + std::to_string(index); }

struct AllocatorPattern {
  const char* allocator;
  std::regex line;
};

// glibc malloc.c malloc_printerr() messages (2.36), e.g.
// "free(): double free detected in tcache 2", "corrupted size vs. prev_size".
const std::vector<AllocatorPattern>& allocator_patterns() {
  static const std::vector<AllocatorPattern> patterns = {
      {"glibc", std::regex(R"(^(malloc|free|realloc|calloc|munmap_chunk|mremap_chunk|malloc_consolidate|)"
                           R"(tcache_thread_shutdown|_int_malloc|_int_free|_int_realloc|memalign|)"
                           R"(posix_memalign|aligned_alloc|pvalloc|valloc)\(\): .+)")},
      {"glibc", std::regex(R"(^(double free or corruption.*|corrupted size vs\. prev_size.*|)"
                           R"(corrupted double-linked list.*))")},
      {"jemalloc", std::regex(R"(^<jemalloc>: .+)")},
      {"tcmalloc", std::regex(R"((src/tcmalloc\.cc.*\] .+|Attempt to free invalid pointer.*|tcmalloc: .+))")},
      {"mimalloc", std::regex(R"(^mimalloc: error: .+)")},
      // AddressSanitizer's heap reports (its allocator checks them), e.g.
      // "==12==ERROR: AddressSanitizer: attempting double-free on 0x6020...".
      {"asan", std::regex(R"(ERROR: AddressSanitizer: (attempting double-free|attempting free on address|)"
                          R"(new-delete-type-mismatch|alloc-dealloc-mismatch|heap-use-after-free|)"
                          R"(heap-buffer-overflow|malloc_usable_size|invalid-free|bad-free).*)")},
  };
  return patterns;
}

}  // namespace

// SIGSEGV from the kernel itself (SI_KERNEL), with the stack pointer at the
// bottom of its stack: the kernel found no room to push a signal frame.
static std::optional<StackGuardHit> no_room_for_signal_frame(const CrashSnapshot& s) {
  if (s.signo != SIGSEGV || s.si_code != SI_KERNEL) return std::nullopt;
  const std::string where = "no room for a signal frame at the bottom of the stack of " + thread_name(s.thread_index);
  const MapEntry* m = mapping_containing(s.maps, s.sp);
  if (!m || m->inaccessible()) return StackGuardHit{where, s.stack_rlimit};
  const bool is_stack = m->path == "[stack]" || std::any_of(s.maps.begin(), s.maps.end(), [&](const MapEntry& g) {
    return g.end == m->start && g.inaccessible();
  });
  if (is_stack && s.sp - m->start < kSignalFrameRoom) return StackGuardHit{where, m->end - m->start};
  return std::nullopt;
}

std::optional<StackGuardHit> stack_guard_hit(const CrashSnapshot& s) {
  if (auto hit = no_room_for_signal_frame(s)) return hit;
  if (s.signo != SIGSEGV || !address_is_meaningful(s)) return std::nullopt;
  const uint64_t a = s.fault_address, sp = s.sp;
  const MapEntry* m = mapping_containing(s.maps, a);
  // A pthread stack: a PROT_NONE guard directly below the writable stack.
  if (m && m->inaccessible()) {
    const MapEntry* stack = mapping_starting_at(s.maps, m->end);
    if (stack && stack->writable() && sp + kNearStackPointer >= m->start && sp < stack->end)
      return StackGuardHit{"guard page below stack of " + thread_name(s.thread_index),
                           stack->end - stack->start};
  }
  if (!m) {
    // The main stack: it cannot grow past RLIMIT_STACK, and below it lies the guard gap.
    const MapEntry* above = first_mapping_above(s.maps, a);
    if (above && above->path == "[stack]" && above->start - a <= kMainStackGuardGap + kPage &&
        sp + kNearStackPointer >= a && sp <= a + kNearStackPointer)
      return StackGuardHit{"guard gap below stack of " + thread_name(s.thread_index),
                           s.stack_rlimit ? s.stack_rlimit : above->end - above->start};
  }
  if ((!m || m->inaccessible()) && a + kNearStackPointer >= sp && a <= sp + kPage)
    return StackGuardHit{"unmapped memory at the stack pointer of " + thread_name(s.thread_index), 0};
  return std::nullopt;
}

std::optional<AllocatorAbort> find_allocator_abort(const std::string& stderr_text) {
  std::istringstream in(stderr_text);
  for (std::string line; std::getline(in, line);)
    for (const auto& p : allocator_patterns())
      if (std::regex_search(line, p.line)) return AllocatorAbort{p.allocator, line};
  return std::nullopt;
}

std::optional<std::string> allocator_of_frame(const Frame& f) {
  static const std::regex glibc_malloc(
      R"(^(malloc|free|cfree|realloc|calloc|_int_malloc|_int_free|_int_realloc|_int_memalign|)"
      R"(malloc_consolidate|unlink_chunk|tcache_get|tcache_put|sysmalloc|__libc_(malloc|free|realloc|calloc|memalign)|)"
      R"(__GI___libc_(malloc|free|realloc)|_mid_memalign|aligned_alloc|posix_memalign|memalign)$)");
  const Allocator* a = allocator_of_module(f.module);
  if (!a) return std::nullopt;
  // Everything in a swapped-in allocator's library is allocator code; in libc, only malloc's.
  if (std::string(a->name) != "glibc" || std::regex_search(f.function, glibc_malloc)) return std::string(a->name);
  return std::nullopt;
}

std::string describe_address(const CrashSnapshot& s) {
  if (!address_is_meaningful(s)) return "no fault address (general-protection fault, e.g. a non-canonical pointer)";
  const uint64_t a = s.fault_address;
  if (a < kNullPageLimit) return "null page (offset " + hex_address(a) + ")";
  return describe_mapping(s.maps, a);
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

Classification classify_snapshot(const CrashSnapshot& s, const std::string& stderr_text) {
  const std::string sig = signal_name(s.signo);
  switch (s.signo) {
    case SIGSEGV:
    case SIGBUS: {
      if (auto hit = stack_guard_hit(s))
        return {CrashClass::StackExhaustion,
                sig + (address_is_meaningful(s) ? " at " + hex_address(s.fault_address) : std::string()) + ": " + hit->region,
                hit->region, hit->stack_size, ""};
      std::string region = describe_address(s);
      if (!s.frames.empty())
        if (auto alloc = allocator_of_frame(s.frames[0]))
          return {CrashClass::HeapCorruption,
                  sig + " inside the allocator (" + *alloc +
                      (s.frames[0].function.empty() ? "" : " " + s.frames[0].function) + ")",
                  region, 0, *alloc};
      if (address_is_meaningful(s) && s.fault_address < kNullPageLimit)
        return {CrashClass::NullDereference, sig + " at " + hex_address(s.fault_address), region, 0, ""};
      return {CrashClass::WildAccess, sig + ": " + region, region, 0, ""};
    }
    case SIGABRT:
      if (auto alloc = find_allocator_abort(stderr_text))
        return {CrashClass::HeapCorruption, alloc->allocator + " abort: " + alloc->message, "", 0, alloc->allocator};
      if (stderr_text.find("std::bad_alloc") != std::string::npos)
        return {CrashClass::Oom, "SIGABRT after std::bad_alloc", "", 0, ""};
      return {CrashClass::Abort, sig, "", 0, ""};
    case SIGILL:
    case SIGTRAP:
    case SIGSYS:
      return {CrashClass::IllegalInstruction, sig + " at pc " + hex_address(s.pc), "", 0, ""};
    case SIGFPE:
      return {CrashClass::Arithmetic, sig + " at pc " + hex_address(s.pc), "", 0, ""};
    default:
      return {CrashClass::Abort, sig, "", 0, ""};
  }
}

}  // namespace faultline
