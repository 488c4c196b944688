#include "triage/classify.h"

#include "base/allocators.h"
#include "base/text.h"
#include "process/event_decode.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cstdio>
#include <map>
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

uint64_t page_above(uint64_t a) { return (a | (kPage - 1)) + 1; }

// "thread 2 \"parser\"": the name the program gave the thread, when it gave one.
std::string named_thread(const CrashSnapshot& s) {
  const std::string name = given_thread_name(s);
  return thread_phrase(s.thread_index) + (name.empty() ? "" : " \"" + name + "\"");
}

// The stack that holds the stack pointer (or the one right above it, when
// the stack pointer has already moved into its guard), with its usable bounds.
std::optional<StackGuardHit> stack_holding_sp(const CrashSnapshot& s) {
  const uint64_t sp = s.sp;
  StackGuardHit st;
  if (s.altstack_high && sp < s.altstack_high && sp + kNearStackPointer >= s.altstack_low) {
    st.kind = StackKind::Altstack;
    st.low = s.altstack_low;
    st.high = s.altstack_high;
    return st;
  }
  const MapEntry* m = mapping_containing(s.maps, sp);
  const MapEntry* above = first_mapping_above(s.maps, sp);
  const MapEntry* main_stack = m && m->path == "[stack]" ? m
                               : !m && above && above->path == "[stack]" && above->start - sp <= kMainStackGuardGap + kPage
                                   ? above
                                   : nullptr;
  if (main_stack) {
    st.kind = StackKind::Main;
    st.low = main_stack->start;
    st.high = main_stack->end;
    return st;
  }
  const MapEntry* rw = m && m->writable() ? m : m && m->inaccessible() ? mapping_starting_at(s.maps, m->end) : nullptr;
  if (!rw || !rw->writable() || !(rw->path.empty() || rw->path == "[heap]")) return std::nullopt;
  st.low = rw->start;
  st.high = rw->end;
  // glibc puts a thread's descriptor (the thread pointer) at the top of the
  // stack it allocates or is given; the main thread's lies in its TLS block,
  // which the kernel may merge with a stack segment mapped below it.
  if (s.thread_index != 0 && rw->contains(s.fs_base)) {
    st.kind = StackKind::Thread;
    st.high = std::min(rw->end, page_above(s.fs_base));
    return st;
  }
  st.kind = StackKind::Segment;
  // A mapping merged with its neighbour above: the segment ends where its
  // frames do, when the unwind saw the stack switched to or its first frame.
  const StackRun& run = s.stack_run;
  if (run.complete && run.top_sp >= rw->start && run.top_sp < rw->end) {
    st.high = page_above(run.top_sp);
    st.base_function = run.base_function;
    // Too deep for the named frames to reach the signal frame, but the run
    // did: a handler's recursion on a sigaltstack.
    if (run.base_function == "__restore_rt") {
      st.kind = StackKind::Altstack;
      st.base_function.clear();
    }
  }
  return st;
}

std::string stack_phrase(const StackGuardHit& st, const CrashSnapshot& s) {
  switch (st.kind) {
    case StackKind::Main: return "the main stack";
    case StackKind::Thread: return "the pthread stack of " + named_thread(s);
    case StackKind::Altstack: return "the sigaltstack of " + named_thread(s);
    case StackKind::Segment:
      return "a " + human_size(st.high - st.low) + " stack segment of " + named_thread(s) +
             " (an anonymous mapping, not its pthread stack" +
             (st.base_function.empty() ? "" : ", started in " + st.base_function) + ")";
  }
  return "";
}

struct AllocatorPattern {
  const char* allocator;
  std::regex line;
};

// Every allocator's abort messages (allocator_table.h), then AddressSanitizer's.
const std::vector<AllocatorPattern>& allocator_patterns() {
  static const std::vector<AllocatorPattern> patterns = [] {
    std::vector<AllocatorPattern> out;
    for (const Allocator& a : allocators())
      for (const std::string& message : a.abort_messages) out.push_back({a.name, std::regex(message)});
    // AddressSanitizer's heap reports (its allocator checks them), e.g.
    // "==12==ERROR: AddressSanitizer: attempting double-free on 0x6020...".
    out.push_back({"asan", std::regex(R"(ERROR: AddressSanitizer: (attempting double-free|attempting free on address|)"
                                      R"(new-delete-type-mismatch|alloc-dealloc-mismatch|heap-use-after-free|)"
                                      R"(heap-buffer-overflow|malloc_usable_size|invalid-free|bad-free).*)")});
    return out;
  }();
  return patterns;
}

}  // namespace

// SIGSEGV from the kernel itself (SI_KERNEL), with the stack pointer at the
// bottom of its stack: the kernel found no room to push a signal frame.
static std::optional<StackGuardHit> no_room_for_signal_frame(const CrashSnapshot& s) {
  if (s.signo != SIGSEGV || s.si_code != SI_KERNEL) return std::nullopt;
  auto st = stack_holding_sp(s);
  if (!st) {
    const MapEntry* m = mapping_containing(s.maps, s.sp);
    if (m && !m->inaccessible()) return std::nullopt;
    // Nothing usable there at all: the stack pointer ran off its stack.
    StackGuardHit off;
    off.region = "no room for a signal frame at the stack pointer of " + named_thread(s);
    off.stack_size = s.stack_rlimit;
    return off;
  }
  if (st->kind == StackKind::Segment && !std::any_of(s.maps.begin(), s.maps.end(), [&](const MapEntry& g) {
        return g.end == st->low && g.inaccessible();
      }))
    return std::nullopt;  // an unguarded writable mapping is no stack we know of
  if (s.sp >= st->low && s.sp - st->low >= kSignalFrameRoom) return std::nullopt;
  st->region = "no room for a signal frame at the bottom of " + stack_phrase(*st, s);
  st->stack_size = st->kind == StackKind::Main && s.stack_rlimit ? s.stack_rlimit : st->high - st->low;
  return st;
}

