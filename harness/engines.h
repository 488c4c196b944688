// The fuzz engines faultline drives, in one table: where their builds of the
// targets live and what their reproducers are called.
#pragma once
#include <string>
#include <vector>

namespace faultline {

struct FuzzEngine {
  const char* name;       // as in --engine and in repro.json's "engine"
  const char* build_dir;  // CMake preset's binary dir, beside faultline's own build/
  const char* preset;     // the CMake preset that builds it
  const char* options_section;  // its section in <target>.options (ClusterFuzz format)
};

const std::vector<FuzzEngine>& fuzz_engines();
const FuzzEngine* fuzz_engine_by_name(const std::string& name);
// "libfuzzer|afl", for usage messages and help.
std::string fuzz_engine_names();

}  // namespace faultline
