// deadlock-in-signal-handler: at a timeout, a thread whose signal handler is
// waiting for a lock. The lock is almost always one the interrupted code
// below the signal frame holds (malloc's arena, stdio's FILE lock), so the
// wait never ends.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "triage/dedup.h"
#include "process/runner.h"

namespace faultline {

// A function of glibc's lock waits: mutexes, rwlocks, semaphores and the
// internal low-level locks (malloc arenas, stdio, the loader).
bool is_lock_wait_frame(const Frame& f);

// "futex", "read", or "syscall 321"; "" for a thread not in a syscall.
std::string syscall_name(long number);

struct HandlerDeadlock {
  const ThreadStack* thread = nullptr;  // into the HangSnapshot it was found in
  ReentrancyPair pair;     // the handler, and the call it interrupted
  size_t wait_frame = 0;   // the lock-wait frame, above the signal frame
  std::string lock;        // "0x7ffff7e19c80 (main_arena in libc.so.6 .data)", "" when unknown
};

// The first thread (the main process's first) blocked in a lock wait above a
// signal frame.
std::optional<HandlerDeadlock> find_handler_deadlock(const HangSnapshot& hang, pid_t main_pid);

// Hash of a handler deadlock: the handler, what it interrupted and where it
// waits, whatever instruction the signal hit. Marks the handler's and the
// interrupted call's frames.
std::string deadlock_hash(std::vector<Frame>& frames, const HandlerDeadlock& d);

}  // namespace faultline
