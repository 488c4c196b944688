#include "process/core_file.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "base/files.h"
#include "process/maps.h"

namespace faultline {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kPage = 4096;
constexpr size_t kMaxThreads = 4096;        // threads written; the rest are counted
constexpr size_t kMaxSegments = 60000;  // e_phnum is 16 bits (PN_XNUM needs section headers); stack splits add one per thread
constexpr size_t kMaxSmapsBytes = 64u << 20;
constexpr size_t kChunk = 1u << 20;

// One line of /proc/<pid>/smaps and its Anonymous: count.
struct Mapping {
  uint64_t start = 0, end = 0, offset = 0;
  std::string perms, path;
  uint64_t anonymous = 0;  // bytes of private (written) pages
  bool anonymous_known = false;
  uint64_t dump = 0;       // bytes written to the core: 0, a header page, or all
  int keep_tier = 0;       // 0 any, 1 a thread's stack, 2 the crashing thread's, 3 an ELF header page
  uint64_t size() const { return end - start; }
  bool readable() const { return !perms.empty() && perms[0] == 'r'; }
  bool shared() const { return perms.size() > 3 && perms[3] == 's'; }
  // Backed by a file gdb can read again; memfd, SysV and /dev/zero pages live only in memory.
  bool file_backed() const {
    return !path.empty() && path[0] == '/' && path.rfind("/memfd:", 0) != 0 && path.rfind("/SYSV", 0) != 0 &&
           path.rfind("/dev/zero", 0) != 0;
  }
};

std::vector<Mapping> read_mappings(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::string text = read_proc_file(base + "/smaps", kMaxSmapsBytes);
  const bool smaps = !text.empty();
  if (!smaps) text = read_proc_file(base + "/maps", kMaxSmapsBytes);
  std::vector<Mapping> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!out.empty() && line.rfind("Anonymous:", 0) == 0) {
      out.back().anonymous = std::strtoull(line.c_str() + 10, nullptr, 10) << 10;
      continue;
    }
    std::istringstream fields(line);
    std::string range, perms, offset, dev, inode;
    if (!(fields >> range >> perms >> offset >> dev >> inode)) continue;
    const auto dash = range.find('-');
    if (dash == std::string::npos || range.find_first_not_of("0123456789abcdef-") != std::string::npos) continue;
    Mapping m;
    m.start = std::strtoull(range.substr(0, dash).c_str(), nullptr, 16);
    m.end = std::strtoull(range.substr(dash + 1).c_str(), nullptr, 16);
    m.offset = std::strtoull(offset.c_str(), nullptr, 16);
    m.perms = perms;
    m.anonymous_known = smaps;
    std::getline(fields >> std::ws, m.path);
    if (m.end > m.start) out.push_back(std::move(m));
  }
  return out;
}

// What the kernel's default coredump_filter (0x33) writes of a mapping:
// anonymous memory whole, file pages only once written (private), and the
// first page of a mapped ELF file so gdb can match build-ids.
uint64_t planned_dump(const Mapping& m, int mem_fd) {
  if (!m.readable() || m.path == "[vvar]" || m.path == "[vvar_vclock]" || m.path == "[vsyscall]") return 0;
  if (!m.file_backed()) return m.size();
  const bool written = m.anonymous_known ? m.anonymous > 0 : m.perms[1] == 'w';
  if (!m.shared() && written) return m.size();
  char magic[SELFMAG] = {};
  if (m.offset == 0 && pread(mem_fd, magic, SELFMAG, static_cast<off_t>(m.start)) == SELFMAG &&
      std::memcmp(magic, ELFMAG, SELFMAG) == 0)
    return kPage;
  return 0;
}

