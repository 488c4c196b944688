// C++ face of the shared schedule parser (injectors/schedule.c).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "schedule.h"

namespace faultline {

// A schedule as a value: its keys, and which item of the line gave each, so
// that a search edits it item by item (drops one, replaces one, adds one)
// and writes it back with the one formatter, fl_schedule_format.
class Schedule {
 public:
  static Result<Schedule> parse(std::string_view line);
  // One item from its keys' values (a flag's is 1), e.g. {{FL_KEY_QUARANTINE, 64}};
  // unchecked until joined: join() checks it with the rest, as a parse does.
  static Schedule item(std::initializer_list<std::pair<fl_schedule_key, uint64_t>> keys);
  // The items as one schedule, in this order; an error when they do not make
  // one (an item lacks a key, two clash), in the parser's words.
  static Result<Schedule> join(const std::vector<Schedule>& items);
  // The items in this order as one line, each written by the one formatter:
  // unchecked (run it through parse or join).
  static std::string line_of(const std::vector<Schedule>& items);

  std::string canonical() const;  // the form stored in reproducers and passed to the injector
  // The items in the order given, each written by the one formatter ("delay
  // thread=1 call=3 us=20000 ; quarantine=64"): the form a search reports.
  std::string to_string() const { return line_of(items()); }
  // The items in the order given, each a schedule of its own keys alone.
  std::vector<Schedule> items() const;
  // Whether an item of this name ("malloc-signal", "pct", "alloc") is there:
  // for one of items(), which item it is.
  bool has_item(std::string_view name) const;

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

// "SIGPROF", "PROF" or "27" as the schedule parser reads a signal; nullopt if none.
std::optional<int> signal_number(const std::string& name);

// Why no handler can run for this signal ("SIGKILL cannot be caught, ..."); nullopt when one can.
std::optional<std::string> uncatchable_signal(int signo);

// Why `value` cannot be malloc-signal's `key` ("process", "in"), in the
// parser's words; nullopt when it can. The CLI and the manifest ask this.
std::optional<std::string> malloc_signal_word_problem(const std::string& key, const std::string& value);

}  // namespace faultline
