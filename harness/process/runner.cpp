#include "process/runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <utility>

#include "base/allocators.h"
#include "process/event_decode.h"
#include "process/fence_record.h"
#include "process/hang.h"
#include "process/ptrace_injector.h"
#include "process/unwind.h"
#include "protocol.h"

extern char** environ;

namespace faultline {

namespace {

constexpr size_t kTailBytes = 64 * 1024;
constexpr int kPidDigits = 10;
// How long a timeout waits for the program's threads to stop for their stacks.
constexpr std::chrono::milliseconds kHangStopBound{1000};
// How long a core waits for the crashing process's other threads to stop.
constexpr std::chrono::milliseconds kCoreStopBound{1000};

bool is_crash_signal(int sig) {
  switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGABRT: case SIGTRAP: case SIGSYS:
      return true;
    default:
      return false;
  }
}

void append_capped(CapturedOutput& c, const char* data, size_t n, size_t cap) {
  c.total += n;
  if (c.head.size() < cap) c.head.append(data, std::min(n, cap - c.head.size()));
  c.tail.append(data, n);
  if (c.tail.size() > kTailBytes) c.tail.erase(0, c.tail.size() - kTailBytes);
}


// The thread group a task belongs to (Tgid: in /proc/<tid>/status).
pid_t tgid_of(pid_t tid) {
  const std::string tgid = proc_status_field(tid, "Tgid");
  return tgid.empty() ? tid : static_cast<pid_t>(std::strtol(tgid.c_str(), nullptr, 10));
}


// Options every ASan-built program gets under faultline (the user's own
// ASAN_OPTIONS come after them and win): die by SIGABRT so the tracer holds
// the process at the report, and no LeakSanitizer, which needs ptrace itself.
constexpr const char* kAsanOptions = "abort_on_error=1:detect_leaks=0:symbolize=0:allocator_may_return_null=1";

std::optional<std::string> loader_tunable_needed(const std::string& user_tunables, bool loads_static_tls_library) {
  // With the audit namespace, glibc's 512-byte static TLS surplus is too small
  // for a library with initial-exec TLS (jemalloc), preloaded or linked by the
  // program, to load. Only then does faultline raise it: it costs every
  // thread ~3.5 KB of stack, and a user's own value is theirs.
  if (!loads_static_tls_library || user_tunables.find("glibc.rtld.optional_static_tls=") != std::string::npos)
    return std::nullopt;
  return std::string("glibc.rtld.optional_static_tls=4096");
}

std::vector<std::string> child_environment(const RunRequest& req, int event_fd, ino_t event_ino,
                                           const std::string& allocator_library, bool asan, bool static_tls_needed,
                                           std::string& tunable_added) {
  std::vector<std::string> env;
  std::string preload, audit_env, audit_lib, tunables, asan_options;
  bool preload_given = false;  // the user's own LD_PRELOAD
  auto overridden = [&](std::string_view name) {
    return std::any_of(req.extra_env.begin(), req.extra_env.end(),
                       [&](const std::string& kv) { return kv.compare(0, kv.find('='), name) == 0; });
  };
  for (char** e = environ; *e; e++) {
    std::string_view kv(*e);
    auto name = kv.substr(0, kv.find('='));
    if (overridden(name)) continue;
    if (name == "ASAN_OPTIONS") asan_options = std::string(kv.substr(13));
    else if (name == "LD_PRELOAD") preload = std::string(kv.substr(11)), preload_given = !preload.empty();
    else if (name == "LD_AUDIT") audit_env = std::string(kv.substr(9));
    else if (name == "GLIBC_TUNABLES") tunables = std::string(kv.substr(15));
    else if (name != FL_ENV_SCHEDULE && name != FL_ENV_EVENT_FD && name != FL_ENV_ABORT_ON_FINDING &&
             name != FL_ENV_ROOT_PID && name != "LIBC_FATAL_STDERR_")
      env.emplace_back(kv);
  }
  // The swapped-in allocator goes right after the injector, whose RTLD_NEXT it becomes.
  if (!allocator_library.empty()) preload = allocator_library + (preload.empty() ? "" : ":" + preload);
  if (!req.inject_library.empty()) {
    preload = req.inject_library + (preload.empty() ? "" : ":" + preload);
    // The rtld-audit module sits next to the injector.
    const std::string audit = req.inject_library.substr(0, req.inject_library.rfind('/') + 1) + FL_AUDIT_LIBRARY;
    if (access(audit.c_str(), R_OK) == 0) audit_lib = audit;
  }
  if (!preload.empty()) env.push_back("LD_PRELOAD=" + preload);
  if (!audit_lib.empty()) {
    env.push_back("LD_AUDIT=" + audit_lib + (audit_env.empty() ? "" : ":" + audit_env));
    if (auto added = loader_tunable_needed(tunables, static_tls_needed || preload_given)) {
      tunables += std::string(tunables.empty() ? "" : ":") + *added;
      tunable_added = *added;
    }
  }
  else if (!audit_env.empty()) env.push_back("LD_AUDIT=" + audit_env);
  if (!tunables.empty()) env.push_back("GLIBC_TUNABLES=" + tunables);
  if (asan) env.push_back(std::string("ASAN_OPTIONS=") + kAsanOptions + (asan_options.empty() ? "" : ":" + asan_options));
  else if (!asan_options.empty()) env.push_back("ASAN_OPTIONS=" + asan_options);
  env.push_back(std::string(FL_ENV_SCHEDULE) + "=" + req.schedule.canonical());
  if (!req.supervise_only)
    env.push_back(std::string(FL_ENV_EVENT_FD) + "=" + std::to_string(event_fd) + ":" + std::to_string(event_ino));
  // Under an engine nobody reads the event pipe: a finding must be a crash it saves.
  else
    env.push_back(std::string(FL_ENV_ABORT_ON_FINDING) + "=1");
  // glibc writes "malloc(): ..." aborts to /dev/tty unless told otherwise; triage needs them.
  env.push_back("LIBC_FATAL_STDERR_=1");
  env.insert(env.end(), req.extra_env.begin(), req.extra_env.end());
  // A fuzz engine forks or runs the target through a shell: every process it runs is the program.
  if (!req.supervise_only) env.push_back(std::string(FL_ENV_ROOT_PID) + "=" + std::string(kPidDigits, '0'));  // filled in after fork
  return env;
}

// The digits of FL_ENV_ROOT_PID in the child's environment block.
char* root_pid_digits(std::vector<std::string>& env) {
  const std::string prefix = std::string(FL_ENV_ROOT_PID) + "=";
  for (auto& kv : env)
    if (kv.compare(0, prefix.size(), prefix) == 0) return kv.data() + prefix.size();
  return nullptr;
}

// After fork: no allocation. Zero-padded, as the injector parses it.
void write_pid_digits(char* digits, pid_t pid) {
  for (int i = kPidDigits - 1; i >= 0; i--, pid /= 10) digits[i] = static_cast<char>('0' + pid % 10);
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct ChildPlan {
  int stdin_fd, stdout_fd, stderr_fd, event_fd, status_fd;
  char** argv;
  char** envp;
  const char* cwd;  // nullptr: stay
  char* root_pid;   // FL_ENV_ROOT_PID's digits, written with the child's own pid
  rlimit as, fsize, nproc, stack;
  bool set_stack, set_as, trace;
  sigset_t mask;
  // The fence (run_fence_init): in namespaces or not, the byte that says the
  // ids are mapped, and the maps an unprivileged init writes itself.
  bool namespaced;
  int fence_go_fd;
  const char* own_uid_map;
  const char* own_gid_map;
  const char* reaper;  // faultline-reaper, which the init execs once the program runs (nullptr: none found)
};

using FenceRecord = fl_fence_record;

void send_record(int fd, fl_fence_record_kind kind, int value) {
  const FenceRecord r{kind, value};
  (void)!write(fd, &r, sizeof r);
}

// After fork: only async-signal-safe calls, no allocation. The program's own
// process: its own process group, under the limits, then exec.
[[noreturn]] void exec_child(const ChildPlan& p) {
  setpgid(0, 0);
  if (p.root_pid) write_pid_digits(p.root_pid, getpid());
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &p.mask, nullptr);
  dup2(p.stdin_fd, 0);
  dup2(p.stdout_fd, 1);
  dup2(p.stderr_fd, 2);
  fcntl(p.event_fd, F_SETFD, 0);  // the one extra fd the target inherits
  int lo = std::min(p.event_fd, p.status_fd), hi = std::max(p.event_fd, p.status_fd);
  close_range(3, lo - 1, 0);
  close_range(lo + 1, hi - 1, 0);
  close_range(hi + 1, ~0u, 0);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  if (p.set_as) setrlimit(RLIMIT_AS, &p.as);
  setrlimit(RLIMIT_FSIZE, &p.fsize);
  setrlimit(RLIMIT_NPROC, &p.nproc);
  if (p.set_stack) setrlimit(RLIMIT_STACK, &p.stack);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Same addresses every run: the main stack's usable size, heap and mmap
  // layout no longer vary, so a boundary found once holds on replay.
  personality(ADDR_NO_RANDOMIZE);
  if (!p.cwd || chdir(p.cwd) == 0) execvpe(p.argv[0], p.argv, p.envp);
  send_record(p.status_fd, FL_FENCE_EXEC_FAILED, errno);
  _exit(127);
}

bool write_whole_file(const char* path, const char* text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = static_cast<ssize_t>(std::strlen(text));
  const bool ok = write(fd, text, n) == n;
  close(fd);
  return ok;
}

// A fork without glibc's fork handlers (faultline may have threads; only
// async-signal-safe code runs in the child), into new namespaces or not.
pid_t clone_process(long namespaces) {
  return static_cast<pid_t>(syscall(SYS_clone, SIGCHLD | namespaces, nullptr, nullptr, nullptr, 0));
}

// The fence around one run (issue 15): pid 1 of the run's own PID namespace
// (and user namespace), the way bubblewrap and nsjail do it. The program,
// its child, cannot see faultline, so it can neither signal nor trace it, and
// when this init ends the kernel ends every process left in the namespace,
// whatever it did (setsid, double forks, SIGSTOP). The program is never pid 1
// itself: a namespace's init ignores every signal it has no handler for, from
// inside, and its orphans would become its children. After clone: only
// async-signal-safe calls, no allocation.
[[noreturn]] void run_fence_init(const ChildPlan& p) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // faultline gone: the namespace goes too
  if (p.namespaced && p.own_uid_map) {
    // Unprivileged: only our own ids, written by ourselves, dumpable for the moment it takes.
    prctl(PR_SET_DUMPABLE, 1);
    if (!write_whole_file("/proc/self/setgroups", "deny") || !write_whole_file("/proc/self/uid_map", p.own_uid_map) ||
        !write_whole_file("/proc/self/gid_map", p.own_gid_map)) {
      send_record(p.status_fd, FL_FENCE_SETUP_FAILED, errno);
      _exit(127);
    }
    prctl(PR_SET_DUMPABLE, 0);
  }
  char go = 0;
  if (read(p.fence_go_fd, &go, 1) != 1) _exit(127);  // faultline could not map our ids, or is gone
  close(p.fence_go_fd);
  send_record(p.status_fd, FL_FENCE_READY, 0);
  if (p.trace) {
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    kill(getpid(), SIGSTOP);  // faultline sets its options: the program is traced from its first instruction
  }
  // The program shares the init's memory until it execs (as posix_spawn does):
  // a plain fork would copy faultline's page tables a second time, and after a
  // few crashes faultline holds tens of MiB of debug information.
  static char program_stack[256 << 10] __attribute__((aligned(16)));
  const pid_t program = clone([](void* plan) -> int { exec_child(*static_cast<const ChildPlan*>(plan)); },
                              program_stack + sizeof program_stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                              const_cast<ChildPlan*>(&p));
  if (program < 0) {
    send_record(p.status_fd, FL_FENCE_EXEC_FAILED, errno);
    _exit(127);
  }
  // From here on a fresh image does the reaping: this one is a copy-on-write
  // copy of faultline, and every page faultline writes during the run would
  // be copied while it lives. If the reaper cannot run, this copy reaps.
  if (p.reaper) {
    char pid_text[kPidDigits + 1] = {}, fd_text[kPidDigits + 1] = {};  // zero-padded, NUL-terminated
    write_pid_digits(pid_text, program);
    write_pid_digits(fd_text, p.status_fd);
    char* const args[] = {const_cast<char*>("faultline-reaper"), pid_text, fd_text, nullptr};
    char* const no_env[] = {nullptr};
    fcntl(p.status_fd, F_SETFD, 0);
    execve(p.reaper, args, no_env);
    fcntl(p.status_fd, F_SETFD, FD_CLOEXEC);
  }
  for (;;) {  // reap whatever the program leaves behind, until it ends
    int st = 0;
    const pid_t w = waitpid(-1, &st, __WALL);
    if (w == program) {
      send_record(p.status_fd, FL_FENCE_PROGRAM_ENDED, st);
      _exit(0);
    }
    if (w < 0 && errno != EINTR) _exit(0);
  }
}