// The mapping of the stack sp is on: the one sp lies in, or after a stack
// overflow (sp in a guard page or gap) the writable one just above it, at
// most the kernel's 1 MiB stack_guard_gap away. maps.size() when none.
size_t stack_of(const std::vector<Mapping>& maps, uint64_t sp) {
  size_t above = maps.size();
  for (size_t i = 0; i < maps.size(); i++) {
    if (maps[i].start <= sp && sp < maps[i].end && maps[i].perms.compare(0, 3, "---") != 0) return i;
    if (maps[i].start > sp && (above == maps.size() || maps[i].start < maps[above].start)) above = i;
  }
  const bool overflowed = above < maps.size() && maps[above].start - sp <= (1u << 20) && maps[above].perms[1] == 'w';
  return overflowed ? above : maps.size();
}

// A thread's stack mapping in two: the part in use (from a little below its
// stack pointer up) and the unused depth below, which the size limit may
// leave out first. A whole 8 MiB pthread stack then costs the limit only what
// its frames use.
void split_stacks(std::vector<Mapping>& maps, const std::vector<uint64_t>& stack_pointers) {
  constexpr uint64_t kBelowSp = 64 * 1024;  // the red zone and whatever a signal frame left there
  std::vector<Mapping> out;
  for (auto& m : maps) {
    uint64_t low_sp = UINT64_MAX;
    for (uint64_t sp : stack_pointers)
      if (m.start <= sp && sp < m.end) low_sp = std::min(low_sp, sp);
    const uint64_t cut = low_sp == UINT64_MAX ? 0 : (low_sp & ~(kPage - 1)) - std::min(kBelowSp, low_sp & ~(kPage - 1));
    if (m.file_backed() || cut <= m.start) {
      out.push_back(std::move(m));
      continue;
    }
    Mapping below = m;
    below.end = cut;
    m.start = cut;
    out.push_back(std::move(below));
    out.push_back(std::move(m));
  }
  maps = std::move(out);
}

void add_note(std::string& notes, const char* name, uint32_t type, const void* desc, size_t size) {
  auto pad = [&] { notes.append((4 - notes.size() % 4) % 4, '\0'); };
  Elf64_Nhdr h{static_cast<Elf64_Word>(std::strlen(name) + 1), static_cast<Elf64_Word>(size), type};
  notes.append(reinterpret_cast<const char*>(&h), sizeof h);
  notes.append(name, h.n_namesz);
  pad();
  notes.append(static_cast<const char*>(desc), size);
  pad();
}

// Fields 4-6 of /proc/<pid>/stat: ppid, pgrp, session, as the process sees
// them inside its PID namespace (like every id in the core: glibc's thread
// descriptors in its memory hold those, and gdb matches threads by them).
void stat_ids(pid_t pid, int& ppid, int& pgrp, int& sid) {
  const std::string stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  const auto paren = stat.rfind(')');
  char state = 0;
  if (paren != std::string::npos) std::istringstream(stat.substr(paren + 1)) >> state >> ppid >> pgrp >> sid;
  if (ppid > 0) ppid = innermost_tid(ppid);
  pgrp = innermost_id(pid, "NSpgid", pgrp);
  sid = innermost_id(pid, "NSsid", sid);
}

uint64_t status_mask(pid_t tid, const char* key) {
  return std::strtoull(proc_status_field(tid, key).c_str(), nullptr, 16);
}

elf_prpsinfo process_info(pid_t pid) {
  elf_prpsinfo p{};
  p.pr_sname = 'R';
  p.pr_pid = innermost_tid(pid);
  stat_ids(pid, p.pr_ppid, p.pr_pgrp, p.pr_sid);
  std::istringstream(proc_status_field(pid, "Uid")) >> p.pr_uid;
  std::istringstream(proc_status_field(pid, "Gid")) >> p.pr_gid;
  const std::string comm = process_name(pid);
  std::strncpy(p.pr_fname, comm.c_str(), sizeof p.pr_fname - 1);
  std::string args = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline", sizeof p.pr_psargs - 1);
  std::replace(args.begin(), args.end(), '\0', ' ');
  while (!args.empty() && args.back() == ' ') args.pop_back();
  std::strncpy(p.pr_psargs, args.c_str(), sizeof p.pr_psargs - 1);
  return p;
}

