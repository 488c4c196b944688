#include "triage/deadlock.h"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

namespace faultline {

namespace {

// As libdw names them with glibc 2.36's symbols (libc6-dbg), once a "__GI_"
// alias prefix and a ".constprop.0"-style clone suffix are dropped (a
// handler's pthread_mutex_lock shows as __GI___lll_lock_wait under
// __pthread_mutex_lock). Locks only: a condition variable, a join or a
// semaphore waits for another thread, which may yet come.
constexpr std::array<std::string_view, 8> kLowLevelLockWaits = {
    "__lll_lock_wait_private", "__lll_lock_wait", "___pthread_rwlock_rdlock", "___pthread_rwlock_wrlock",
    "__pthread_rwlock_rdlock_full64", "__pthread_rwlock_wrlock_full64", "pthread_rwlock_rdlock", "pthread_rwlock_wrlock"};
constexpr std::array<std::string_view, 5> kMutexLocks = {"___pthread_mutex_lock", "__pthread_mutex_lock",
                                                         "pthread_mutex_lock", "__pthread_mutex_lock_full",
                                                         "__pthread_mutex_clocklock_common"};

std::string_view base_name(std::string_view fn) {
  if (fn.substr(0, 5) == "__GI_") fn.remove_prefix(5);
  return fn.substr(0, fn.find('.'));
}

template <size_t N>
bool named_in(const std::array<std::string_view, N>& names, const Frame& f) {
  return std::find(names.begin(), names.end(), base_name(f.function)) != names.end();
}

// The lock-wait frame above the signal frame that the handler's code called
// (the outermost of the innermost run of them: pthread_mutex_lock, not the
// low-level wait under it).
std::optional<size_t> lock_wait_frame(const ThreadStack& t, size_t trampoline) {
  for (size_t i = 0; i < trampoline; i++) {
    if (!is_lock_wait_frame(t.frames[i])) continue;
    while (i + 1 < trampoline && is_lock_wait_frame(t.frames[i + 1])) i++;
    return i;
  }
  return std::nullopt;
}

// Evidence that the lock can never be released: the thread holds it itself.
// A pthread mutex names its owner; a low-level lock (malloc's arena, syslog's)
// does not, but a handler waiting inside the very call it interrupted is
// waiting for the lock that call took. A lock another thread holds may yet
// be released: a slow program, not a deadlock.
bool waits_for_itself(const ThreadStack& t, size_t wait, size_t trampoline, const ReentrancyPair& pair) {
  if (named_in(kMutexLocks, t.frames[wait])) return t.word_after_futex && *t.word_after_futex == static_cast<uint32_t>(t.own_tid);
  for (size_t i = wait + 1; i < trampoline; i++)
    if (base_name(t.frames[i].function) == base_name(pair.interrupted)) return true;
  return false;
}

std::string describe_lock(const ThreadStack& t) {
  if (!t.futex_address) return "";
  std::string what;
  if (t.futex_symbol && !t.futex_symbol->symbol.empty()) {
    const auto& s = *t.futex_symbol;
    what = s.symbol + (s.offset ? "+" + hex_address(s.offset) : "") + " in " + s.module +
           (s.section.empty() ? "" : " " + s.section);
  } else {
    what = t.futex_mapping;
  }
  return hex_address(t.futex_address) + (what.empty() ? "" : " (" + what + ")");
}

std::optional<HandlerDeadlock> deadlock_of(const ThreadStack& t) {
  auto trampoline = signal_frame(t.frames);
  if (!trampoline) return std::nullopt;
  auto wait = lock_wait_frame(t, *trampoline);
  auto pair = find_reentrancy_pair(t.frames);
  if (!wait || !pair || !waits_for_itself(t, *wait, *trampoline, *pair)) return std::nullopt;
  return HandlerDeadlock{&t, *pair, *wait, describe_lock(t)};
}

}  // namespace

bool is_lock_wait_frame(const Frame& f) { return named_in(kLowLevelLockWaits, f) || named_in(kMutexLocks, f); }

std::string syscall_name(long number) {
  static const std::map<long, std::string_view> kNames = {
      {0, "read"}, {1, "write"}, {7, "poll"}, {23, "select"}, {34, "pause"}, {35, "nanosleep"},
      {43, "accept"}, {45, "recvfrom"}, {61, "wait4"}, {202, "futex"}, {230, "clock_nanosleep"},
      {232, "epoll_wait"}, {270, "pselect6"}, {271, "ppoll"}, {281, "epoll_pwait"}};
  if (number < 0) return "";
  auto it = kNames.find(number);
  return it != kNames.end() ? std::string(it->second) : "syscall " + std::to_string(number);
}

std::optional<HandlerDeadlock> find_handler_deadlock(const HangSnapshot& hang, pid_t main_pid) {
  std::optional<HandlerDeadlock> found;
  for (const auto& t : hang.threads) {
    if (found && (found->thread->pid == main_pid || t.pid != main_pid)) continue;
    if (auto d = deadlock_of(t)) found = d;
  }
  return found;
}

std::string deadlock_hash(std::vector<Frame>& frames, const HandlerDeadlock& d) {
  for (auto& f : frames) f.in_hash = false;
  // The wait function is hashed by name but not marked: the frame to blame is the program's handler.
  for (size_t i : {d.pair.handler_frame, d.pair.interrupted_frame})
    if (i < frames.size()) frames[i].in_hash = true;
  const std::string wait = d.wait_frame < frames.size() ? frame_key(frames[d.wait_frame]) : "";
  return fnv1a_hex("deadlock|" + d.pair.handler + "|" + d.pair.interrupted + "|" + wait);
}

}  // namespace faultline
