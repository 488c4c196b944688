// The fuzz engines faultline drives, in one table: their names (as in
// --engine, manifests and repro.json) and their .options sections. What each
// engine does is behind one interface, fuzz_engine.h.
#pragma once
#include <string>
#include <vector>

namespace faultline {

struct FuzzEngine {
  const char* name;       // as in --engine and in repro.json's "engine"
  const char* options_section;  // its section in <target>.options (ClusterFuzz format)
};

const std::vector<FuzzEngine>& fuzz_engines();
const FuzzEngine* fuzz_engine_by_name(const std::string& name);
// "libfuzzer|afl", for usage messages and help.
std::string fuzz_engine_names();

}  // namespace faultline
