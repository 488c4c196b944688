// The allocators faultline can swap in (Debian packages) and how to tell one
// from its frames and messages. One table: names, libraries, schedule keys.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schedule.hpp"

namespace faultline {

struct Allocator {
  const char* name;          // as in `alloc <name>` and in reports
  fl_schedule_key key;       // its schedule key
  const char* library;       // soname preloaded under the injector ("" for glibc)
  const char* package;       // the Debian package providing it
  const char* module_prefix; // how its frames' module names start
};

const std::vector<Allocator>& allocators();
const Allocator* allocator_by_name(const std::string& name);
// The allocator a schedule asks for; glibc when it names none.
const Allocator& scheduled_allocator(const Schedule& s);
// Where its library is, or an error naming the package to install.
Result<std::string> allocator_library_path(const Allocator& a);
// malloc/free/calloc/realloc (and je_malloc, tc_malloc, mi_malloc) defined
// in the executable itself (a static binary, or a statically linked
// allocator: no LD_PRELOAD swap can reach them), and whether the executable
// is position independent.
std::map<std::string, uint64_t> executable_allocator_symbols(const std::string& exe, bool* pie);
// An AddressSanitizer build (its runtime, allocator included, is linked in).
bool is_asan_executable(const std::string& exe);
// The program as execvp would find it after a chdir to cwd ("" : here): PATH
// searched when it has no '/', a relative path (or PATH entry) taken against
// cwd. Absolute when found; name itself when not.
std::string resolve_program(const std::string& name, const std::string& cwd = "");
// malloc, free, calloc, realloc: the calls the injectors count.
bool is_allocator_entry(const std::string& symbol);

// Whose module a frame is in, if an allocator's.
const Allocator* allocator_of_module(const std::string& module);

}  // namespace faultline
