#include "process/launch.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>

#include "base/allocators.h"
#include "process/maps.h"
#include "protocol.h"

extern char** environ;

namespace faultline {

namespace {

constexpr int kPidDigits = 10;

// Where faultline's own libraries are, from the directory of our executable:
// <prefix>/lib/faultline installed (cmake --install, the .deb), ../lib in a
// build tree.
std::string own_lib_dir() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return {};
  std::string dir(exe, n);
  dir = dir.substr(0, dir.rfind('/'));
  const std::string lib = dir.substr(0, dir.rfind('/')) + "/lib";
  return access((lib + "/faultline/" FL_INJECT_LIBRARY).c_str(), R_OK) == 0 ? lib + "/faultline" : lib;
}

// faultline-reaper beside the injector, found once ("" when it is not there).
const std::string& fence_reaper() {
  static const std::string path = [] {
    const std::string lib = own_lib_dir();
    const std::string reaper = lib.empty() ? lib : lib + "/faultline-reaper";
    return !reaper.empty() && access(reaper.c_str(), X_OK) == 0 ? reaper : std::string();
  }();
  return path;
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

rlimit limit_of(uint64_t v) {
  return rlimit{static_cast<rlim_t>(v), static_cast<rlim_t>(v)};
}


// A fence's init, in its namespaces if this machine has them, else as a
// plain process (the second attempt, after saying why once). -1: neither started.
pid_t start_init(ChildPlan& plan, int status_fd, bool& namespaced) {
  const bool root = geteuid() == 0;
  for (int attempt = 0; attempt < 2; attempt++) {
    // A second attempt only when the first tried namespaces and found there are none here.
    if (attempt == 1 && !(namespaced && namespaces_unavailable.load())) break;
    namespaced = attempt == 0 && !namespaces_unavailable.load();
    int go[2];
    if (pipe2(go, O_CLOEXEC)) break;
    plan.namespaced = namespaced;
    plan.fence_go_fd = go[0];
    const pid_t init = clone_process(namespaced ? CLONE_NEWPID | CLONE_NEWUSER : 0);
    if (init == 0) run_fence_init(plan);
    const int clone_errno = errno;
    if (init < 0) {
      close(go[0]);
      close(go[1]);
      // What a machine without (unprivileged) namespaces answers; anything else (EAGAIN: no
      // more processes) would fail without them too.
      const bool no_namespaces = clone_errno == EPERM || clone_errno == EINVAL || clone_errno == ENOSPC ||
                                 clone_errno == EUSERS || clone_errno == ENOSYS;
      errno = clone_errno;
      if (!namespaced || !no_namespaces) break;
      fence_unavailable(std::string("clone: ") + std::strerror(clone_errno));
      continue;
    }
    // The read end stays open here too until the init answers: a write to an init that already failed is no SIGPIPE.
    const bool mapped = !namespaced || !root || map_all_ids(init);
    const int map_errno = errno;
    if (mapped) (void)!write(go[1], "1", 1);
    close(go[1]);
    const auto first = first_record(status_fd, init);
    close(go[0]);
    if (mapped && first && first->kind == FL_FENCE_READY) return init;
    kill(init, SIGKILL);
    waitpid(init, nullptr, __WALL);
    if (namespaced)
      fence_unavailable(!mapped ? std::string("uid_map: ") + std::strerror(map_errno)
                        : first && first->kind == FL_FENCE_SETUP_FAILED ? std::string("uid_map: ") + std::strerror(first->value)
                                                                          : "its init did not start");
  }
  return -1;
}

struct RunPipes {
  int out[2] = {-1, -1}, err[2] = {-1, -1}, ev[2] = {-1, -1}, status[2] = {-1, -1};
  int in = -1;
  void close_child_ends() {
    for (int fd : {in, out[1], err[1], ev[1], status[1]}) close(fd);
  }
  void close_all() {
    close_child_ends();
    for (int fd : {out[0], err[0], ev[0], status[0]}) close(fd);
  }
};

}  // namespace

Result<Fence> launch(const RunRequest& req, const std::string& program, bool static_tls_needed) {
  RunPipes p;
  if (pipe2(p.out, O_CLOEXEC) || pipe2(p.err, O_CLOEXEC) || pipe2(p.ev, O_CLOEXEC) || pipe2(p.status, O_CLOEXEC)) {
    const int e = errno;
    p.close_all();
    return Error{std::string("pipe: ") + std::strerror(e)};
  }
  const std::string in_path = req.stdin_path.empty() ? "/dev/null" : req.stdin_path;
  p.in = open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (p.in < 0) {
    const int e = errno;
    p.close_all();
    return Error{in_path + ": " + std::strerror(e)};
  }
  struct stat ev_stat {};
  fstat(p.ev[1], &ev_stat);
  std::vector<std::string> argv_s = req.argv;
  const Allocator* asked = asked_allocator(req.schedule);
  auto allocator_library = allocator_preload(req.schedule);
  if (!allocator_library) {
    p.close_all();
    return allocator_library.error();
  }
  // AddressSanitizer reserves terabytes of shadow address space: RLIMIT_AS
  // would kill it at start. It gets its own options instead.
  const ExecutableFacts facts = executable_facts(program);
  Fence fence;
  std::vector<std::string> env_s =
      child_environment(req, p.ev[1], ev_stat.st_ino, allocator_library.value(), facts.asan,
                        static_tls_needed || facts.links_allocator ||
                            (asked && asked->key != FL_KEY_ALLOC_GLIBC),  // glibc's libc.so.6 is loaded anyway
                        fence.tunable_added);
  std::vector<char*> argv_c = c_strings(argv_s), env_c = c_strings(env_s);
  const std::string own_uid_map = std::to_string(geteuid()) + " " + std::to_string(geteuid()) + " 1\n",
                    own_gid_map = std::to_string(getegid()) + " " + std::to_string(getegid()) + " 1\n";
  const bool root = geteuid() == 0;
  ChildPlan plan{p.in, p.out[1], p.err[1], p.ev[1], p.status[1], argv_c.data(), env_c.data(),
                 req.cwd.empty() ? nullptr : req.cwd.c_str(), root_pid_digits(env_s), limit_of(req.limits.address_space_bytes), limit_of(req.limits.file_size_bytes),
                 limit_of(req.limits.max_processes), {}, false, !facts.asan, !req.supervise_only, {},
                 false, -1, root ? nullptr : own_uid_map.c_str(), root ? nullptr : own_gid_map.c_str(),
                 fence_reaper().empty() ? nullptr : fence_reaper().c_str()};
  if (auto stack = req.schedule.get(FL_KEY_STACK_MAIN)) {
    plan.stack = limit_of(*stack);
    plan.set_stack = true;
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, &fence.old_mask);
  plan.mask = fence.old_mask;
  fence.sigchld = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  fence.started = std::chrono::steady_clock::now();
  fence.init = start_init(plan, p.status[0], fence.namespaced);
  if (fence.init < 0) {
    const int e = errno;
    p.close_all();
    close(fence.sigchld);
    pthread_sigmask(SIG_SETMASK, &fence.old_mask, nullptr);
    return Error{std::string("cannot start the program's process: ") + std::strerror(e)};
  }
  p.close_child_ends();
  fence.out = p.out[0];
  fence.err = p.err[0];
  fence.events = p.ev[0];
  fence.status = p.status[0];
  for (int fd : {fence.out, fence.err, fence.events}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fence;
}

void close_fence(Fence& fence) {
  for (int fd : {fence.out, fence.err, fence.events, fence.status, fence.sigchld}) close(fd);
  fence.out = fence.err = fence.events = fence.status = fence.sigchld = -1;
  pthread_sigmask(SIG_SETMASK, &fence.old_mask, nullptr);
}

// The rest, once every writer is gone.
std::vector<fl_fence_record> later_records(const Fence& fence) {
  const int fd = fence.status;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::vector<FenceRecord> out;
  FenceRecord r{};
  while (out.size() < 16 && read(fd, &r, sizeof r) == sizeof r) out.push_back(r);
  return out;
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

// Ends the run's processes: in a namespace, killing its init kills them all
// (a process that left the group does not escape); outside one, the
// program's group (then kill_descendants sweeps the rest).
void end_fence(pid_t init, pid_t program) {
  if (program > 0) kill(-program, SIGKILL);
  kill(init, SIGKILL);
}

// Waits for the init (and, traced, every process the kernel kills with it:
// their last status comes to us) for up to 10 s, woken by each SIGCHLD (sfd).
void reap_fence(const Fence& fence, bool init_done) {
  const pid_t init = fence.init;
  const int sfd = fence.sigchld;
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

std::string default_inject_library() {
  const std::string lib = own_lib_dir();
  return lib.empty() ? lib : lib + "/" FL_INJECT_LIBRARY;
}

}  // namespace faultline