// Namespaces for the fence, while this machine lets us make them: once a
// clone or a map fails, every later run uses the process-group fence, and
// the user is told once.
std::atomic<bool> namespaces_unavailable{false};

void fence_unavailable(const std::string& why) {
  if (namespaces_unavailable.exchange(true)) return;
  std::cerr << "faultline: no PID namespace for the programs it runs (" << why
            << "): they run in a process group and are killed as a tree, and could signal or trace faultline\n";
}

// Root maps every id to itself (files keep their owners, setuid works);
// only root may, and only from outside.
bool map_all_ids(pid_t init) {
  const std::string dir = "/proc/" + std::to_string(init);
  return write_whole_file((dir + "/uid_map").c_str(), "0 0 4294967295\n") &&
         write_whole_file((dir + "/gid_map").c_str(), "0 0 4294967295\n");
}

// The init's first record: Ready, or why it could not start; nothing when it
// died first (or took more than 10 s). Only its death is looked at (WEXITED,
// not reaped): the stop it makes right after Ready is the runner's to see.
std::optional<FenceRecord> first_record(int fd, pid_t init) {
  bool died = false;
  for (int waited_ms = 0; waited_ms < 10000 && !died; waited_ms += 50) {
    siginfo_t info{};
    died = waitid(P_PID, init, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == init;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, died ? 0 : 50) > 0) {
      FenceRecord r{};
      if (read(fd, &r, sizeof r) == sizeof r) return r;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// The rest, once every writer is gone.
std::vector<FenceRecord> later_records(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::vector<FenceRecord> out;
  FenceRecord r{};
  while (out.size() < 16 && read(fd, &r, sizeof r) == sizeof r) out.push_back(r);
  return out;
}

rlimit limit_of(uint64_t v) {
  return rlimit{static_cast<rlim_t>(v), static_cast<rlim_t>(v)};
}

// Kills and reaps every remaining descendant: the process group first, then
// (we are a child subreaper) anything that escaped it and got reparented to us.
void kill_descendants(pid_t pgid) {
  kill(-pgid, SIGKILL);
  const pid_t self = getpid();
  for (int round = 0; round < 64; round++) {
    std::vector<pid_t> children;
    if (DIR* d = opendir("/proc")) {
      while (dirent* e = readdir(d)) {
        pid_t p = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
        if (p <= 0) continue;
        const std::string stat = read_proc_file(std::string("/proc/") + e->d_name + "/stat", 4096);
        auto close_paren = stat.rfind(')');
        if (close_paren == std::string::npos) continue;
        std::istringstream rest(stat.substr(close_paren + 2));
        char state;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == self) children.push_back(p);
      }
      closedir(d);
    }
    if (children.empty()) return;
    for (pid_t c : children) kill(c, SIGKILL);
    for (pid_t c : children) waitpid(c, nullptr, __WALL);
  }
}

// Inits of earlier runs, killed with nothing left in their namespace, still
// to be reaped; each run reaps those that are gone, and waits for the oldest
// once there are many.
std::vector<pid_t> inits_to_reap;

void reap_later(pid_t init) { inits_to_reap.push_back(init); }

void reap_earlier_inits() {
  std::erase_if(inits_to_reap, [](pid_t p) { return waitpid(p, nullptr, __WALL | WNOHANG) != 0; });
  while (inits_to_reap.size() > 16) {
    waitpid(inits_to_reap.front(), nullptr, __WALL);
    inits_to_reap.erase(inits_to_reap.begin());
  }
}

// The record a checkpoint carries (event_record.h): sizeof(fl_event) bytes at
// si_value in the stopped thread's memory; "" when it cannot be read (the
// decoder then sees no record, not a torn one).
std::string read_checkpoint_record(pid_t tid, const siginfo_t& si) {
  std::string record(sizeof(fl_event), '\0');
  iovec local{record.data(), record.size()}, remote{si.si_value.sival_ptr, record.size()};
  return process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(record.size()) ? record : std::string();
}

// Ends the run's processes: in a namespace, killing its init kills them all
// (a process that left the group does not escape); outside one, the
// program's group (then kill_descendants sweeps the rest).
void end_fence(pid_t init, pid_t program) {
  if (program > 0) kill(-program, SIGKILL);
  kill(init, SIGKILL);
}

// Waits for the init (and, traced, every process the kernel kills with it:
// their last status comes to us) for up to 10 s, woken by each SIGCHLD (sfd).
void reap_fence(pid_t init, bool init_done, int sfd) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!init_done && std::chrono::steady_clock::now() < deadline) {
    const pid_t w = waitpid(-1, nullptr, __WALL | WNOHANG);
    if (w == init || (w < 0 && errno == ECHILD)) return;
    if (w > 0) continue;
    pollfd p{sfd, POLLIN, 0};
    poll(&p, 1, 10);
    signalfd_siginfo ssi;
    while (read(sfd, &ssi, sizeof ssi) == sizeof ssi) {
    }
  }
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is available; returns false at EOF.
bool drain(int fd, CapturedOutput* sink, std::string* raw, size_t cap, int echo_fd) {
  char buf[65536];
  // A writer as fast as this reader would keep it here for ever, past the
  // timeout; after 4 MiB the caller's loop decodes, checks and comes back.
  for (size_t budget = 64; budget > 0; budget--) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      if (sink) {
        size_t echo = sink->total < cap ? std::min<size_t>(n, cap - sink->total) : 0;
        append_capped(*sink, buf, n, cap);
        if (echo_fd >= 0 && echo) (void)!write(echo_fd, buf, echo);
      }
      if (raw) raw->append(buf, n);
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return true;  // EAGAIN
  }
  return true;
}

