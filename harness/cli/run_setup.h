// Small pieces every command that runs programs needs.
#pragma once
#include <optional>
#include <string>

#include "cli/commands.h"
#include "store/corpus.h"
#include "store/manifest.h"
#include "base/nesting.h"
#include "base/result.h"
#include "process/runner.h"
#include "search/campaign.h"

namespace faultline::cli {

// The injector to preload: $FAULTLINE_INJECT_LIB, else ../lib/ next to the
// faultline binary. "" when disabled; an error when it should be there and is not.
Result<std::string> injector_for(bool enabled);

// The project a command runs in: --project FILE, else ./faultline.toml (or
// the nearest above) when there is one, else none (only reproducers of targets need one). A manifest
// that is there but wrong is an error.
Result<std::optional<Manifest>> project_if_any(const Invocation& inv);
// ... when the command cannot do without one (--target, campaign).
Result<Manifest> project_required(const Invocation& inv);

// `--shard K/N`: this machine's deterministic share of the work (a CI matrix).
Result<Shard> shard_option(const Invocation& inv);

// --report FILE and --out DIR, checked before the run: FILE's directory
// exists and is writable and FILE is no directory; DIR is a writable
// directory, or the nearest directory above it that exists is writable.
Result<bool> output_options_writable(const Invocation& inv);

// The trust model (DESIGN.md, README "Running untrusted programs"): what a
// loaded reproducer may run. One without a target gets one when it sits in
// <corpora>/<T>/regressions/ of a target T the project declares, or when its
// command is exactly a target's `run`; then T's command from the manifest
// runs, as the campaign runs it. Otherwise its own argv runs only with
// --trust-argv; without it, an error naming the file and the command.
Result<bool> admit_reproducer(Reproducer& r, const std::filesystem::path& dir, const std::optional<Manifest>& project,
                              bool trust_argv);

// --open/--close/--leaf/--sep or --template: the nesting for any parser
// (gen nested, stack -- PROGRAM); nullopt when none of them is given.
Result<std::optional<Nesting>> nesting_option(const Invocation& inv);

// What to run, from --target NAME or `-- PROGRAM ARGS`, --input FILE and
// --timeout: as a reproducer skeleton (argv with @@, portable) and as a
// ready request (driver path resolved, input bound, injector set).
struct ProgramSpec {
  Reproducer repro;                  // no schedule or expectation yet
  std::optional<std::string> input;  // the input's bytes, for reproducers
  RunRequest request;
  std::optional<Manifest> project;  // with --target: the manifest that declares it
};
Result<ProgramSpec> program_spec(const Invocation& inv);

}  // namespace faultline::cli
