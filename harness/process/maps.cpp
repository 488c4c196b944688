#include "process/maps.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/text.h"

namespace faultline {

std::vector<MapEntry> parse_maps(std::string_view text) {
  std::vector<MapEntry> maps;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    // start-end perms offset dev inode [path]
    std::istringstream fields(line);
    std::string range, perms, offset, dev, inode;
    if (!(fields >> range >> perms >> offset >> dev >> inode)) continue;
    auto dash = range.find('-');
    if (dash == std::string::npos) continue;
    MapEntry e;
    try {
      e.start = std::stoull(range.substr(0, dash), nullptr, 16);
      e.end = std::stoull(range.substr(dash + 1), nullptr, 16);
    } catch (const std::exception&) {
      continue;
    }
    e.perms = perms;
    std::getline(fields >> std::ws, e.path);
    maps.push_back(std::move(e));
  }
  return maps;
}

std::string read_proc_file(const std::string& path, size_t max_bytes) {
  std::string text;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[16384];
  while (text.size() < max_bytes) {
    const ssize_t n = read(fd, buf, std::min(sizeof buf, max_bytes - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the end, or the process is gone (ESRCH): what was read so far
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

char task_state(pid_t tid) {
  const std::string stat = read_proc_file("/proc/" + std::to_string(tid) + "/stat", 4096);
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

std::string proc_status_field(pid_t tid, const std::string& key) {
  const std::string status = "\n" + read_proc_file("/proc/" + std::to_string(tid) + "/status");
  const auto at = status.find("\n" + key + ":");
  if (at == std::string::npos) return "";
  const auto from = at + key.size() + 2, end = status.find('\n', from);
  return status.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

pid_t innermost_id(pid_t host_tid, const std::string& key, pid_t fallback) {
  const std::string ids = proc_status_field(host_tid, key);
  const auto last = ids.find_last_of(" \t");
  const long id = std::strtol(ids.c_str() + (last == std::string::npos ? 0 : last + 1), nullptr, 10);
  return id > 0 ? static_cast<pid_t>(id) : fallback;
}

pid_t innermost_tid(pid_t host_tid) { return innermost_id(host_tid, "NSpid", host_tid); }

std::string executable_of(pid_t pid) {
  char buf[4096];
  const ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string process_name(pid_t pid) {
  std::string name = read_proc_file("/proc/" + std::to_string(pid) + "/comm", 64);
  if (!name.empty() && name.back() == '\n') name.pop_back();
  // The program sets it (PR_SET_NAME): no control characters reach a terminal through a verdict line.
  return one_line(name);
}

std::vector<MapEntry> read_maps(pid_t pid) {
  return parse_maps(read_proc_file("/proc/" + std::to_string(pid) + "/maps", 16 << 20));
}

const MapEntry* mapping_containing(const std::vector<MapEntry>& maps, uint64_t a) {
  for (const auto& m : maps)
    if (m.contains(a)) return &m;
  return nullptr;
}

std::string describe_mapping(const std::vector<MapEntry>& maps, uint64_t a) {
  char hex[24];
  const MapEntry* m = mapping_containing(maps, a);
  std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(m ? a - m->start : a));
  if (!m) return std::string("unmapped address ") + hex;
  return (m->path.empty() ? std::string("anonymous mapping") : m->path) + " (" + m->perms + ") at offset " + hex;
}

}  // namespace faultline
