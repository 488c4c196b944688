#include "triage/dedup.h"

#include "base/allocators.h"
#include "protocol.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>

namespace faultline {

namespace {
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
}  // namespace

bool is_runtime_frame(const Frame& f) {
  static const std::vector<std::string_view> kRuntimeModules = [] {
    std::vector<std::string_view> modules = {"libc-", "ld-linux", "libstdc++.so", "libgcc_s.so", "libm.so",
                                             "libpthread.so", "linux-vdso",
                                             FL_OWN_LIBRARY_PREFIX};  // our injector, audit module and probe
    // glibc's libc.so, and the swapped-in allocators: same bug, other allocator.
    for (const Allocator& a : allocators()) modules.emplace_back(a.module_prefix);
    return modules;
  }();
  // The same code linked statically into the executable: named, not by module.
  static const std::set<std::string_view> kRuntimeFunctions = {
      "__restore_rt", "malloc", "free", "calloc", "realloc", "_int_malloc", "_int_free", "__libc_malloc",
      "__libc_free", "raise", "abort", "__pthread_kill_implementation", "__pthread_kill_internal", "__GI_raise",
      "__GI_abort", "__libc_start_call_main", "__libc_start_main_impl", "__libc_start_main", "_start"};
  // Sanitizer runtimes and libFuzzer's driver are linked into the executable.
  static constexpr std::array<std::string_view, 8> kRuntimePrefixes = {
      "__asan", "__sanitizer", "__interceptor_", "__ubsan", "__lsan", "fuzzer::", "operator new", "operator delete"};
  if (kRuntimeFunctions.count(f.function)) return true;
  if (std::any_of(kRuntimePrefixes.begin(), kRuntimePrefixes.end(),
                  [&](std::string_view p) { return starts_with(f.function, p); }))
    return true;
  return std::any_of(kRuntimeModules.begin(), kRuntimeModules.end(),
                     [&](std::string_view m) { return starts_with(f.module, m); });
}

std::string frame_key(const Frame& f) {
  if (!f.function.empty()) return f.function;
  return (f.module.empty() ? std::string("?") : f.module) + "+" + hex_address(f.module_offset);
}

std::string frame_origin(const Frame& f) {
  if (!f.file.empty() && !is_runtime_frame(f)) return f.file.substr(f.file.rfind('/') + 1);
  return f.module;
}

std::string fnv1a_hex(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

// The stack one trip round the cycle takes: SP deltas between the cycle's
// own frames, a trip apart. Only trips inside the repeated stretch count (the
// frames below it may lie on another stack), and the median, so one switch to
// another stack segment inside the recursion (stacker's maybe_grow, a signal
// handler on a sigaltstack) does not pass for a level's size.
static uint64_t median_trip_bytes(const std::vector<Frame>& frames, size_t first, size_t period, size_t trips) {
  std::vector<uint64_t> deltas;
  for (size_t t = 1; t <= trips; t++) {
    const uint64_t inner = frames[first + (t - 1) * period].sp, outer = frames[first + t * period].sp;
    if (inner && outer > inner) deltas.push_back(outer - inner);
  }
  if (deltas.empty()) return 0;
  std::nth_element(deltas.begin(), deltas.begin() + deltas.size() / 2, deltas.end());
  return deltas[deltas.size() / 2];
}

std::optional<RecursionCycle> find_recursion_cycle(const std::vector<Frame>& frames) {
  // A parser's recursion can pass through a dozen rules per nesting level and
  // several constructs per period: allow long periods.
  constexpr size_t kMaxStart = 64, kMaxPeriod = 160, kRepetitions = 4;
  // The period must run on to the bottom of the stack, but for the frames
  // below the recursion (thread start, main, an engine's driver): a stretch
  // that only repeats near the top is an accident of the input, not the cycle.
  constexpr size_t kBottomFrames = 32;
  std::vector<std::string> names;
  std::vector<size_t> keys;  // interned frame keys: cheap comparisons
  std::map<std::string, size_t> ids;
  for (const auto& f : frames) {
    names.push_back(frame_key(f));
    keys.push_back(ids.emplace(names.back(), ids.size()).first->second);
  }
  for (size_t s = 0; s < kMaxStart && s < keys.size(); s++) {
    for (size_t p = 1; p <= kMaxPeriod && s + kRepetitions * p <= keys.size(); p++) {
      size_t extent = s;  // keys[j] == keys[j + p] for every j in [s, extent)
      while (extent + p < keys.size() && keys[extent] == keys[extent + p]) extent++;
      if (extent < s + (kRepetitions - 1) * p || extent + p + kBottomFrames < keys.size()) continue;
      RecursionCycle c;
      c.first_frame = s;
      // Rotation-invariant: the guard page may be hit anywhere in the cycle.
      std::vector<std::string> cycle(names.begin() + s, names.begin() + s + p);
      auto best = cycle;
      for (size_t r = 1; r < p; r++) {
        std::rotate(cycle.begin(), cycle.begin() + 1, cycle.end());
        best = std::min(best, cycle);
      }
      c.functions = best;
      c.bytes_per_level = median_trip_bytes(frames, s, p, (extent - s) / p);
      return c;
    }
  }
  std::map<std::string, size_t> count;
  for (const auto& f : frames)
    if (!is_runtime_frame(f)) count[frame_key(f)]++;
  RecursionCycle c;
  c.irregular = true;
  for (const auto& [name, n] : count)
    if (n >= kRepetitions) c.functions.push_back(name);  // std::map: sorted
  if (c.functions.empty()) return std::nullopt;
  for (size_t i = 0; i < frames.size(); i++)
    if (!is_runtime_frame(frames[i]) && count[frame_key(frames[i])] >= kRepetitions) {
      if (c.entry.empty()) c.first_frame = i;
      c.entry = frame_key(frames[i]);  // the last one seen is the outermost
    }
  return c;
}

std::optional<size_t> signal_frame(const std::vector<Frame>& frames) {
  auto it = std::find_if(frames.begin(), frames.end(), [](const Frame& f) { return f.function == "__restore_rt"; });
  if (it == frames.begin() || it == frames.end()) return std::nullopt;
  return static_cast<size_t>(it - frames.begin());
}

std::optional<ReentrancyPair> find_reentrancy_pair(const std::vector<Frame>& frames) {
  const auto trampoline = signal_frame(frames);
  if (!trampoline || *trampoline + 1 == frames.size()) return std::nullopt;
  ReentrancyPair p;
  const size_t t = *trampoline;
  p.handler_frame = t - 1;  // the program's handler, above any wrapper of ours around it
  while (p.handler_frame > 0 && is_runtime_frame(frames[p.handler_frame])) p.handler_frame--;
  if (is_runtime_frame(frames[p.handler_frame])) p.handler_frame = t - 1;
  p.interrupted_frame = t + 1;
  while (p.interrupted_frame + 1 < frames.size() && is_runtime_frame(frames[p.interrupted_frame]) &&
         is_runtime_frame(frames[p.interrupted_frame + 1]))
    p.interrupted_frame++;
  p.handler = frame_key(frames[p.handler_frame]);
  p.interrupted = frame_key(frames[p.interrupted_frame]);
  return p;
}

std::string stack_hash(std::vector<Frame>& frames, const std::optional<RecursionCycle>& cycle,
                       const std::optional<ReentrancyPair>& pair) {
  for (auto& f : frames) f.in_hash = false;
  std::string material;
  if (pair) {
    for (size_t i : {pair->handler_frame, pair->interrupted_frame})
      if (i < frames.size()) frames[i].in_hash = true;
    return fnv1a_hex("reentrancy|" + pair->handler + "|" + pair->interrupted);
  }
  if (cycle && cycle->irregular) {
    for (size_t i = frames.size(); i-- > 0;)
      if (frame_key(frames[i]) == cycle->entry) {
        frames[i].in_hash = true;
        break;
      }
    return fnv1a_hex("recursion-entry|" + cycle->entry);
  }
  if (cycle) {
    material = "cycle";
    for (const auto& fn : cycle->functions) material += "|" + fn;
    for (size_t i = cycle->first_frame; i < cycle->first_frame + cycle->functions.size() && i < frames.size(); i++)
      frames[i].in_hash = true;
    return fnv1a_hex(material);
  }
  std::vector<size_t> chosen;
  for (size_t i = 0; i < frames.size() && chosen.size() < kHashFrames; i++)
    if (!is_runtime_frame(frames[i])) chosen.push_back(i);
  for (size_t i = 0; chosen.empty() && i < frames.size() && i < kHashFrames; i++) chosen.push_back(i);
  material = "top";
  for (size_t i : chosen) {
    frames[i].in_hash = true;
    material += "|" + frame_key(frames[i]) + "@" + frame_origin(frames[i]);
  }
  return fnv1a_hex(material);
}

std::string full_stack_hash(const std::vector<Frame>& frames) {
  constexpr size_t kFrames = 64;
  std::string material = "full";
  size_t used = 0;
  for (const auto& f : frames)
    if (!is_runtime_frame(f) && used++ < kFrames) material += "|" + frame_key(f) + "@" + frame_origin(f);
  return fnv1a_hex(material);
}

}  // namespace faultline