// The state letter of /proc/<tid>/stat ('t': ptrace stop, 'Z'/'X': gone); 0 when it has no entry.
char task_state(pid_t tid) {
  const std::string stat = read_proc_file("/proc/" + std::to_string(tid) + "/stat", 4096);
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

// The other threads of a crashing process, held for its core: each is sent
// SIGSTOP and given until `bound` to reach a ptrace stop. Returns those that
// stopped; `resume` gets the ones stopped by a SIGSTOP (continued without it
// after the core), `later` the wait statuses of every other stop and task,
// for the runner to handle as it would have.
std::vector<pid_t> hold_threads(pid_t tgid, const std::vector<pid_t>& tids, std::chrono::milliseconds bound,
                                std::vector<pid_t>& resume, std::vector<std::pair<pid_t, int>>& later) {
  std::set<pid_t> pending;
  std::vector<pid_t> held;
  for (pid_t t : tids)
    if (syscall(SYS_tgkill, tgid, t, SIGSTOP) == 0) pending.insert(t);
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    for (pid_t w; (w = waitpid(-1, &st, __WALL | WNOHANG)) > 0;) {
      if (!pending.erase(w) || !WIFSTOPPED(st)) {
        later.emplace_back(w, st);
        continue;
      }
      held.push_back(w);
      if (WSTOPSIG(st) == SIGSTOP && (st >> 16) == 0) resume.push_back(w);
      else later.emplace_back(w, st);
    }
    // Already in a stop the runner has not resumed (the ptrace injector's deferred ones): no new status comes.
    for (auto it = pending.begin(); it != pending.end();) {
      const char state = task_state(*it);
      if (state == 't') held.push_back(*it);
      it = state == 't' || state == 'Z' || state == 'X' || state == 0 ? pending.erase(it) : std::next(it);
    }
    if (!pending.empty()) usleep(500);
  }
  return held;
}

}  // namespace