// NT_FILE: count, page size, (start, end, offset in pages) per file mapping, then their names.
std::string file_note(const std::vector<Mapping>& maps) {
  std::vector<uint64_t> words{0, kPage};
  std::string names;
  for (const auto& m : maps) {
    if (!m.file_backed()) continue;
    words[0]++;
    words.insert(words.end(), {m.start, m.end, m.offset / kPage});
    names += m.path;
    names += '\0';
  }
  return std::string(reinterpret_cast<const char*>(words.data()), words.size() * sizeof(uint64_t)) + names;
}

std::string thread_notes(pid_t pid, pid_t tid, const siginfo_t& si, bool first, const std::string& process_notes) {
  std::string notes;
  elf_prstatus st{};
  st.pr_info.si_signo = st.pr_cursig = static_cast<short>(si.si_signo);
  st.pr_info.si_code = si.si_code;
  st.pr_pid = innermost_tid(tid);
  stat_ids(pid, st.pr_ppid, st.pr_pgrp, st.pr_sid);
  st.pr_sigpend = status_mask(tid, "SigPnd");
  st.pr_sighold = status_mask(tid, "SigBlk");
  user_regs_struct regs{};
  static_assert(sizeof regs == sizeof st.pr_reg, "elf_gregset_t is user_regs_struct");
  ptrace(PTRACE_GETREGS, tid, nullptr, &regs);
  std::memcpy(&st.pr_reg, &regs, sizeof regs);
  user_fpregs_struct fp{};
  st.pr_fpvalid = ptrace(PTRACE_GETFPREGS, tid, nullptr, &fp) == 0;
  add_note(notes, "CORE", NT_PRSTATUS, &st, sizeof st);
  if (first) notes += process_notes;  // the kernel's order: after the first thread's status
  if (st.pr_fpvalid) add_note(notes, "CORE", NT_FPREGSET, &fp, sizeof fp);
  // No NT_X86_XSTATE: gdb 13 sizes it from its own table of XSAVE layouts and
  // warns on every thread when this CPU's is larger; FPREGSET has x87 and SSE.
  return notes;
}

std::string human(uint64_t bytes) {
  if (bytes >= (1ull << 40)) return std::to_string(bytes >> 40) + " TiB";
  if (bytes >= (1ull << 30)) return std::to_string(bytes >> 30) + " GiB";
  return bytes >= (1u << 20) ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes >> 10) + " KiB";
}

// Chooses what to leave out so the core fits: the largest first, tier by tier.
void fit_to_limit(std::vector<Mapping>& maps, uint64_t fixed, uint64_t limit, CoreFile& core) {
  uint64_t total = fixed;
  for (const auto& m : maps) total += m.dump;
  if (total <= limit) return;
  std::vector<Mapping*> order;
  for (auto& m : maps)
    if (m.dump) order.push_back(&m);
  // Large memory first (heap blocks, a stack's unused depth), then large
  // stacks (trimmed: the other threads', then the crashing one's), and only
  // then the small mappings gdb needs to find its way (the loader's and the
  // libraries' data, stacks in use), ELF header pages last.
  auto rank = [](const Mapping* m) {
    if (m->keep_tier == 3) return 6;
    return m->keep_tier + (m->dump > (1u << 20) ? 0 : 3);
  };
  std::sort(order.begin(), order.end(), [&](const Mapping* a, const Mapping* b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a->dump > b->dump;
  });
  auto name = [](const Mapping& m) {
    std::ostringstream what;
    what << std::hex << "0x" << m.start << "-0x" << m.end << std::dec << " " << m.perms << " "
         << (m.path.empty() ? "anonymous" : m.path);
    return what.str();
  };
  std::vector<Mapping*> out;
  for (Mapping* m : order) {
    if (total <= limit) break;
    // A thread's stack keeps its lowest part, where the innermost frames are
    // (it grows down), when the rest of it is what is over the limit.
    const uint64_t over = total - limit;
    if ((m->keep_tier == 1 || m->keep_tier == 2) && m->dump > over + kPage) {
      const uint64_t kept = (m->dump - over) & ~(kPage - 1);
      core.left_out.push_back(name(*m) + " above its lowest " + human(kept) + " (" + human(m->dump - kept) + ")");
      total -= m->dump - kept;
      m->dump = kept;
      continue;
    }
    total -= m->dump;
    out.push_back(m);
  }
  // Largest first overshoots: what still fits goes back in, smallest first.
  for (auto it = out.rbegin(); it != out.rend(); ++it)
    if (total + (*it)->dump <= limit) {
      total += (*it)->dump;
      *it = nullptr;
    }
  for (Mapping* m : out) {
    if (!m) continue;
    core.left_out.push_back(name(*m) + " (" + human(m->dump) + ")");
    m->dump = 0;
  }
}

