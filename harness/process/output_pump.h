// The run's three pipes into the RunResult while it runs: stdout and stderr
// captured under the cap (and echoed live when asked), the event pipe's
// bytes decoded into events as whole records arrive.
#pragma once
#include <poll.h>

#include <cstddef>
#include <string>

#include "process/event_decode.h"
#include "process/run_result.h"

namespace faultline {

class OutputPump {
 public:
  OutputPump(int out, int err, int events, size_t cap, bool forward_output);
  // The three streams still open, for poll (a closed one is -1, which poll skips).
  void watch(pollfd* three) const;
  // Reads what each open stream has, then decodes the whole records.
  void pump(RunResult& r, const HostIds& host);
  // Only the event pipe: at an exec the old image's records are in it by
  // now; at a checkpoint, the record the thread's memory holds comes next.
  void pump_events(RunResult& r, const HostIds& host, const std::string& then_record = {});
  // Once every writer is gone: the rest of everything.
  void finish(RunResult& r, const HostIds& host);

 private:
  int out_, err_, events_;
  bool out_open_ = true, err_open_ = true, events_open_ = true;
  size_t cap_;
  int echo_out_, echo_err_;
  std::string event_bytes_;  // a torn record waits here for its rest
};

}  // namespace faultline
