// One interface per fuzz engine (cf. ClusterFuzz's fuzz/engine.py: fuzz,
// reproduce, minimize_testcase, minimize_corpus). The fuzz driver (fuzz.cpp)
// never asks which engine it runs; reproducing is faultline's own triage of
// `binary @@`, the same for every engine.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "base/engines.h"
#include "base/result.h"
#include "process/runner.h"

namespace faultline {

// One engine run's fixed facts: the build, the scratch, the injection.
struct EngineContext {
  std::filesystem::path binary;         // the engine's build of the target
  std::filesystem::path work;           // scratch, made fresh by the caller
  std::string schedule;                 // canonical; "" for none
  std::string inject_library;           // "" runs without the injector
  std::vector<std::string> flags;       // the engine's section of the .options file
  std::filesystem::path dict;           // "" for none
  std::vector<std::filesystem::path> inputs;  // seed and corpus directories, in order
  int jobs = 1;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const FuzzEngine& info() const = 0;
  // Fuzzes for `seconds`; its crashes are then crash_artifacts(), its count executions().
  virtual Result<RunResult> fuzz(const EngineContext& c, double seconds) const = 0;
  virtual std::vector<std::filesystem::path> crash_artifacts(const EngineContext& c) const = 0;
  virtual uint64_t executions(const EngineContext& c, const std::string& log) const = 0;
  // Why the engine would not start on these seeds, read from its log ("" : it did not refuse).
  virtual std::string refused_seeds(const std::string& log) const = 0;
  // The engine's input minimizer: `crash` to `out` (not necessarily smaller, or crashing).
  virtual Result<RunResult> minimize_testcase(const EngineContext& c, const std::filesystem::path& crash,
                                              const std::filesystem::path& out, double seconds) const = 0;
  // The kept corpus plus this run's new inputs reduced to those that add coverage,
  // as files in `out` (made by the engine). false: nothing to merge.
  virtual Result<bool> minimize_corpus(const EngineContext& c, const std::filesystem::path& corpus,
                                       const std::filesystem::path& out, double seconds) const = 0;
};

// The implementation of an engine of the table in engines.h.
const Engine& engine_for(const FuzzEngine& e);

// A fenced, untraced child: the engine, its minimizer or its merger. With a
// work dir, its TMPDIR is work/tmp.
Result<RunResult> supervise(std::vector<std::string> argv, const std::string& schedule, const std::string& preload,
                            std::vector<std::string> env, double timeout, const std::filesystem::path& work = {});

}  // namespace faultline
