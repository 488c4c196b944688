#include "search/fuzz_binaries.h"

#include <fcntl.h>
#include <gelf.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <set>
#include <string_view>
#include <utility>

namespace faultline {

namespace {

// A symbol table larger than this is not read (a corrupt sh_size must not
// make us allocate gigabytes; the biggest real ones are far below).
constexpr uint64_t kMaxSymbolTableBytes = 512ull << 20;
constexpr size_t kMaxSections = 1 << 16;
constexpr size_t kMaxProgramHeaders = 1 << 12;

struct SymbolFacts {
  bool defines_test_one_input = false;
  bool has_afl_runtime = false;
  bool has_libfuzzer_code = false;
};

// What afl-clang-fast's runtime (afl-compiler-rt) defines in every
// instrumented binary, with or without libAFLDriver.
bool is_afl_runtime_symbol(std::string_view name) {
  return name == "__afl_area_ptr" || name == "__afl_manual_init" || name == "__afl_persistent_loop" ||
         name == "__afl_fuzz_ptr";
}

// libFuzzer's own code: its driver entry point and its C++ namespace
// (mangled _ZN6fuzzer...). AFL++'s libAFLDriver also defines
// LLVMFuzzerRunDriver, so the AFL++ check comes first.
bool is_libfuzzer_symbol(std::string_view name) {
  return name == "LLVMFuzzerRunDriver" || name.rfind("_ZN6fuzzer", 0) == 0;
}

void note_symbol(std::string_view name, SymbolFacts& facts) {
  if (name == "LLVMFuzzerTestOneInput") facts.defines_test_one_input = true;
  else if (is_afl_runtime_symbol(name)) facts.has_afl_runtime = true;
  else if (is_libfuzzer_symbol(name)) facts.has_libfuzzer_code = true;
}

// libelf reads section data with pread; checking the range against the file
// first turns a truncated file into "skip this table" instead of an error path.
bool section_in_file(const GElf_Shdr& sh, uint64_t file_size) {
  return sh.sh_offset <= file_size && sh.sh_size <= file_size - sh.sh_offset && sh.sh_size <= kMaxSymbolTableBytes;
}

void scan_symbol_table(Elf* elf, Elf_Scn* scn, const GElf_Shdr& sh, uint64_t file_size, SymbolFacts& facts) {
  if (!section_in_file(sh, file_size)) return;
  Elf_Data* data = elf_getdata(scn, nullptr);
  const size_t symbol_size = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
  if (!data || symbol_size == 0) return;
  // The count comes from the bytes really read, not from the header's sh_entsize.
  const size_t count = data->d_size / symbol_size;
  for (size_t i = 0; i < count; i++) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
    if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0) continue;
    // elf_strptr checks the offset and the terminating NUL against the string table.
    if (const char* name = elf_strptr(elf, sh.sh_link, sym.st_name)) note_symbol(name, facts);
  }
}

// An executable, not a shared library: ET_EXEC, or a PIE (ET_DYN asking for
// a program interpreter).
bool is_executable_elf(Elf* elf) {
  GElf_Ehdr eh;
  if (!gelf_getehdr(elf, &eh)) return false;
  if (eh.e_type == ET_EXEC) return true;
  if (eh.e_type != ET_DYN) return false;
  size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0 || count > kMaxProgramHeaders) return false;
  for (size_t i = 0; i < count; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_INTERP) return true;
  }
  return false;
}

std::optional<SymbolFacts> symbol_facts_of_elf(Elf* elf, uint64_t file_size) {
  if (elf_kind(elf) != ELF_K_ELF || !is_executable_elf(elf)) return std::nullopt;
  size_t sections = 0;
  if (elf_getshdrnum(elf, &sections) != 0 || sections > kMaxSections) return std::nullopt;
  SymbolFacts facts;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
      scan_symbol_table(elf, scn, sh, file_size, facts);
  }
  return facts;
}

bool starts_with_elf_magic(int fd) {
  std::array<char, SELFMAG> magic{};
  return pread(fd, magic.data(), magic.size(), 0) == static_cast<ssize_t>(magic.size()) &&
         std::memcmp(magic.data(), ELFMAG, SELFMAG) == 0;
}

std::optional<SymbolFacts> symbol_facts(const fs::path& file) {
  static const bool libelf_ready = elf_version(EV_CURRENT) != EV_NONE;
  if (!libelf_ready) return std::nullopt;
  // O_NONBLOCK: a FIFO swapped in after the caller's stat must not hang us.
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::optional<SymbolFacts> facts;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && starts_with_elf_magic(fd)) {
    // ELF_C_READ, not mmap: a file truncated while we read it gives read
    // errors, not SIGBUS.
    if (Elf* elf = elf_begin(fd, ELF_C_READ, nullptr)) {
      facts = symbol_facts_of_elf(elf, static_cast<uint64_t>(st.st_size));
      elf_end(elf);
    }
  }
  close(fd);
  return facts;
}

std::optional<std::string> engine_from(const SymbolFacts& facts) {
  if (!facts.defines_test_one_input) return std::nullopt;
  if (facts.has_afl_runtime) return "afl";
  if (facts.has_libfuzzer_code) return "libfuzzer";
  return "unknown";
}

// The OSS-Fuzz companion file dir/<name><suffix>, else dir/<stem><suffix>.
fs::path companion(const fs::path& binary, const std::string& stem, const std::string& suffix) {
  std::error_code ec;
  for (const std::string& base : {binary.filename().string(), stem}) {
    fs::path p = binary.parent_path() / (base + suffix);
    if (fs::is_regular_file(p, ec)) return p;
  }
  return {};
}

