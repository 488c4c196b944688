// /proc/<pid>/maps, read while the crashed process is still stopped.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

struct MapEntry {
  uint64_t start = 0, end = 0;  // [start, end)
  std::string perms;            // "rw-p"
  std::string path;             // "", "[stack]", "/usr/lib/.../libc.so.6"
  bool contains(uint64_t a) const { return a >= start && a < end; }
  bool inaccessible() const { return perms.size() >= 3 && perms.compare(0, 3, "---") == 0; }
  bool writable() const { return perms.size() >= 2 && perms[1] == 'w'; }
};

std::vector<MapEntry> parse_maps(std::string_view text);
std::vector<MapEntry> read_maps(pid_t pid);

// A /proc file, at most max_bytes of it. A process that exits while it is
// read is not an error: what was read so far ("" if nothing).
std::string read_proc_file(const std::string& path, size_t max_bytes = 65536);
// A field of /proc/<tid>/status ("Tgid", "SigCgt"): the text after "Key:", "" when absent or gone.
std::string proc_status_field(pid_t tid, const std::string& key);
// The state letter of /proc/<tid>/stat ('t': ptrace stop, 'Z'/'X': gone); 0 when it has no entry.
char task_state(pid_t tid);
// The task's id in its innermost PID namespace (the last NSpid of its status):
// what the program itself sees and stores (getpid, gettid, a mutex's owner).
// The host id itself outside a namespace, or once the task is gone.
pid_t innermost_tid(pid_t host_tid);
// The same for another of its ids in /proc/<tid>/status ("NSpgid", "NSsid"); `fallback` when absent.
pid_t innermost_id(pid_t host_tid, const std::string& key, pid_t fallback);
// Its /proc/<pid>/comm, "" once it is gone.
// What the process runs: /proc/<pid>/exe ("" when it is gone).
std::string executable_of(pid_t pid);
std::string process_name(pid_t pid);
const MapEntry* mapping_containing(const std::vector<MapEntry>& maps, uint64_t a);
// "/usr/lib/x86_64-linux-gnu/libc.so.6 (rw-p) at offset 0x1b0", "unmapped address 0x..."
std::string describe_mapping(const std::vector<MapEntry>& maps, uint64_t a);

}  // namespace faultline