// The signal's disposition in the tracee: SigCgt is a hex mask, bit sig-1.
bool signal_caught(pid_t tid, int sig) {
  const uint64_t mask = std::strtoull(proc_status_field(tid, "SigCgt").c_str(), nullptr, 16);
  return (mask >> (sig - 1)) & 1u;
}

static constexpr uint64_t kPage = 4096;

// The writable mapping a stack pointer is on, or just above it when the
// stack pointer has already moved into the guard page or gap below.
static const MapEntry* stack_mapping_of(const std::vector<MapEntry>& maps, uint64_t sp) {
  const MapEntry* m = mapping_containing(maps, sp);
  if (m && m->writable()) return m;
  const MapEntry* above = mapping_containing(maps, (sp | (kPage - 1)) + 1);
  return above && above->writable() ? above : nullptr;
}

// A handler's frame sits on the stack the kernel switched to, and its
// ucontext records the thread's sigaltstack (uc_stack: ss_sp at offset 16,
// ss_size at 32, from the trampoline's stack pointer, x86_64).
static void read_altstack_of_signal_frame(pid_t tid, CrashSnapshot& s) {
  auto trampoline = std::find_if(s.frames.begin(), s.frames.end(), [](const Frame& f) { return f.function == "__restore_rt"; });
  if (trampoline == s.frames.end() || !trampoline->sp) return;
  uint64_t uc_stack[3] = {0, 0, 0};  // ss_sp, ss_flags (int, padded), ss_size
  iovec local{uc_stack, sizeof uc_stack}, remote{reinterpret_cast<void*>(trampoline->sp + 16), sizeof uc_stack};
  if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof uc_stack)) return;
  if (!uc_stack[0] || !uc_stack[2] || uc_stack[0] + uc_stack[2] < uc_stack[0]) return;  // none set, or nonsense
  s.altstack_low = uc_stack[0];
  s.altstack_high = uc_stack[0] + uc_stack[2];
}

CrashSnapshot take_snapshot(pid_t pid, pid_t tid, int thread_index, const siginfo_t& si, size_t max_frames) {
  CrashSnapshot s;
  s.tid = tid;
  s.thread_index = thread_index;
  s.signo = si.si_signo;
  s.si_code = si.si_code;
  s.fault_address = reinterpret_cast<uint64_t>(si.si_addr);
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0) {
    s.pc = regs.rip;
    s.sp = regs.rsp;
    s.fs_base = regs.fs_base;
  }
  s.handler_installed = signal_caught(tid, si.si_signo);
  s.pid = pid;
  s.program = process_name(pid);
  rlimit rl{};
  if (prlimit(pid, RLIMIT_STACK, nullptr, &rl) == 0) s.stack_rlimit = rl.rlim_cur;
  s.maps = read_maps(pid);
  s.thread_name = read_proc_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/comm", 64);
  if (!s.thread_name.empty() && s.thread_name.back() == '\n') s.thread_name.pop_back();
  StackRun* run = nullptr;
  if (const MapEntry* m = stack_mapping_of(s.maps, s.sp); m && m->path != "[stack]" && !m->contains(s.fs_base)) {
    // Neither the main stack nor this thread's own: follow the frames to where it starts.
    s.stack_run.low = m->start - kPage;  // the guard page the stack pointer may already be in
    s.stack_run.high = m->end;
    run = &s.stack_run;
  }
  Unwound u = unwind_stopped_thread(pid, tid, max_frames, run);
  s.frames = std::move(u.frames);
  s.frames_truncated = u.truncated;
  read_altstack_of_signal_frame(tid, s);
  return s;
}