bool write_all(int fd, const void* data, size_t n, uint64_t at) {
  const char* p = static_cast<const char*>(data);
  while (n) {
    const ssize_t w = pwrite(fd, p, n, static_cast<off_t>(at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w, n -= static_cast<size_t>(w), at += static_cast<uint64_t>(w);
  }
  return true;
}

// Copies [start, start+n) of the process into the core at `at`; pages that
// cannot be read stay a hole (zeros). False only when the core cannot be written.
bool copy_memory(int mem_fd, int fd, uint64_t start, uint64_t n, uint64_t at, std::vector<char>& buf, uint64_t& unreadable) {
  for (uint64_t done = 0; done < n;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, n - done));
    ssize_t got = pread(mem_fd, buf.data(), want, static_cast<off_t>(start + done));
    if (got <= 0) {  // an unreadable page in the chunk: go page by page
      got = pread(mem_fd, buf.data(), kPage, static_cast<off_t>(start + done));
      if (got <= 0) {
        unreadable += kPage;
        done += kPage;
        continue;
      }
    }
    // Pages of zeros (a thread stack's untouched depth, unpopulated memory) stay holes: the file is sparse.
    for (size_t page = 0; page < static_cast<size_t>(got); page += kPage) {
      const size_t n = std::min<size_t>(kPage, static_cast<size_t>(got) - page);
      const char* p = buf.data() + page;
      if ((p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0) && n == kPage) continue;
      if (!write_all(fd, p, n, at + done + page)) return false;
    }
    done += static_cast<uint64_t>(got);
  }
  return true;
}

// The mappings to dump, each with what of it goes in (`dump`) and how long it
// holds out against the size limit (`keep_tier`); `uncounted` past kMaxSegments.
std::vector<Mapping> planned_mappings(pid_t pid, const std::vector<pid_t>& tids, int mem_fd, size_t& uncounted) {
  std::vector<Mapping> maps = read_mappings(pid);
  uncounted = maps.size() > kMaxSegments ? maps.size() - kMaxSegments : 0;
  maps.resize(maps.size() - uncounted);
  std::vector<uint64_t> stack_pointers;
  for (size_t i = 0; i < tids.size() && i < kMaxThreads; i++) {
    user_regs_struct regs{};
    if (ptrace(PTRACE_GETREGS, tids[i], nullptr, &regs) == 0) stack_pointers.push_back(regs.rsp);
  }
  split_stacks(maps, stack_pointers);
  for (auto& m : maps) {
    m.dump = planned_dump(m, mem_fd);
    if (m.dump == kPage && m.file_backed()) m.keep_tier = 3;
  }
  for (size_t i = 0; i < stack_pointers.size(); i++)
    if (const size_t s = stack_of(maps, stack_pointers[i]); s < maps.size())
      maps[s].keep_tier = std::max(maps[s].keep_tier, i == 0 ? 2 : 1);
  return maps;
}

