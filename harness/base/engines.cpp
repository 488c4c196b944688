#include "base/engines.h"


namespace faultline {

const std::vector<FuzzEngine>& fuzz_engines() {
  static const std::vector<FuzzEngine> table = {
      {"libfuzzer", "libfuzzer"},
      {"afl", "afl"},
  };
  return table;
}

const FuzzEngine* fuzz_engine_by_name(const std::string& name) {
  for (const auto& e : fuzz_engines())
    if (name == e.name) return &e;
  return nullptr;
}

std::string fuzz_engine_names() {
  std::string out;
  for (const auto& e : fuzz_engines()) out += (out.empty() ? "" : "|") + std::string(e.name);
  return out;
}

}  // namespace faultline
