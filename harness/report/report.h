// The JSON crash report and the one-line human verdict.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "triage/classify.h"
#include "triage/triage.h"

namespace faultline {

// The JSON text of j. Invalid UTF-8 in its strings (a program's stderr, its
// argv, a path) is replaced with U+FFFD instead of losing the whole file,
// and an object says so: "invalid_utf8_replaced": true.
std::string json_text(nlohmann::json j, int indent = 2);

nlohmann::json report_json(const CrashReport& r);

// "faultline: stack-exhaustion — SIGSEGV ... in zoo_parse_block (crash_zoo.cpp:41) [hash 1f2e...] 0.12 s"
std::string verdict_line(const CrashReport& r);


// "thread 1 held 20000 us at its 1st allocator call (malloc) in pool_worker_finish (pool.c:40)"
std::string hold_phrase(const CrashReport::Hold& h);

// The frame a human would blame: the first one the stack hash was taken from.
const Frame* blamed_frame(const CrashReport& r);

}  // namespace faultline
