// The event pipe's bytes (event_record.h records, written by the injectors
// inside a program that may forge them) into a RunResult. Pure, apart from
// the runner, so faultline's parser fuzzer decodes hostile records too.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <map>
#include <string>

#include "process/run_result.h"

namespace faultline {

// A real run sends a few thousand records (one per handler, hold, thread,
// checkpoint); 64K of them is 3 MiB.
constexpr size_t kEventCap = 65536;
constexpr size_t kFindingCap = 256;

// Ids the program sees inside its PID namespace -> the same tasks' ids outside.
using HostIds = std::map<pid_t, pid_t>;
// own's id outside (own itself when the map does not know it: no namespace, or from outside it).
pid_t host_id(const HostIds& host, pid_t own);

// Moves the complete records at the front of `bytes` into r (a torn record
// at the end stays for the next read), their pids and tids (the injector's
// getpid, gettid) as faultline sees them. Records of another magic or
// version are skipped; past the caps (kEventCap records, kFindingCap
// findings or delay holds) they are counted in r.events_dropped, not kept.
void decode_events(std::string& bytes, RunResult& r, const HostIds& host = {});

// A thread the injector runs in but did not number (libc's own, one past its
// pool of starts): no schedule's thread= can name it.
constexpr int kUnnumberedThread = -1;

// Thread numbers from one side: where the injector runs, its numbers
// (FL_EVENT_THREAD_NUMBERED) replace the tracer's in every snapshot and hung
// thread of r. The tracer's stand in a process without the injector, or one
// whose records did not all arrive (its pipe lost, the cap reached).
void adopt_injector_thread_numbers(RunResult& r);

}  // namespace faultline