// The PT_NOTE segment's contents: every thread's notes, the process's after the first thread's.
std::string core_notes(pid_t pid, const std::vector<pid_t>& tids, const siginfo_t& si, const std::vector<Mapping>& maps) {
  // The process's notes come after the first thread's NT_PRSTATUS, as the kernel writes them.
  std::string process_notes;
  const elf_prpsinfo ps = process_info(pid);
  add_note(process_notes, "CORE", NT_PRPSINFO, &ps, sizeof ps);
  add_note(process_notes, "CORE", NT_SIGINFO, &si, sizeof si);
  const std::string auxv = read_proc_file("/proc/" + std::to_string(pid) + "/auxv", 64 * 1024);
  add_note(process_notes, "CORE", NT_AUXV, auxv.data(), auxv.size());
  const std::string files = file_note(maps);
  add_note(process_notes, "CORE", NT_FILE, files.data(), files.size());
  std::string notes;
  for (size_t i = 0; i < tids.size() && i < kMaxThreads; i++) notes += thread_notes(pid, tids[i], si, i == 0, process_notes);
  return notes;
}

Elf64_Ehdr core_elf_header(size_t phnum) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_CORE;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = static_cast<Elf64_Half>(phnum);
  return eh;
}

// How the file is laid out: headers, then the notes, then from a page boundary every mapping's dump.
struct CoreLayout {
  uint64_t notes_at = 0, data_at = 0;
  uint64_t end = 0;  // the file's size
  std::vector<Elf64_Phdr> ph;  // PT_NOTE, then one PT_LOAD per mapping
};

// The notes' place and size, and where the memory starts (what the size limit counts before any mapping).
CoreLayout core_layout(size_t mappings, size_t notes_size) {
  CoreLayout l;
  l.ph.resize(1 + mappings);
  l.notes_at = sizeof(Elf64_Ehdr) + l.ph.size() * sizeof(Elf64_Phdr);
  l.data_at = (l.notes_at + notes_size + kPage - 1) / kPage * kPage;
  l.ph[0] = Elf64_Phdr{PT_NOTE, 0, l.notes_at, 0, 0, notes_size, 0, 4};
  return l;
}

// One PT_LOAD per mapping, at the offsets its dump takes, once the limit has chosen them.
void place_segments(CoreLayout& l, const std::vector<Mapping>& maps) {
  uint64_t at = l.data_at;
  for (size_t i = 0; i < maps.size(); i++) {
    const Mapping& m = maps[i];
    const Elf64_Word flags = (m.perms[0] == 'r' ? PF_R : 0) | (m.perms[1] == 'w' ? PF_W : 0) | (m.perms[2] == 'x' ? PF_X : 0);
    l.ph[i + 1] = Elf64_Phdr{PT_LOAD, flags, at, m.start, 0, m.dump, m.size(), kPage};
    at += m.dump;
  }
  l.end = at;
}

// Writes the headers, the notes and the memory into fd, sized and synced; on
// success its blocks in disk_bytes. False with errno when it cannot be written.
bool write_core_contents(int fd, int mem_fd, const CoreLayout& l, const std::string& notes, const std::vector<Mapping>& maps,
                         CoreFile& core) {
  const Elf64_Ehdr eh = core_elf_header(l.ph.size());
  bool ok = write_all(fd, &eh, sizeof eh, 0) && write_all(fd, l.ph.data(), l.ph.size() * sizeof(Elf64_Phdr), sizeof eh) &&
            write_all(fd, notes.data(), notes.size(), l.notes_at);
  std::vector<char> buf(kChunk);
  for (size_t i = 0; ok && i < maps.size(); i++)
    if (maps[i].dump) ok = copy_memory(mem_fd, fd, maps[i].start, maps[i].dump, l.ph[i + 1].p_offset, buf, core.unreadable_bytes);
  ok = ok && ftruncate(fd, static_cast<off_t>(l.end)) == 0 && fsync(fd) == 0;
  const int write_errno = errno;
  struct stat st {};
  if (ok && fstat(fd, &st) == 0) core.disk_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
  errno = write_errno;  // as the writes left it, for the caller's message
  return ok;
}

