#include "process/unwind.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>

// libiberty.h declares its own basename() unless told string.h has one.
#define HAVE_DECL_BASENAME 1
#include <libiberty/demangle.h>

namespace faultline {

namespace {

constexpr unsigned kDwarfRegRsp = 7;  // x86_64 DWARF register number of %rsp

// Rust (v0 `_R…`, and legacy `_ZN…17h<hash>E`, shown without the hash as
// rustc's own backtraces do) through libiberty; C++ through the C++ runtime.
std::string demangle(const char* name) {
  if (!name) return {};
  if (!std::strncmp(name, "_R", 2) || !std::strncmp(name, "_ZN", 3)) {
    // rust_demangle declines a C++ name: a legacy Rust one ends in its hash.
    std::unique_ptr<char, decltype(&std::free)> rust(rust_demangle(name, DMGL_PARAMS | DMGL_ANSI), &std::free);
    if (rust) return rust.get();
  }
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                               &std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

std::string basename_of(const char* path) {
  if (!path) return {};
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

struct Walk {
  Dwfl* dwfl;
  size_t max_frames;
  StackRun* run;
  size_t walked = 0;
  Dwarf_Addr base_pc = 0;  // the run's outermost frame so far
  bool base_activation = false;
  Unwound out;
};

// Each module's symbols and lines, kept for the faultline process's life in
// a Dwfl of its own: reading a module's debug information (libc's, which
// must be decompressed) is most of a crash's triage, and children run the
// same files at the same addresses (ASLR is off). Keyed by path, load bias
// and build-id (or, without one, the file's identity), so a rebuilt program
// is read again. One Dwfl per module: two programs' modules may overlap.
class SymbolCache {
 public:
  // The cached module standing for `live` (a module of a traced process's
  // Dwfl), or nullptr: then `live` itself is read, as before.
  Dwfl_Module* module_for(Dwfl_Module* live) {
    Dwarf_Addr bias = 0;
    if (!dwfl_module_getelf(live, &bias)) return nullptr;
    const char* mainfile = nullptr;
    const char* name = dwfl_module_info(live, nullptr, nullptr, nullptr, nullptr, nullptr, &mainfile, nullptr);
    if (!mainfile || mainfile[0] != '/' || !name) return nullptr;
    std::string key = std::string(mainfile) + '\0' + std::to_string(bias) + '\0';
    const unsigned char* id = nullptr;
    GElf_Addr id_vaddr = 0;
    const int id_len = dwfl_module_build_id(live, &id, &id_vaddr);
    struct stat st {};
    if (id_len > 0)
      key.append(reinterpret_cast<const char*>(id), static_cast<size_t>(id_len));
    else if (stat(mainfile, &st) == 0)
      key += std::to_string(st.st_dev) + ':' + std::to_string(st.st_ino) + ':' + std::to_string(st.st_size) + ':' +
             std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec);
    else
      return nullptr;
    if (auto it = entries_.find(key); it != entries_.end()) return it->second.module;
    if (entries_.size() >= kMaxModules) return nullptr;
    Entry& e = entries_.emplace(key, Entry{}).first->second;  // a failure is remembered too
    e.dwfl.reset(dwfl_begin(&kOffline));
    if (!e.dwfl) return nullptr;
    dwfl_report_begin(e.dwfl.get());
    Dwfl_Module* mod = dwfl_report_elf(e.dwfl.get(), name, mainfile, -1, bias, false);
    dwfl_report_end(e.dwfl.get(), nullptr, nullptr);
    // The file at that path now must be the one the process mapped.
    const unsigned char* cached_id = nullptr;
    if (mod && id_len > 0 &&
        (dwfl_module_build_id(mod, &cached_id, &id_vaddr) != id_len || std::memcmp(cached_id, id, id_len) != 0))
      mod = nullptr;
    e.module = mod;
    return mod;
  }

  // The slot for a cached module's frames at pc ("" when not yet known), or
  // nullptr once the memo is full.
  std::vector<Frame>* memo(Dwfl_Module* mod, Dwarf_Addr pc, bool activation) {
    const auto key = std::make_tuple(mod, pc, activation);
    if (auto it = frames_.find(key); it != frames_.end()) return &it->second;
    if (frames_.size() >= kMaxMemoFrames) return nullptr;
    return &frames_[key];
  }

 private:
  static constexpr size_t kMaxModules = 256;  // past that, modules are read per crash
  static inline char* debuginfo_path_ = nullptr;
  static constexpr Dwfl_Callbacks kOffline = {
      .find_elf = dwfl_build_id_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = dwfl_offline_section_address,
      .debuginfo_path = &debuginfo_path_,
  };
  struct Entry {
    std::unique_ptr<Dwfl, void (*)(Dwfl*)> dwfl{nullptr, &dwfl_end};
    Dwfl_Module* module = nullptr;
  };
  std::map<std::string, Entry> entries_;
  static constexpr size_t kMaxMemoFrames = 1 << 16;
  std::map<std::tuple<Dwfl_Module*, Dwarf_Addr, bool>, std::vector<Frame>> frames_;
};

SymbolCache& symbol_cache() {
  static SymbolCache cache;
  return cache;
}

// The module to read names from for `live`: its cached twin when there is one.
Dwfl_Module* named_module(Dwfl_Module* live) {
  Dwfl_Module* cached = symbol_cache().module_for(live);
  return cached ? cached : live;
}

// A stripped module's nearest function symbol at or below `lookup` (its
// .dynsym is all that is left): "BZ2_bzWriteOpen+0x41". Approximate by
// nature: a static function after it has no symbol of its own.
std::string nearest_symbol(Dwfl_Module* mod, Dwarf_Addr lookup) {
  const int n = dwfl_module_getsymtab(mod);
  std::string best;
  GElf_Addr best_addr = 0;
  for (int i = 1; i < n; i++) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    GElf_Word shndx = 0;
    const char* name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, nullptr, nullptr);
    if (!name || !*name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
    if (addr <= lookup && (best.empty() || addr > best_addr)) best = name, best_addr = addr;
  }
  if (best.empty()) return {};
  char offset[32];
  std::snprintf(offset, sizeof offset, "+0x%llx", static_cast<unsigned long long>(lookup - best_addr));
  std::string label = demangle(best.c_str());
  if (auto at = label.find('@'); at != std::string::npos) label.resize(at);
  return label + offset;
}

// A DIE's name: the demangled linkage name, else DW_AT_name, through
// DW_AT_abstract_origin (an inlined instance names its abstract function).
std::string die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name})
    if (dwarf_attr_integrate(die, name, &attr))
      if (const char* s = dwarf_formstring(&attr)) return name == DW_AT_name ? std::string(s) : demangle(s);
  return {};
}