// Where faultline's own libraries are, from the directory of our executable:
// <prefix>/lib/faultline installed (cmake --install, the .deb), ../lib in a
// build tree.
static std::string own_lib_dir() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return {};
  std::string dir(exe, n);
  dir = dir.substr(0, dir.rfind('/'));
  const std::string lib = dir.substr(0, dir.rfind('/')) + "/lib";
  return access((lib + "/faultline/" FL_INJECT_LIBRARY).c_str(), R_OK) == 0 ? lib + "/faultline" : lib;
}

std::string default_inject_library() {
  const std::string lib = own_lib_dir();
  return lib.empty() ? lib : lib + "/" FL_INJECT_LIBRARY;
}

// faultline-reaper beside the injector, found once ("" when it is not there).
static const std::string& fence_reaper() {
  static const std::string path = [] {
    const std::string lib = own_lib_dir();
    const std::string reaper = lib.empty() ? lib : lib + "/faultline-reaper";
    return !reaper.empty() && access(reaper.c_str(), X_OK) == 0 ? reaper : std::string();
  }();
  return path;
}

namespace {
// One run of `program` (req.argv[0] resolved). static_tls_needed: a process
// of it could not load before (a descendant that links jemalloc, varnishtest's varnishd).
Result<RunResult> run_attempt(const RunRequest& req, const std::string& program, bool static_tls_needed) {
  reap_earlier_inits();
  int out[2] = {-1, -1}, err[2] = {-1, -1}, ev[2] = {-1, -1}, status[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(ev, O_CLOEXEC) || pipe2(status, O_CLOEXEC))
    return Error{std::string("pipe: ") + std::strerror(errno)};
  auto close_all = [&] {
    for (int fd : {out[0], out[1], err[0], err[1], ev[0], ev[1], status[0], status[1]}) close(fd);
  };
  const std::string in_path = req.stdin_path.empty() ? "/dev/null" : req.stdin_path;
  int in_fd = open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in_fd < 0) {
    close_all();
    return Error{in_path + ": " + std::strerror(errno)};
  }
  struct stat ev_stat {};
  fstat(ev[1], &ev_stat);

  std::vector<std::string> argv_s = req.argv;
  const Allocator* asked = asked_allocator(req.schedule);
  auto allocator_library = allocator_preload(req.schedule);
  if (!allocator_library) {
    close_all();
    close(in_fd);
    return allocator_library.error();
  }
  // AddressSanitizer reserves terabytes of shadow address space: RLIMIT_AS
  // would kill it at start. It gets its own options instead.
  const ExecutableFacts facts = executable_facts(program);
  std::string tunable_added;
  std::vector<std::string> env_s =
      child_environment(req, ev[1], ev_stat.st_ino, allocator_library.value(), facts.asan,
                        static_tls_needed || facts.links_allocator ||
                            (asked && asked->key != FL_KEY_ALLOC_GLIBC),  // glibc's libc.so.6 is loaded anyway
                        tunable_added);
  std::vector<char*> argv_c = c_strings(argv_s), env_c = c_strings(env_s);

  const std::string own_uid_map = std::to_string(geteuid()) + " " + std::to_string(geteuid()) + " 1\n",
                    own_gid_map = std::to_string(getegid()) + " " + std::to_string(getegid()) + " 1\n";
  const bool root = geteuid() == 0;
  ChildPlan plan{in_fd, out[1], err[1], ev[1], status[1], argv_c.data(), env_c.data(),
                 req.cwd.empty() ? nullptr : req.cwd.c_str(), root_pid_digits(env_s), limit_of(req.limits.address_space_bytes), limit_of(req.limits.file_size_bytes),
                 limit_of(req.limits.max_processes), {}, false, !facts.asan, !req.supervise_only, {},
                 false, -1, root ? nullptr : own_uid_map.c_str(), root ? nullptr : own_gid_map.c_str(),
                 fence_reaper().empty() ? nullptr : fence_reaper().c_str()};
  if (auto stack = req.schedule.get(FL_KEY_STACK_MAIN)) {
    plan.stack = limit_of(*stack);
    plan.set_stack = true;
  }

