// C++ face of the shared schedule parser (injectors/schedule.c).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "schedule.h"

namespace faultline {

class Schedule {
 public:
  static Result<Schedule> parse(std::string_view line);
  std::string canonical() const;  // the form stored in reproducers and passed to the injector
  std::optional<uint64_t> get(fl_schedule_key k) const {
    return fl_schedule_has(&raw_, k) ? std::optional<uint64_t>(raw_.value[k]) : std::nullopt;
  }
  // A FL_VAL_WORD key's name, nullopt when not given.
  std::optional<std::string> word(fl_schedule_key k) const {
    return fl_schedule_has(&raw_, k) ? std::optional<std::string>(raw_.word[k]) : std::nullopt;
  }
  bool empty() const { return raw_.present == 0; }

 private:
  fl_schedule raw_{};
};

// A canonical schedule line as its items ("stack main=64K", "seed=0x5eed"),
// and back: what minimize drops and alloc replaces one at a time.
std::vector<std::string> schedule_items(const std::string& canonical);
std::string join_schedule_items(const std::vector<std::string>& items);

// "SIGPROF", "PROF" or "27" as the schedule parser reads a signal; nullopt if none.
std::optional<int> signal_number(const std::string& name);

// Why no handler can run for this signal ("SIGKILL cannot be caught, ..."); nullopt when one can.
std::optional<std::string> uncatchable_signal(int signo);

// Why `value` cannot be malloc-signal's `key` ("process", "in"), in the
// parser's words; nullopt when it can. The CLI and the manifest ask this.
std::optional<std::string> malloc_signal_word_problem(const std::string& key, const std::string& value);

}  // namespace faultline