// Where an inlined instance was called from: its DW_AT_call_file/call_line.
void call_site(Dwarf_Die* inlined, Dwarf_Die* cu, Frame& caller) {
  Dwarf_Attribute attr;
  Dwarf_Word file = 0, line = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &line) == 0) caller.line = static_cast<int>(line);
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &file) == 0 &&
      dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && file < nfiles)
    if (const char* name = dwarf_filesrc(files, file, nullptr, nullptr)) caller.file = name;
}

// The frames one return address stands for, innermost first, as
// `addr2line -i` shows them: the functions inlined at it, then the function
// the machine code belongs to (the last one).
std::vector<Frame> symbolized_frames(Dwfl* dwfl, Dwarf_Addr pc, bool activation) {
  // A return address points after the call; look up the call itself.
  Dwarf_Addr lookup = activation ? pc : pc - 1;
  Frame f;
  f.pc = pc;
  Dwfl_Module* live = dwfl_addrmodule(dwfl, lookup);
  if (!live) return {f};
  Dwfl_Module* mod = named_module(live);
  // A cached module's answers are kept too: recursions and repeated crashes
  // ask for the same return addresses again and again.
  std::vector<Frame>* memo = mod != live ? symbol_cache().memo(mod, pc, activation) : nullptr;
  if (memo && !memo->empty()) return *memo;
  Dwarf_Addr base = 0;
  const char* mainfile = nullptr;
  const char* modname = dwfl_module_info(mod, nullptr, &base, nullptr, nullptr, nullptr, &mainfile, nullptr);
  f.module = basename_of(mainfile ? mainfile : modname);
  f.module_offset = lookup - base;
  f.function = demangle(dwfl_module_addrname(mod, lookup));
  // "__libc_start_main@@GLIBC_2.34": the symbol version says nothing about the bug.
  if (auto at = f.function.find('@'); at != std::string::npos) f.function.resize(at);
  if (f.function.empty()) f.nearest_symbol = nearest_symbol(mod, lookup);
  if (Dwfl_Line* line = dwfl_module_getsrc(mod, lookup)) {
    int lineno = 0;
    if (const char* src = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      f.file = src;
      f.line = lineno;
    }
  }
  std::vector<Frame> out;
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, lookup, &bias);
  Dwarf_Die* scopes = nullptr;
  const int n = cu ? dwarf_getscopes(cu, lookup - bias, &scopes) : 0;
  Frame at = f;  // the innermost location: the line table's
  for (int i = 0; i < n && dwarf_tag(&scopes[i]) != DW_TAG_subprogram; i++) {
    if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine) continue;
    Frame inlined = at;
    inlined.function = die_function_name(&scopes[i]);
    inlined.nearest_symbol.clear();
    inlined.inlined = true;
    out.push_back(std::move(inlined));
    at.file.clear();
    at.line = 0;
    call_site(&scopes[i], cu, at);  // the next frame out is where this one was inlined
  }
  std::free(scopes);
  out.push_back(std::move(at));
  if (memo) *memo = out;
  return out;
}

Frame symbolized(Dwfl* dwfl, Dwarf_Addr pc, bool activation) { return symbolized_frames(dwfl, pc, activation).back(); }