std::optional<StackGuardHit> stack_guard_hit(const CrashSnapshot& s) {
  if (auto hit = no_room_for_signal_frame(s)) return hit;
  if (s.signo != SIGSEGV || !address_is_meaningful(s)) return std::nullopt;
  const uint64_t a = s.fault_address, sp = s.sp;
  const MapEntry* m = mapping_containing(s.maps, a);
  const bool near_sp = sp + kNearStackPointer >= a && sp <= a + kNearStackPointer;
  if (auto st = stack_holding_sp(s); st && near_sp) {
    if (st->kind == StackKind::Main) {
      // It cannot grow past RLIMIT_STACK, and below it lies the guard gap.
      if (!m && a < st->low && st->low - a <= kMainStackGuardGap + kPage) {
        st->region = "guard gap below " + stack_phrase(*st, s);
        st->stack_size = s.stack_rlimit ? s.stack_rlimit : st->high - st->low;
        return st;
      }
    } else if (a < st->low && ((m && m->inaccessible() && m->end == st->low) || (!m && st->low - a <= kPage))) {
      // The guard page (or, for a sigaltstack without one, the unmapped page) right below it.
      st->region = "guard page below " + stack_phrase(*st, s);
      st->stack_size = st->high - st->low;
      return st;
    }
  }
  if ((!m || m->inaccessible()) && a + kNearStackPointer >= sp && a <= sp + kPage) {
    StackGuardHit off;
    off.region = "unmapped memory at the stack pointer of " + named_thread(s);
    return off;
  }
  return std::nullopt;
}

std::optional<AllocatorAbort> find_allocator_abort(const std::string& stderr_text) {
  std::istringstream in(stderr_text);
  for (std::string line; std::getline(in, line);)
    for (const auto& p : allocator_patterns())
      if (std::regex_search(line, p.line)) return AllocatorAbort{p.allocator, line};
  return std::nullopt;
}

// Allocator code: a frame in an allocator's module, and in libc only malloc's functions.
std::optional<std::string> allocator_of_frame(const Frame& f) {
  static const std::map<const Allocator*, std::regex> frame_functions = [] {
    std::map<const Allocator*, std::regex> out;
    for (const Allocator& a : allocators())
      if (*a.frame_functions) out.emplace(&a, std::regex(a.frame_functions));
    return out;
  }();
  const Allocator* a = allocator_of_module(f.module);
  if (!a) return std::nullopt;
  const auto only = frame_functions.find(a);
  if (only == frame_functions.end() || std::regex_search(f.function, only->second)) return std::string(a->name);
  return std::nullopt;
}

std::string describe_address(const CrashSnapshot& s) {
  // si_code <= 0: kill(), raise(), tgkill() or sigqueue() sent it; no access faulted.
  if (s.si_code <= 0) return "no fault: the signal was sent by a process (kill, raise or tgkill), not raised by an access";
  if (!address_is_meaningful(s)) return "no fault address (general-protection fault, e.g. a non-canonical pointer)";
  const uint64_t a = s.fault_address;
  if (a < kNullPageLimit) return "null page (offset " + hex_address(a) + ")";
  return describe_mapping(s.maps, a);
}

std::string given_thread_name(const CrashSnapshot& s) {
  // A thread starts with its process's comm; the main thread's is the process's.
  return s.thread_index != 0 && s.thread_name != s.program ? s.thread_name : "";
}

std::string thread_phrase(int index) {
  if (index == kUnnumberedThread) return "a thread faultline could not number";
  return index == 0 ? "the main thread" : "thread " + std::to_string(index);
}

const char* to_string(StackKind kind) {
  switch (kind) {
    case StackKind::Main: return "main";
    case StackKind::Thread: return "pthread";
    case StackKind::Altstack: return "sigaltstack";
    case StackKind::Segment: return "segment";
  }
  return "?";
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
                hit->region, hit->stack_size, "", hit};
      std::string region = describe_address(s);
      if (!s.frames.empty())
        if (auto alloc = allocator_of_frame(s.frames[0]))
          return {CrashClass::HeapCorruption,
                  sig + " inside the allocator (" + *alloc +
                      (s.frames[0].function.empty() ? "" : " " + s.frames[0].function) + ")",
                  region, 0, *alloc, {}};
      if (address_is_meaningful(s) && s.fault_address < kNullPageLimit)
        return {CrashClass::NullDereference, sig + " at " + hex_address(s.fault_address), region, 0, "", {}};
      return {CrashClass::WildAccess, sig + ": " + region, region, 0, "", {}};
    }
    case SIGABRT:
      if (auto alloc = find_allocator_abort(stderr_text))
        return {CrashClass::HeapCorruption, alloc->allocator + " abort: " + alloc->message, "", 0, alloc->allocator, {}};
      if (stderr_text.find("std::bad_alloc") != std::string::npos)
        return {CrashClass::Oom, "SIGABRT after std::bad_alloc", "", 0, "", {}};
      return {CrashClass::Abort, sig, "", 0, "", {}};
    case SIGILL:
    case SIGTRAP:
    case SIGSYS:
      return {CrashClass::IllegalInstruction, sig + " at pc " + hex_address(s.pc), "", 0, "", {}};
    case SIGFPE:
      return {CrashClass::Arithmetic, sig + " at pc " + hex_address(s.pc), "", 0, "", {}};
    default:
      return {CrashClass::Abort, sig, "", 0, "", {}};
  }
}

}  // namespace faultline
