#include "base/allocators.h"

#include <elf.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string_view>

namespace faultline {

namespace {
// The allocator entry points ptrace mode breaks on (allocator_table.h).
const std::set<std::string> kAllocatorSymbols = [] {
  std::set<std::string> traced_entries;
#define FL_X(name, traced, ret, params) \
  if (traced) traced_entries.insert(#name);
  FL_ALLOCATOR_ENTRIES(FL_X)
#undef FL_X
  return traced_entries;
}();

bool is_static_entry_point(const std::string& symbol) {
  for (const auto& a : allocators())
    for (const auto& e : a.static_entry_points)
      if (symbol == e) return true;
  return false;
}

// Every named symbol in the sections of these types (SHT_SYMTAB, SHT_DYNSYM): visit(sym, name).
template <typename Visit>
void for_each_symbol(Elf* e, std::initializer_list<Elf64_Word> types, Visit visit) {
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || std::find(types.begin(), types.end(), sh.sh_type) == types.end() || !sh.sh_entsize)
      continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
      if (const char* name = elf_strptr(e, sh.sh_link, sym.st_name)) visit(sym, name);
    }
  }
}

// A function the executable itself defines (not an import).
bool defined_function(const GElf_Sym& sym) {
  return GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF && sym.st_value;
}

// The executable's undefined dynamic symbols that are an allocator's own API.
std::vector<std::string> own_api_imports(Elf* e, const Allocator& a) {
  std::vector<std::string> out;
  for_each_symbol(e, {SHT_DYNSYM}, [&](const GElf_Sym& sym, const char* name) {
    if (sym.st_shndx != SHN_UNDEF) return;
    for (const auto& prefix : a.own_api)
      if (std::string_view(name).starts_with(prefix)) {
        out.emplace_back(name);
        return;
      }
  });
  return out;
}

// The executable's DT_NEEDED entries.
std::vector<std::string> needed_libraries(Elf* e) {
  std::vector<std::string> out;
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
      GElf_Dyn dyn;
      if (!gelf_getdyn(data, static_cast<int>(i), &dyn)) break;
      if (dyn.d_tag != DT_NEEDED) continue;
      if (const char* name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val)) out.emplace_back(name);
    }
  }
  return out;
}

std::vector<std::pair<const Allocator*, std::string>> needed_allocators(Elf* e) {
  std::vector<std::pair<const Allocator*, std::string>> out;
  for (const auto& needed : needed_libraries(e))
    if (const Allocator* a = allocator_of_module(needed); a && a->key != FL_KEY_ALLOC_GLIBC) out.emplace_back(a, needed);
  return out;
}

template <typename Visit>
void with_elf(const std::string& exe, Visit visit) {
  elf_version(EV_CURRENT);
  int fd = open(exe.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (Elf* e = elf_begin(fd, ELF_C_READ, nullptr)) {
    visit(e);
    elf_end(e);
  }
  close(fd);
}
}  // namespace

const std::vector<Allocator>& allocators() {
  static const std::vector<Allocator> table = {
#define FL_X(P, id, name, library, package, module_prefix, help, static_entry_points, own_api, frame_functions, \
             abort_messages)                                                                                 \
  {name,                                                                                                     \
   FL_KEY_ALLOC_##id,                                                                                        \
   library,                                                                                                  \
   package,                                                                                                  \
   module_prefix,                                                                                            \
   {FL_ALLOC_LIST static_entry_points},                                                                      \
   {FL_ALLOC_LIST own_api},                                                                                  \
   frame_functions,                                                                                          \
   {FL_ALLOC_LIST abort_messages}},
      FL_ALLOCATORS(FL_X, _)
#undef FL_X
  };
  return table;
}

const Allocator* allocator_by_name(const std::string& name) {
  for (const auto& a : allocators())
    if (name == a.name) return &a;
  return nullptr;
}

const Allocator* asked_allocator(const Schedule& s) {
  for (const auto& a : allocators())
    if (s.get(a.key)) return &a;
  return nullptr;
}

const Allocator& scheduled_allocator(const Schedule& s) {
  const Allocator* a = asked_allocator(s);
  return a ? *a : allocators().front();
}

Result<std::string> allocator_library_path(const Allocator& a) {
  // glibc's is the one faultline itself runs on, wherever this system keeps it.
  if (a.key == FL_KEY_ALLOC_GLIBC) {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&gnu_get_libc_version), &info) && info.dli_fname && *info.dli_fname)
      return std::string(info.dli_fname);
  }
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu/", "/lib/x86_64-linux-gnu/", "/usr/lib/", "/lib/"}) {
    const std::string path = std::string(dir) + a.library;
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  return Error{std::string("alloc ") + a.name + ": " + a.library + " is not installed (apt-get install " + a.package + ")"};
}

Result<std::string> allocator_preload(const Schedule& s) {
  const Allocator* asked = asked_allocator(s);
  return asked ? allocator_library_path(*asked) : Result<std::string>(std::string());
}

bool is_allocator_entry(const std::string& symbol) { return kAllocatorSymbols.count(symbol) > 0; }

