#include "unwind.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace faultline {

namespace {

constexpr unsigned kDwarfRegRsp = 7;  // x86_64 DWARF register number of %rsp

std::string demangle(const char* name) {
  if (!name) return {};
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
  Unwound out;
};

int on_frame(Dwfl_Frame* state, void* arg) {
  auto* walk = static_cast<Walk*>(arg);
  if (walk->out.frames.size() >= walk->max_frames) {
    walk->out.truncated = true;
    return DWARF_CB_ABORT;
  }
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(state, &pc, &activation)) return DWARF_CB_ABORT;
  // A return address points after the call; look up the call itself.
  Dwarf_Addr lookup = activation ? pc : pc - 1;

  Frame f;
  f.pc = pc;
  Dwarf_Word sp = 0;
  if (dwfl_frame_reg(state, kDwarfRegRsp, &sp) == 0) f.sp = sp;
  if (Dwfl_Module* mod = dwfl_addrmodule(walk->dwfl, lookup)) {
    Dwarf_Addr base = 0;
    const char* mainfile = nullptr;
    const char* modname = dwfl_module_info(mod, nullptr, &base, nullptr, nullptr, nullptr, &mainfile, nullptr);
    f.module = basename_of(mainfile ? mainfile : modname);
    f.module_offset = lookup - base;
    f.function = demangle(dwfl_module_addrname(mod, lookup));
    // "__libc_start_main@@GLIBC_2.34": the symbol version says nothing about the bug.
    if (auto at = f.function.find('@'); at != std::string::npos) f.function.resize(at);
    if (Dwfl_Line* line = dwfl_module_getsrc(mod, lookup)) {
      int lineno = 0;
      if (const char* src = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
        f.file = src;
        f.line = lineno;
      }
    }
  }
  walk->out.frames.push_back(std::move(f));
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

Unwound ProcessUnwinder::unwind(pid_t tid, size_t max_frames) {
  if (!attached_) return {};
  Walk walk{dwfl_.get(), max_frames, {}};
  dwfl_getthread_frames(dwfl_.get(), tid, on_frame, &walk);
  return std::move(walk.out);
}

std::optional<DataSymbol> ProcessUnwinder::data_symbol(uint64_t address) {
  if (!attached_) return std::nullopt;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl_.get(), address);
  if (!mod) return std::nullopt;
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

Unwound unwind_stopped_thread(pid_t pid, pid_t tid, size_t max_frames) {
  return ProcessUnwinder(pid).unwind(tid, max_frames);
}

}  // namespace faultline
