// An OSS-Fuzz / ClusterFuzzLite $OUT directory taken as it is, as a project:
// each fuzzer in it is a target (its own file runs one input), with its
// <fuzzer>.dict and <fuzzer>.options, and its <fuzzer>_seed_corpus.zip
// unpacked as its seeds.
#pragma once
#include <filesystem>

#include "store/manifest.h"
#include "base/result.h"

namespace faultline {

// The project $OUT describes, with `corpora` as its corpora root. Seed zips
// are unpacked (fenced: unzip under rlimits, no paths outside) into
// <corpora>/<fuzzer>/.oss-fuzz-seeds/, fresh each time.
Result<Manifest> manifest_from_oss_fuzz_out(const std::filesystem::path& out_dir, const std::filesystem::path& corpora);

}  // namespace faultline
