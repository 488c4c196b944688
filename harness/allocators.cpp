#include "allocators.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

namespace faultline {

namespace {
// The allocator's entry points, as the in-process injector counts them.
const std::set<std::string> kAllocatorSymbols = {"malloc", "free", "calloc", "realloc"};
const std::set<std::string> kStaticAllocatorMarkers = {"je_malloc", "tc_malloc", "mi_malloc", "__asan_init"};
}  // namespace

const std::vector<Allocator>& allocators() {
  static const std::vector<Allocator> table = {
      {"glibc", FL_KEY_ALLOC_GLIBC, "", "libc6", "libc.so"},
      {"jemalloc", FL_KEY_ALLOC_JEMALLOC, "libjemalloc.so.2", "libjemalloc2", "libjemalloc"},
      {"tcmalloc", FL_KEY_ALLOC_TCMALLOC, "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4", "libtcmalloc"},
      {"mimalloc", FL_KEY_ALLOC_MIMALLOC, "libmimalloc.so.2", "libmimalloc2.0", "libmimalloc"},
  };
  return table;
}

const Allocator* allocator_by_name(const std::string& name) {
  for (const auto& a : allocators())
    if (name == a.name) return &a;
  return nullptr;
}

const Allocator& scheduled_allocator(const Schedule& s) {
  for (const auto& a : allocators())
    if (s.get(a.key)) return a;
  return allocators().front();
}

Result<std::string> allocator_library_path(const Allocator& a) {
  if (!*a.library) return std::string();
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu/", "/lib/x86_64-linux-gnu/", "/usr/lib/", "/lib/"}) {
    const std::string path = std::string(dir) + a.library;
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  return Error{std::string("alloc ") + a.name + ": " + a.library + " is not installed (apt-get install " + a.package + ")"};
}

bool is_allocator_entry(const std::string& symbol) { return kAllocatorSymbols.count(symbol) > 0; }

const Allocator* allocator_of_module(const std::string& module) {
  for (const auto& a : allocators())
    if (module.rfind(a.module_prefix, 0) == 0) return &a;
  return nullptr;
}


std::map<std::string, uint64_t> executable_allocator_symbols(const std::string& exe, bool* pie) {
  std::map<std::string, uint64_t> found;
  elf_version(EV_CURRENT);
  int fd = open(exe.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return found;
  if (Elf* e = elf_begin(fd, ELF_C_READ, nullptr)) {
    GElf_Ehdr eh;
    *pie = gelf_getehdr(e, &eh) && eh.e_type == ET_DYN;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e, scn));) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)) continue;
      Elf_Data* data = elf_getdata(scn, nullptr);
      for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
            sym.st_shndx == SHN_UNDEF || !sym.st_value)
          continue;
        const char* name = elf_strptr(e, sh.sh_link, sym.st_name);
        // malloc & co. get breakpoints in ptrace mode; an allocator's own entry
        // points (je_/tc_/mi_) only tell that it is linked in.
        if (name && (kAllocatorSymbols.count(name) || kStaticAllocatorMarkers.count(name))) found.emplace(name, sym.st_value);
      }
    }
    elf_end(e);
  }
  close(fd);
  return found;
}

bool is_asan_executable(const std::string& exe) {
  bool pie = false;
  return executable_allocator_symbols(exe, &pie).count("__asan_init") > 0;
}

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
