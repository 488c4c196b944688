// The allocators faultline can swap in (Debian packages) and how to tell one
// from its frames and messages: the harness's view of allocator_table.h.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "allocator_table.h"
#include "event_record.h"
#include "base/schedule.hpp"

namespace faultline {

// One row of FL_ALLOCATORS (allocator_table.h says what each field is).
struct Allocator {
  const char* name;
  fl_schedule_key key;  // its schedule key
  const char* library;
  const char* package;
  const char* module_prefix;
  std::vector<std::string> static_entry_points;
  std::vector<std::string> own_api;
  const char* frame_functions;  // a regex; "" : every function in its module
  std::vector<std::string> abort_messages;  // regexes
};

const std::vector<Allocator>& allocators();
const Allocator* allocator_by_name(const std::string& name);
// The allocator a schedule asks for; glibc when it names none.
const Allocator& scheduled_allocator(const Schedule& s);
// The one it names with an `alloc` item, if any: that one is preloaded.
const Allocator* asked_allocator(const Schedule& s);
// Where its library is, or an error naming the package to install.
Result<std::string> allocator_library_path(const Allocator& a);
// What the schedule's `alloc` item preloads ("" : none asked for).
Result<std::string> allocator_preload(const Schedule& s);
// malloc/free/calloc/realloc (and je_malloc, tc_malloc, mi_malloc) defined
// in the executable itself (a static binary, or a statically linked
// allocator: no LD_PRELOAD swap can reach them), and whether the executable
// is position independent.
std::map<std::string, uint64_t> executable_allocator_symbols(const std::string& exe, bool* pie);
// Whose malloc served one process, as its injector saw it at init (FL_EVENT_ALLOCATOR).
struct ServedAllocator {
  std::string name;     // "glibc", "jemalloc", ...; "built-in": the executable's own; else the library's file name
  std::string library;  // the file name of the object defining malloc ("" : the executable)
  uint64_t flags = 0;   // FL_ALLOCATOR_*
  bool operator==(const ServedAllocator&) const = default;
};
ServedAllocator served_allocator(const fl_event& allocator_event);
// How it came to serve, in words, given the allocator the schedule asked for
// (nullptr: none) and the user's own LD_PRELOAD.
std::string served_how(const ServedAllocator& served, const Allocator* asked, const std::string& user_preload);

// What the program brings of its own: an allocator library it links
// (DT_NEEDED, as Debian's varnishd links libjemalloc.so.2), or one linked
// into the executable (malloc itself defined there, or only a prefixed API).
struct BroughtAllocator {
  const Allocator* allocator = nullptr;  // which one, when known
  enum class How { Needed, StaticMalloc, StaticPrefixed } how = How::Needed;
  std::string evidence;  // the DT_NEEDED entry, or the symbols found
  std::vector<std::string> own_api_calls;  // its own API the executable imports (mallocx, mallctl, ...)
};
std::vector<BroughtAllocator> allocators_brought(const std::string& exe);
// What a run needs to know of the executable before it starts, from one read of its ELF.
struct ExecutableFacts {
  bool asan = false;             // an AddressSanitizer build (its runtime, allocator included, is linked in)
  bool links_allocator = false;  // DT_NEEDED libjemalloc, ...: its initial-exec TLS needs the loader's surplus
};
ExecutableFacts executable_facts(const std::string& exe);
bool links_allocator_library(const std::string& exe);

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
