#include "maps.h"

#include <cstdio>
#include <fstream>
#include <sstream>

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

std::vector<MapEntry> read_maps(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/maps");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_maps(ss.str());
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