  sigset_t chld, old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, &old_mask);
  plan.mask = old_mask;
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  const auto t0 = std::chrono::steady_clock::now();
  auto restore = [&] {
    close(sfd);
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  };
  // The fence's init: in its namespaces if this machine has them, else as a
  // plain process (the second attempt, after saying why once).
  pid_t init = -1;
  bool namespaced = false;
  for (int attempt = 0; attempt < 2 && init < 0; attempt++) {
    // A second attempt only when the first tried namespaces and found there are none here.
    if (attempt == 1 && !(namespaced && namespaces_unavailable.load())) break;
    namespaced = attempt == 0 && !namespaces_unavailable.load();
    int go[2];
    if (pipe2(go, O_CLOEXEC)) break;
    plan.namespaced = namespaced;
    plan.fence_go_fd = go[0];
    init = clone_process(namespaced ? CLONE_NEWPID | CLONE_NEWUSER : 0);
    if (init == 0) run_fence_init(plan);
    const int clone_errno = errno;
    if (init < 0) {
      close(go[0]);
      close(go[1]);
      // What a machine without (unprivileged) namespaces answers; anything else (EAGAIN: no
      // more processes) would fail without them too.
      const bool no_namespaces = clone_errno == EPERM || clone_errno == EINVAL || clone_errno == ENOSPC ||
                                 clone_errno == EUSERS || clone_errno == ENOSYS;
      if (!namespaced || !no_namespaces) {
        errno = clone_errno;
        break;
      }
      fence_unavailable(std::string("clone: ") + std::strerror(clone_errno));
      continue;
    }
    // The read end stays open here too until the init answers: a write to an init that already failed is no SIGPIPE.
    const bool mapped = !namespaced || !root || map_all_ids(init);
    const int map_errno = errno;
    if (mapped) (void)!write(go[1], "1", 1);
    close(go[1]);
    const auto first = first_record(status[0], init);
    close(go[0]);
    if (mapped && first && first->kind == FL_FENCE_READY) break;
    kill(init, SIGKILL);
    waitpid(init, nullptr, __WALL);
    init = -1;
    if (namespaced)
      fence_unavailable(!mapped ? std::string("uid_map: ") + std::strerror(map_errno)
                        : first && first->kind == FL_FENCE_SETUP_FAILED ? std::string("uid_map: ") + std::strerror(first->value)
                                                                          : "its init did not start");
  }
  if (init < 0) {
    int e = errno;
    close_all();
    close(in_fd);
    restore();
    return Error{std::string("cannot start the program's process: ") + std::strerror(e)};
  }
  close(in_fd);
  for (int fd : {out[1], err[1], ev[1], status[1]}) close(fd);
  for (int fd : {out[0], err[0], ev[0]}) set_nonblocking(fd);

  RunResult r;
  r.loader_tunable_added = tunable_added;
  r.pid_namespace = namespaced;
  // The program's own process: the init's one child, known at its fork event
  // (traced), or the init itself when only supervised.
  pid_t pid = req.supervise_only ? init : 0;
  r.pid = pid;
  int st = 0;
  // The init stops itself before it forks the program; from here on we see every process's crash signals.
  if (!req.supervise_only && waitpid(init, &st, __WALL) == init && WIFSTOPPED(st)) {
    ptrace(PTRACE_SETOPTIONS, init, nullptr,
           PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
               PTRACE_O_TRACEEXEC);
    ptrace(PTRACE_CONT, init, nullptr, nullptr);
  }
  bool main_done = false, timed_out = false, out_open = true, err_open = true, ev_open = true;
  int main_status = 0;
  // Every traced task: threads of the program and of every process it forks.
  struct Task {
    pid_t tgid;
    int index;  // thread index within its process: 0 = main thread, then creation order
  };
  std::map<pid_t, Task> tasks;
  std::map<pid_t, int> next_index;
  std::set<pid_t> awaiting_first_stop;  // auto-attached tasks start with a SIGSTOP
  HostIds host_ids;                     // in a namespace: the program's ids for its tasks -> ours
  size_t live_processes = 0;            // the program's processes: RLIMIT_NPROC binds no root, this does
  // tgid 0: not known yet, read it from /proc (only for a task not seen before).
  auto learn = [&](pid_t tid, pid_t tgid) -> const Task& {
    if (auto it = tasks.find(tid); it != tasks.end()) return it->second;
    if (tgid == 0) tgid = tgid_of(tid);
    int& next = next_index.try_emplace(tgid, 1).first->second;
    awaiting_first_stop.insert(tid);
    if (namespaced) host_ids[innermost_tid(tid)] = tid;
    if (tid == tgid && ++live_processes > req.limits.max_processes) {
      kill(tid, SIGKILL);  // as a fork past RLIMIT_NPROC: the process never runs
      r.processes_refused++;
    }
    return tasks.emplace(tid, Task{tgid, tid == tgid ? 0 : next++}).first->second;
  };
  bool init_done = false;
  // The init's own stops: the fork that starts the program, and signals its namespace cannot send it.
  auto on_init = [&](int st) {
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      init_done = true;
      // Supervised, its end is the run's (the program's status is in its record); traced, the program's is.
      if (req.supervise_only || !pid) main_done = true, main_status = st;
      return;
    }
    if (!WIFSTOPPED(st)) return;
    const int event = st >> 16;
    if (!pid && (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE)) {
      unsigned long child = 0;
      ptrace(PTRACE_GETEVENTMSG, init, nullptr, &child);
      pid = static_cast<pid_t>(child);
      r.pid = pid;
      learn(pid, pid);
    }
    ptrace(PTRACE_CONT, init, nullptr, nullptr);
  };
  struct ProcessCrashes {
    std::optional<CrashSnapshot> first_caught, fatal;
  };
  std::map<pid_t, ProcessCrashes> crashes;
  PtraceInjector ptrace_injector(req.schedule, req.max_frames);
  // Wait statuses collected while the threads were held for a core: handled after it.
  std::vector<std::pair<pid_t, int>> after_core;
  // --core at a timeout: the program's threads as the hang snapshot stopped
  // them, before the kill (SIGKILL is the signal the core names).
  auto core_at_timeout = [&] {
    std::vector<std::pair<int, pid_t>> stopped;
    int unstopped = 0;
    for (const auto& [tid, task] : tasks)
      if (task.tgid != pid) continue;
      else if (task_state(tid) == 't') stopped.emplace_back(task.index, tid);
      else unstopped++;
    if (stopped.empty()) return;
    std::sort(stopped.begin(), stopped.end());
    std::vector<pid_t> tids;
    for (auto [index, tid] : stopped) tids.push_back(tid);
    siginfo_t kill_info{};
    kill_info.si_signo = SIGKILL;
    kill_info.si_code = SI_USER;
    r.core = write_core_file(pid, tids, kill_info, req.core, unstopped);
  };
  // --core, at the fatal signal of the program's own process: every thread
  // held, the one that crashed first in the core.
  auto write_core = [&](pid_t tgid, pid_t crashed, const siginfo_t& si) {
    std::vector<std::pair<int, pid_t>> others;  // by thread index
    for (const auto& [tid, task] : tasks)
      if (task.tgid == tgid && tid != crashed) others.emplace_back(task.index, tid);
    std::sort(others.begin(), others.end());
    std::vector<pid_t> tids;
    for (auto [index, tid] : others) tids.push_back(tid);
    std::vector<pid_t> resume;
    std::vector<pid_t> held = hold_threads(tgid, tids, kCoreStopBound, resume, after_core);
    std::sort(held.begin(), held.end(), [&](pid_t a, pid_t b) { return tasks[a].index < tasks[b].index; });
    held.insert(held.begin(), crashed);
    r.core = write_core_file(tgid, held, si, req.core, static_cast<int>(tids.size() + 1 - held.size()));
    for (pid_t t : resume) ptrace(PTRACE_CONT, t, nullptr, nullptr);
  };

  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(req.limits.timeout_seconds));
  std::string event_bytes;
  bool program_started = false;  // the exec event of the program's own process
  // Processes that exec'd (with how many injector records had come before
  // their last exec, and what they exec'd), and those of them that then exited 127.
  std::map<pid_t, size_t> records_before_exec;
  std::map<pid_t, std::string> execed;
  std::set<pid_t> exited_127;
  const int echo_out = req.forward_output ? 1 : -1, echo_err = req.forward_output ? 2 : -1;
  const size_t cap = req.limits.output_cap_bytes;

  // One wait status of any traced task: exits, ptrace events, stops, signals.
  auto handle = [&](pid_t w, int st) {
    if (w == init) return on_init(st);
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      if (auto it = tasks.find(w); it != tasks.end() && it->second.tgid == w) live_processes--;
      if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && records_before_exec.count(w)) exited_127.insert(w);
      if (w != pid) tasks.erase(w);  // its tid may be reused; a timeout must not signal a stranger
      if (w == pid) {
        main_done = true;
        main_status = st;
      } else if (WIFSIGNALED(st) && crashes.count(w)) {  // a descendant process died of its crash
        auto& c = crashes[w];
        r.child_crashes.push_back({w, WTERMSIG(st), c.first_caught ? *c.first_caught : *c.fatal});
      }
      return;
    }
    if (!WIFSTOPPED(st)) return;
    const int sig = WSTOPSIG(st), event = st >> 16;
    const Task task = learn(w, 0);
    if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
      unsigned long child = 0;
      ptrace(PTRACE_GETEVENTMSG, w, nullptr, &child);
      const pid_t c = static_cast<pid_t>(child);
      learn(c, event == PTRACE_EVENT_CLONE ? task.tgid : c);
      ptrace(PTRACE_CONT, w, nullptr, nullptr);
      return;
    }
    if (event != 0) {  // exec
      drain(ev[0], nullptr, &event_bytes, 0, -1);  // the old image's records are in the pipe by now
      decode_events(event_bytes, r, host_ids);
      records_before_exec[task.tgid] = r.events.size();
      execed[task.tgid] = executable_of(w);
      if (task.tgid == pid) ptrace_injector.on_exec(pid, r), program_started = true;
      ptrace(PTRACE_CONT, w, nullptr, nullptr);
      return;
    }
    if (sig == SIGSTOP && awaiting_first_stop.erase(w)) {  // auto-attached new task
      ptrace(PTRACE_CONT, w, nullptr, nullptr);
      return;
    }
    siginfo_t si{};
    if (ptrace(PTRACE_GETSIGINFO, w, nullptr, &si) != 0) {  // group-stop: do not let it stop
      ptrace(PTRACE_CONT, w, nullptr, nullptr);
      return;
    }
    if (sig == FL_CHECKPOINT_SIGNAL && si.si_code == SI_QUEUE) {
      // The injector just reported a finding, or a `delay` hold, on this
      // thread: its record is in the thread's memory (si_value), so that a
      // program that closed the event pipe loses nothing. Read it and the
      // stack now, then swallow the signal.
      drain(ev[0], nullptr, &event_bytes, 0, -1);
      event_bytes += read_checkpoint_record(w, si);
      decode_events(event_bytes, r, host_ids);
      bool taken = false;
      for (auto* list : {&r.injector_findings, &r.delay_holds})
        for (auto it = list->rbegin(); it != list->rend() && !taken; ++it) {
          if (it->event.tid != w || it->snapshot) continue;
          it->snapshot = take_snapshot(task.tgid, w, task.index, si, req.max_frames);
          taken = true;
        }
      ptrace(PTRACE_CONT, w, nullptr, nullptr);
      return;
    }
    if (ptrace_injector.on_signal(task.tgid, w, task.index, sig, si, r, deadline)) return;
    // Single-steps of the malloc-signal injector are not crashes.
    const bool single_step = sig == SIGTRAP && si.si_code == TRAP_TRACE;
    if (task.tgid == pid && !is_crash_signal(sig)) r.signals_received[sig] = {si.si_code, host_id(host_ids, si.si_pid)};
    if (is_crash_signal(sig) && !single_step && !timed_out) {
      auto& process = crashes[task.tgid];
      const bool caught = signal_caught(w, sig);
      auto& slot = caught ? process.first_caught : process.fatal;
      if (!slot) {
        slot = take_snapshot(task.tgid, w, task.index, si, req.max_frames);
        if (!caught && task.tgid == pid && req.core.wanted() && !r.core) write_core(task.tgid, w, si);
      }
    }
    ptrace(PTRACE_CONT, w, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(sig)));
  };

  while (!main_done) {
    auto now = std::chrono::steady_clock::now();
    if (!timed_out && now >= deadline) {
      timed_out = true;
      // Where every thread is stuck, taken before the kill destroys it.
      if (!req.supervise_only) {
        std::vector<TracedTask> traced;
        for (const auto& [tid, task] : tasks) traced.push_back({tid, task.tgid, task.index});
        r.hang = snapshot_hung_tasks(std::move(traced), kHangStopBound, handle);
        if (req.core.wanted()) core_at_timeout();
      }
      end_fence(init, pid);
    }
    int wait_ms = timed_out ? 50
                            : static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
    pollfd fds[4] = {{sfd, POLLIN, 0}, {out_open ? out[0] : -1, POLLIN, 0},
                     {err_open ? err[0] : -1, POLLIN, 0}, {ev_open ? ev[0] : -1, POLLIN, 0}};
    poll(fds, 4, std::max(wait_ms, 0));
    signalfd_siginfo ssi;
    while (read(sfd, &ssi, sizeof ssi) == sizeof ssi) {
    }
    if (out_open) out_open = drain(out[0], &r.out, nullptr, cap, echo_out);
    if (err_open) err_open = drain(err[0], &r.err, nullptr, cap, echo_err);
    if (ev_open) ev_open = drain(ev[0], nullptr, &event_bytes, 0, -1);
    decode_events(event_bytes, r, host_ids);

    for (pid_t w; (w = waitpid(-1, &st, __WALL | WNOHANG)) > 0;) {
      handle(w, st);
      // Stops the ptrace injector collected while single-stepping: handled now,
      // no SIGCHLD will announce them again.
      for (auto deferred = ptrace_injector.take_deferred(); !deferred.empty(); deferred = ptrace_injector.take_deferred())
        for (auto [dw, dst] : deferred) handle(dw, dst);
      for (auto held_back = std::exchange(after_core, {}); !held_back.empty(); held_back = std::exchange(after_core, {}))
        for (auto [dw, dst] : held_back) handle(dw, dst);
    }
  }
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.threads_started = pid && next_index.count(pid) ? next_index[pid] : 1;
  r.first_caught = crashes[pid].first_caught;
  r.fatal = crashes[pid].fatal;
  end_fence(init, pid);
  if (!namespaced) kill_descendants(pid > 0 ? pid : init);
  // Traced, with no task of the program left, the namespace holds the init
  // alone (already on its way out): it is reaped later, off the run's time.
  const bool only_the_init_is_left =
      namespaced && !req.supervise_only && std::all_of(tasks.begin(), tasks.end(), [&](const auto& t) { return t.first == pid; });
  if (only_the_init_is_left && !init_done) reap_later(init);
  else reap_fence(init, init_done, sfd);
  drain(out[0], &r.out, nullptr, cap, echo_out);
  drain(err[0], &r.err, nullptr, cap, echo_err);
  drain(ev[0], nullptr, &event_bytes, 0, -1);
  decode_events(event_bytes, r, host_ids);
  std::optional<int> exec_errno;
  for (const FenceRecord& record : later_records(status[0]))
    if (record.kind == FL_FENCE_EXEC_FAILED) exec_errno = record.value;
    else if (record.kind == FL_FENCE_PROGRAM_ENDED && req.supervise_only) main_status = record.value;
  for (int fd : {out[0], err[0], ev[0], status[0]}) close(fd);
  restore();
  // Exit 127 right after an exec, before the injector's constructor said
  // hello: the dynamic loader refused the program (it exits 127 then). For
  // one that links an allocator library, the static TLS surplus is why.
  for (size_t i = 0; i < r.events.size(); i++)
    if (r.events[i].kind == FL_EVENT_HELLO && i >= records_before_exec[r.events[i].pid]) exited_127.erase(r.events[i].pid);
  r.static_tls_refused = std::any_of(exited_127.begin(), exited_127.end(),
                                     [&](pid_t p) { return links_allocator_library(execed[p]); });
  if (exec_errno)
    return Error{"cannot execute '" + req.argv[0] + "': " + std::strerror(*exec_errno)};
  // Killed inside execve, past its point of no return (no room for the
  // program under the limits, say): the program never ran, so nothing of it crashed.
  if (!program_started && !timed_out && WIFSIGNALED(main_status))
    return Error{"'" + req.argv[0] + "' never started: the kernel ended it with signal " +
                 std::to_string(WTERMSIG(main_status)) + " (" + strsignal(WTERMSIG(main_status)) +
                 ") during exec (are its limits too small to load it?)"};

  if (timed_out) {
    r.end = RunResult::End::TimedOut;
    r.term_signal = SIGKILL;
  } else if (WIFSIGNALED(main_status)) {
    r.end = RunResult::End::Signaled;
    r.term_signal = WTERMSIG(main_status);
  } else {
    r.end = RunResult::End::Exited;
    r.exit_code = WEXITSTATUS(main_status);
  }
  return r;
}
}  // namespace

Result<RunResult> run_program(const RunRequest& req) {
  if (req.argv.empty()) return Error{"no program to run"};
  // With the audit namespace, a library with initial-exec TLS fails to load
  // ("cannot allocate memory in static TLS block") unless the loader's surplus
  // is raised; faultline raises it up front when it can see the need (a
  // preload, an executable that links an allocator). A process deeper in the
  // tree that links one and was refused (varnishtest's varnishd) gets its run
  // made once more with the surplus raised, and every later run of the same
  // program in this faultline gets it from the start.
  static std::mutex known_mutex;
  static std::set<std::string> known_to_need_it;
  const std::string program = resolve_program(req.argv[0], req.cwd);
  bool known;
  {
    std::lock_guard<std::mutex> lock(known_mutex);
    known = known_to_need_it.count(program) > 0;
  }
  auto r = run_attempt(req, program, known);
  if (!known && r && r->static_tls_refused && r->loader_tunable_added.empty() && !req.inject_library.empty()) {
    auto again = run_attempt(req, program, true);
    if (again && !again->loader_tunable_added.empty()) {
      std::lock_guard<std::mutex> lock(known_mutex);
      known_to_need_it.insert(program);
      return again;
    }
  }
  return r;
}

}  // namespace faultline