void end_run(Walk& walk) {
  StackRun& run = *walk.run;
  run.complete = true;
  if (!run.frames) return;
  run.base_function = symbolized(walk.dwfl, walk.base_pc, walk.base_activation).function;
  // makecontext plants __start_context's own address as the return address,
  // so the byte before it belongs to whatever precedes it.
  if (run.base_function.empty()) run.base_function = symbolized(walk.dwfl, walk.base_pc, true).function;
}

// Extends the run with a frame, or ends it there.
void extend_run(Walk& walk, uint64_t sp, Dwarf_Addr pc, bool activation) {
  StackRun& run = *walk.run;
  if (run.complete) return;
  // A return address in no module is the unwinder reading past the run's
  // real first frame (makecontext's __start_context has no caller).
  const Dwarf_Addr lookup = activation ? pc : pc - 1;
  if (sp >= run.low && sp < run.high && sp >= run.top_sp && dwfl_addrmodule(walk.dwfl, lookup)) {
    run.top_sp = sp;
    run.frames++;
    walk.base_pc = pc;
    walk.base_activation = activation;
    return;
  }
  end_run(walk);
}

int on_frame(Dwfl_Frame* state, void* arg) {
  auto* walk = static_cast<Walk*>(arg);
  const bool naming = walk->out.frames.size() < walk->max_frames;
  if (!naming) {
    walk->out.truncated = true;
    if (!walk->run || walk->run->complete || walk->walked >= walk->max_frames + kMaxRunFrames) return DWARF_CB_ABORT;
  }
  walk->walked++;
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(state, &pc, &activation)) return DWARF_CB_ABORT;
  Dwarf_Word sp = 0;
  const bool has_sp = dwfl_frame_reg(state, kDwarfRegRsp, &sp) == 0;
  if (walk->run && has_sp) extend_run(*walk, sp, pc, activation);
  if (!naming) return DWARF_CB_OK;
  for (Frame& f : symbolized_frames(walk->dwfl, pc, activation)) {
    if (has_sp) f.sp = sp;
    walk->out.frames.push_back(std::move(f));
  }
  return DWARF_CB_OK;
}

}  // namespace

ProcessUnwinder::ProcessUnwinder(pid_t pid) : dwfl_(nullptr, &dwfl_end) {
  static char* debuginfo_path = nullptr;
  static const Dwfl_Callbacks callbacks = {
      .find_elf = dwfl_linux_proc_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = nullptr,
      .debuginfo_path = &debuginfo_path,
  };
  dwfl_.reset(dwfl_begin(&callbacks));
  if (!dwfl_) return;
  dwfl_report_begin(dwfl_.get());
  if (dwfl_linux_proc_report(dwfl_.get(), pid) != 0) return;
  dwfl_report_end(dwfl_.get(), nullptr, nullptr);
  // true: the runner already holds the threads in a ptrace stop.
  attached_ = dwfl_linux_proc_attach(dwfl_.get(), pid, true) == 0;
}

ProcessUnwinder::~ProcessUnwinder() = default;

Unwound ProcessUnwinder::unwind(pid_t tid, size_t max_frames, StackRun* run) {
  if (!attached_) return {};
  Walk walk{dwfl_.get(), max_frames, run, 0, 0, false, {}};
  // Anything but the callback's abort: the unwinder ran out of frames (some
  // libdw versions report the end of a backtrace as an error).
  const bool reached_end = dwfl_getthread_frames(dwfl_.get(), tid, on_frame, &walk) != DWARF_CB_ABORT;
  if (run && reached_end && !run->complete) end_run(walk);
  return std::move(walk.out);
}

std::optional<DataSymbol> ProcessUnwinder::data_symbol(uint64_t address) {
  if (!attached_) return std::nullopt;
  Dwfl_Module* live = dwfl_addrmodule(dwfl_.get(), address);
  if (!live) return std::nullopt;
  Dwfl_Module* mod = named_module(live);
  DataSymbol d;
  Dwarf_Addr base = 0;
  const char* mainfile = nullptr;
  const char* modname = dwfl_module_info(mod, nullptr, &base, nullptr, nullptr, nullptr, &mainfile, nullptr);
  d.module = basename_of(mainfile ? mainfile : modname);
  d.offset = address - base;
  Dwarf_Addr bias = 0;
  Dwarf_Addr in_section = address;
  if (Elf_Scn* scn = dwfl_module_address_section(mod, &in_section, &bias)) {
    GElf_Shdr shdr;
    size_t names = 0;
    Elf* elf = dwfl_module_getelf(mod, &bias);
    if (elf && gelf_getshdr(scn, &shdr) && elf_getshdrstrndx(elf, &names) == 0)
      if (const char* name = elf_strptr(elf, names, shdr.sh_name)) d.section = name;
  }
  GElf_Sym sym;
  GElf_Off off = 0;
  if (const char* name = dwfl_module_addrinfo(mod, address, &off, &sym, nullptr, nullptr, nullptr)) {
    d.symbol = name;
    d.offset = off;
  }
  return d;
}

Unwound unwind_stopped_thread(pid_t pid, pid_t tid, size_t max_frames, StackRun* run) {
  return ProcessUnwinder(pid).unwind(tid, max_frames, run);
}

}  // namespace faultline