// The temporary file in req.dir the core is written to; -1 with `error` set when it cannot be made.
int create_core_file(const CoreRequest& req, CoreFile& core) {
  std::error_code ec;
  fs::create_directories(req.dir, ec);
  std::string tmpl = (req.dir / (incoming_prefix("core") + "XXXXXX")).string();
  const int fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) {
    core.error = req.dir.string() + ": cannot create the core: " + std::strerror(errno);
    return -1;
  }
  core.path = tmpl;
  return fd;
}

}  // namespace

CoreFile::~CoreFile() {
  std::error_code ec;
  if (!kept && !path.empty()) fs::remove(path, ec);
}

void CoreFile::discard(const std::string& why) {
  if (kept) return;
  std::error_code ec;
  if (!path.empty()) fs::remove(path, ec);
  path.clear();
  if (error.empty()) error = why;
}

nlohmann::json core_json(const CoreFile& core) {
  if (!core.kept) return {{"error", core.error.empty() ? "not kept" : core.error}};
  nlohmann::json j = {{"path", core.path.string()}, {"bytes", core.bytes}, {"disk_bytes", core.disk_bytes}, {"threads", core.threads},
                      {"segments", core.segments}, {"left_out", core.left_out}};
  if (core.threads_unstopped) j["threads_unstopped"] = core.threads_unstopped;
  if (core.unreadable_bytes) j["unreadable_bytes"] = core.unreadable_bytes;
  return j;
}

std::string core_line(const CoreFile& core) {
  if (!core.kept) return "no core: " + (core.error.empty() ? std::string("not kept") : core.error);
  std::string line = "core " + core.path.string() + " (" + human(core.bytes) + ", " + human(core.disk_bytes) + " on disk, " + std::to_string(core.threads) +
                     (core.threads == 1 ? " thread" : " threads");
  if (!core.left_out.empty())
    line += "; " + std::to_string(core.left_out.size()) + " mappings left out for the size limit, largest " + core.left_out.front();
  if (core.threads_unstopped) line += "; " + std::to_string(core.threads_unstopped) + " threads did not stop in time";
  return line + ")";
}

Result<uint64_t> core_limit_bytes(uint64_t megabytes) {
  if (megabytes < 1 || megabytes > (1u << 20)) return Error{"--core-limit-mb must be 1 to 1048576 (MiB)"};
  return megabytes << 20;
}

std::shared_ptr<CoreFile> write_core_file(pid_t pid, const std::vector<pid_t>& tids, const siginfo_t& si,
                                          const CoreRequest& req, int threads_unstopped) {
  auto core = std::make_shared<CoreFile>();
  const int mem_fd = open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (mem_fd < 0) {
    core->error = "cannot read the process's memory: " + std::string(std::strerror(errno));
    return core;
  }
  size_t uncounted = 0;
  std::vector<Mapping> maps = planned_mappings(pid, tids, mem_fd, uncounted);
  const std::string notes = core_notes(pid, tids, si, maps);
  core->threads = static_cast<int>(std::min(tids.size(), kMaxThreads));
  core->threads_unstopped = threads_unstopped + static_cast<int>(tids.size() - core->threads);

  CoreLayout layout = core_layout(maps.size(), notes.size());
  fit_to_limit(maps, layout.data_at, req.limit_bytes, *core);
  if (uncounted)
    core->left_out.push_back(std::to_string(uncounted) + " mappings past the " + std::to_string(kMaxSegments) +
                             " a core's program headers may count");
  place_segments(layout, maps);
  core->segments = static_cast<int>(maps.size());

  const int fd = create_core_file(req, *core);
  if (fd < 0) {
    close(mem_fd);
    return core;
  }
  bool ok = write_core_contents(fd, mem_fd, layout, notes, maps, *core);
  const int write_errno = errno;
  ok = close(fd) == 0 && ok;
  close(mem_fd);
  if (!ok) {
    core->error = core->path.string() + ": cannot write the core: " + std::strerror(write_errno);
    std::error_code ec;
    fs::remove(core->path, ec);
    core->path.clear();
    return core;
  }
  core->bytes = layout.end;
  return core;
}

}  // namespace faultline