FuzzBinary describe(const fs::path& path, std::string engine) {
  FuzzBinary b;
  b.path = path;
  b.engine = std::move(engine);
  b.stem = fuzz_binary_stem(path.filename().string());
  b.dict = companion(path, b.stem, ".dict");
  b.options = companion(path, b.stem, ".options");
  b.seed_zip = companion(path, b.stem, "_seed_corpus.zip");
  return b;
}

using FileId = std::pair<dev_t, ino_t>;

// procfs and sysfs hold aliases of real files (/proc/PID/exe, /proc/PID/cwd):
// a search from / must not report a running fuzzer as /proc/123/exe.
bool is_pseudo_filesystem(const fs::path& dir) {
  struct statfs fs_info;
  return statfs(dir.c_str(), &fs_info) == 0 &&
         (fs_info.f_type == PROC_SUPER_MAGIC || fs_info.f_type == SYSFS_MAGIC);
}

struct Entry {
  fs::path path;
  int depth;  // of the directory holding it, the searched one being 0
};

// One directory walk with its budget and the files and directories already
// seen: a symlink loop, a bind mount of a parent or a second link to a binary
// ends there.
class Walk {
 public:
  explicit Walk(const SearchLimits& limits) : limits_(limits) {}

  FuzzBinarySearch run(const fs::path& root) {
    remember_directory(root);
    directories_.push_back({root, 0});
    // Breadth first, so that if a limit cuts the walk the shallow binaries are
    // in; symlinks only once the real tree is done, so a file reachable both
    // ways is reported under its real path.
    while (!out_.truncated && (!directories_.empty() || !symlinks_.empty())) {
      if (!directories_.empty()) {
        Entry dir = pop(directories_);
        for (const fs::path& entry : list(dir.path)) visit({entry, dir.depth}, false);
      } else {
        visit(pop(symlinks_), true);
      }
    }
    std::sort(out_.binaries.begin(), out_.binaries.end(),
              [](const FuzzBinary& a, const FuzzBinary& b) { return a.path < b.path; });
    return std::move(out_);
  }

 private:
  static Entry pop(std::deque<Entry>& queue) {
    Entry e = std::move(queue.front());
    queue.pop_front();
    return e;
  }

  // dir's entries, sorted (a stable result), hidden ones left out, within the
  // entry budget.
  std::vector<fs::path> list(const fs::path& dir) {
    std::vector<fs::path> entries;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (++entries_seen_ > limits_.max_entries) {
        out_.truncated = true;
        break;
      }
      if (it->path().filename().string()[0] != '.') entries.push_back(it->path());
    }
    std::sort(entries.begin(), entries.end());
    return entries;
  }

  bool remember_directory(const fs::path& dir) {
    struct stat st;
    return stat(dir.c_str(), &st) == 0 && seen_dirs_.insert({st.st_dev, st.st_ino}).second;
  }

  void visit(const Entry& entry, bool follow_symlink) {
    struct stat st;
    if (lstat(entry.path.c_str(), &st) != 0) return;  // vanished
    if (S_ISLNK(st.st_mode) && !follow_symlink) {
      symlinks_.push_back(entry);
      return;
    }
    if (S_ISLNK(st.st_mode) && stat(entry.path.c_str(), &st) != 0) return;  // dangling
    if (S_ISDIR(st.st_mode)) visit_directory(entry);
    else if (S_ISREG(st.st_mode) && (st.st_mode & 0111) && seen_files_.insert({st.st_dev, st.st_ino}).second)
      visit_executable(entry.path);
  }

  void visit_directory(const Entry& entry) {
    if (entry.depth < limits_.max_depth && entry.path.filename() != "CMakeFiles" &&
        !is_pseudo_filesystem(entry.path) && remember_directory(entry.path))
      directories_.push_back({entry.path, entry.depth + 1});
  }

  void visit_executable(const fs::path& file) {
    if (++elf_files_opened_ > limits_.max_elf_files) {
      out_.truncated = true;
      return;
    }
    if (auto engine = fuzz_binary_engine(file)) out_.binaries.push_back(describe(file, *engine));
  }

  SearchLimits limits_;
  FuzzBinarySearch out_;
  std::deque<Entry> directories_, symlinks_;
  std::set<FileId> seen_dirs_, seen_files_;
  size_t entries_seen_ = 0, elf_files_opened_ = 0;
};

}  // namespace

std::string fuzz_binary_stem(const std::string& file_name) {
  std::string stem = file_name;
  for (std::string_view prefix : {"fuzz-", "fuzz_"})
    if (stem.size() > prefix.size() && stem.rfind(prefix, 0) == 0) {
      stem.erase(0, prefix.size());
      break;
    }
  for (std::string_view suffix : {"_fuzzer", "-fuzzer", "_fuzz", "-fuzz"})
    if (stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0) {
      stem.erase(stem.size() - suffix.size());
      break;
    }
  return stem;
}

std::optional<std::string> fuzz_binary_engine(const fs::path& file) {
  auto facts = symbol_facts(file);
  return facts ? engine_from(*facts) : std::nullopt;
}

Result<FuzzBinarySearch> find_fuzz_binaries(const fs::path& dir, const SearchLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error{dir.string() + ": not a directory"};
  if (fs::directory_iterator(dir, ec); ec) return Error{dir.string() + ": cannot list: " + ec.message()};
  return Walk(limits).run(dir);
}

}  // namespace faultline