const Allocator* allocator_of_module(const std::string& module) {
  for (const auto& a : allocators())
    if (module.rfind(a.module_prefix, 0) == 0) return &a;
  return nullptr;
}


std::map<std::string, uint64_t> executable_allocator_symbols(const std::string& exe, bool* pie) {
  std::map<std::string, uint64_t> found;
  with_elf(exe, [&](Elf* e) {
    GElf_Ehdr eh;
    *pie = gelf_getehdr(e, &eh) && eh.e_type == ET_DYN;
    for_each_symbol(e, {SHT_SYMTAB, SHT_DYNSYM}, [&](const GElf_Sym& sym, const char* name) {
      // malloc & co. get breakpoints in ptrace mode; an allocator's own entry
      // points (je_/_rjem_/tc_/mi_) only tell that it is linked in.
      if (defined_function(sym) && (kAllocatorSymbols.count(name) || is_static_entry_point(name))) found.emplace(name, sym.st_value);
    });
  });
  return found;
}

std::vector<BroughtAllocator> allocators_brought(const std::string& exe) {
  std::vector<BroughtAllocator> out;
  with_elf(exe, [&](Elf* e) {
    for (const auto& [a, needed] : needed_allocators(e))
      out.push_back({a, BroughtAllocator::How::Needed, needed, own_api_imports(e, *a)});
  });
  bool pie = false;
  const auto own = executable_allocator_symbols(exe, &pie);
  std::string defined;
  for (const auto& [name, addr] : own)
    if (kAllocatorSymbols.count(name)) defined += (defined.empty() ? "" : ", ") + name;
  for (const auto& a : allocators())
    for (const auto& entry : a.static_entry_points)
      if (own.count(entry))
        out.push_back({&a, defined.empty() ? BroughtAllocator::How::StaticPrefixed : BroughtAllocator::How::StaticMalloc,
                       entry + (defined.empty() ? "" : ", " + defined), {}});
  if (!defined.empty() && std::none_of(out.begin(), out.end(), [](const BroughtAllocator& b) {
        return b.how == BroughtAllocator::How::StaticMalloc;
      }))
    out.push_back({nullptr, BroughtAllocator::How::StaticMalloc, defined, {}});
  return out;
}

ExecutableFacts executable_facts(const std::string& exe) {
  ExecutableFacts facts;
  with_elf(exe, [&](Elf* e) {
    facts.links_allocator = !needed_allocators(e).empty();
    for_each_symbol(e, {SHT_SYMTAB, SHT_DYNSYM}, [&](const GElf_Sym& sym, const char* name) {
      facts.asan = facts.asan || (defined_function(sym) && std::string_view(name) == "__asan_init");
    });
  });
  return facts;
}

bool links_allocator_library(const std::string& exe) { return executable_facts(exe).links_allocator; }

ServedAllocator served_allocator(const fl_event& e) {
  ServedAllocator s;
  s.flags = e.arg[0];
  char name[FL_ALLOCATOR_NAME_BYTES + 1] = {};
  std::memcpy(name, &e.arg[1], FL_ALLOCATOR_NAME_BYTES);
  for (char& c : name)
    if (c && (c < 0x21 || c > 0x7e)) c = '?';  // a file name from the program's process: printable only
  s.library = name;
  if (s.flags & FL_ALLOCATOR_IN_EXECUTABLE) s.library.clear(), s.name = "built-in";
  else if (const Allocator* a = allocator_of_module(s.library)) s.name = a->name;
  else s.name = s.library.empty() ? "unknown" : s.library;
  return s;
}

std::string served_how(const ServedAllocator& served, const Allocator* asked, const std::string& user_preload) {
  if (served.flags & FL_ALLOCATOR_NOT_INTERPOSED)
    return "the executable's own malloc comes before faultline's: the in-process sentinels cannot see its calls";
  if (served.flags & FL_ALLOCATOR_IN_EXECUTABLE) return "defined in the executable";
  if (served.library.empty()) return "the loader named no library for it";
  if (asked && served.name == asked->name) return std::string("preloaded by `alloc ") + asked->name + "`";
  if (asked) return std::string("`alloc ") + asked->name + "` preloaded " + asked->library + ", but " + served.library + " served";
  if (user_preload.find(served.library) != std::string::npos) return "preloaded by the user's LD_PRELOAD";
  if (served.name == allocators().front().name) return "the default";  // glibc: what runs without `alloc`
  return "the program's own: it links " + served.library;
}

bool is_asan_executable(const std::string& exe) { return executable_facts(exe).asan; }

std::string resolve_program(const std::string& name, const std::string& cwd) {
  std::error_code ec;
  const std::filesystem::path base = cwd.empty() ? std::filesystem::current_path(ec) : std::filesystem::path(cwd);
  auto against_base = [&](const std::string& p) {
    if (p.starts_with("/")) return p;
    return (base / (p.starts_with("./") ? p.substr(2) : p)).string();
  };
  if (name.find('/') != std::string::npos) return against_base(name);
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    const std::string candidate = against_base((dir.empty() ? std::string(".") : dir) + "/" + name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;
}
}  // namespace faultline
