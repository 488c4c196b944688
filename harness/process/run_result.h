// What one run gave: how it ended, its output, the injector's decoded
// events, and what the tracer read of it at its crash signals and timeout.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "event_record.h"
#include "process/core_file.h"
#include "process/frame.h"
#include "process/maps.h"
#include "process/unwind.h"

namespace faultline {

// What the tracer saw at a crash signal, before the signal was delivered.
struct CrashSnapshot {
  pid_t pid = 0;         // the process (thread group)
  std::string program;   // its /proc/<pid>/comm
  pid_t tid = 0;
  int thread_index = 0;  // 0 = main thread, then creation order
  int signo = 0;
  int si_code = 0;
  uint64_t fault_address = 0;
  uint64_t pc = 0, sp = 0;
  // The thread pointer: glibc puts a pthread's descriptor at the top of its
  // stack, so the stack that holds it is that thread's own.
  uint64_t fs_base = 0;
  std::string thread_name;         // its /proc/<pid>/task/<tid>/comm
  bool handler_installed = false;  // the program had a handler for signo
  uint64_t stack_rlimit = 0;       // RLIMIT_STACK soft limit of the process
  // The sigaltstack the innermost signal frame records (uc_stack), when the
  // thread is in a handler: [low, high).
  uint64_t altstack_low = 0, altstack_high = 0;
  std::vector<MapEntry> maps;
  std::vector<Frame> frames;
  bool frames_truncated = false;
  // The frames from the crash outward on the mapping that holds the stack
  // pointer: where that stack starts when its mapping is merged with another.
  StackRun stack_run;
};

// One thread of a program that ran out of time, as the tracer held it just
// before the kill: where it was and which syscall it was waiting in.
struct ThreadStack {
  pid_t pid = 0;         // the process (thread group)
  std::string program;   // its /proc/<pid>/comm
  pid_t tid = 0;
  pid_t own_tid = 0;     // tid as the program sees it, inside its PID namespace (innermost_tid)
  int thread_index = 0;  // 0 = main thread, then creation order
  long syscall = -1;     // orig_rax at the stop: the syscall it was blocked in (-1: none)
  uint64_t futex_address = 0;          // syscall futex: the word it waits on (rdi)
  std::optional<DataSymbol> futex_symbol;  // what that word is (main_arena in libc.so.6 .data)
  std::string futex_mapping;           // the mapping it lies in, in words
  // The word after the futex: a pthread mutex's owner tid (glibc's __data.__owner)
  // when the wait is a pthread_mutex_lock; meaningless for other locks.
  std::optional<uint32_t> word_after_futex;
  std::vector<Frame> frames;
  bool frames_truncated = false;
};

// Every traced thread at a timeout, bounded (kMaxHangThreads, kMaxHangFrames).
struct HangSnapshot {
  std::vector<ThreadStack> threads;
  int threads_left_out = 0;   // over the cap
  int threads_unstopped = 0;  // neither stopped nor exited within the bound
  double seconds = 0;         // what stopping and unwinding them cost
};
constexpr size_t kMaxHangThreads = 64;
constexpr size_t kMaxHangFrames = 128;
constexpr long kSyscallFutex = 202;  // x86_64

struct CapturedOutput {
  std::string head;  // first cap bytes
  std::string tail;  // last 64 KiB
  uint64_t total = 0;
  bool truncated() const { return total > head.size(); }
};

struct RunResult {
  enum class End { Exited, Signaled, TimedOut };
  End end = End::Exited;
  int exit_code = 0;    // End::Exited
  int term_signal = 0;  // End::Signaled (and the kill after a timeout)
  double wall_seconds = 0;
  pid_t pid = 0;  // of the program's process
  CapturedOutput out, err;
  std::vector<fl_event> events;
  // Records past the caps (kEventCap, and kFindingCap findings or holds) are
  // counted, not kept: a child flooding the pipe cannot exhaust faultline.
  uint64_t events_dropped = 0;
  // The fence: the program ran in its own PID namespace (else a process group
  // only), and the processes past RunLimits::max_processes it was not allowed.
  bool pid_namespace = false;
  uint64_t processes_refused = 0;
  // The first crash signal the program handled itself, and the first one
  // that had the default (fatal) disposition. A handler that catches SIGSEGV
  // and then aborts leaves both; the earlier one is the root cause.
  std::optional<CrashSnapshot> first_caught, fatal;
  // Descendant processes (forks of the program) that died of a crash signal,
  // in the order they died, with their first crash snapshot.
  struct ChildCrash {
    pid_t pid;
    int term_signal;
    CrashSnapshot snapshot;
  };
  std::vector<ChildCrash> child_crashes;
  // Sentinel findings reported by the injector, in order, each with the
  // stack of its thread at that moment (from the checkpoint that follows it).
  struct InjectorFinding {
    fl_event event;
    std::optional<CrashSnapshot> snapshot;
  };
  std::vector<InjectorFinding> injector_findings;
  // What faultline added to the child's GLIBC_TUNABLES ("": nothing; the user's own are passed as they are).
  std::string loader_tunable_added;
  // A process that links an allocator library exited 127 right after its
  // exec, before the injector started in it: the loader refused its static TLS.
  bool static_tls_refused = false;
  // `delay` holds (FL_EVENT_DELAYED, not pct's waits): each checkpoints too, so the held stack is read.
  std::vector<InjectorFinding> delay_holds;
  int ptrace_allocator_symbols = -1;  // malloc-signal ptrace: breakpoints armed (-1: not used)
  // Non-crash signals delivered to the program's own process, last of each
  // kind: who sent the one it died of (itself re-raising, another process).
  struct SignalSent {
    int si_code = 0;
    pid_t sender = 0;
  };
  std::map<int, SignalSent> signals_received;
  int threads_started = 1;  // threads the program's own process ran, the main one included
  std::optional<HangSnapshot> hang;    // End::TimedOut of a traced program
  std::shared_ptr<CoreFile> core;      // RunRequest::core: written at the fatal signal of the program's process
};

}  // namespace faultline
