#include "base/schedule.hpp"

#include <signal.h>

#include <cstring>

namespace faultline {

Result<Schedule> Schedule::parse(std::string_view line) {
  // The C parser reads a C string: past a NUL it would silently see less than was given.
  if (line.find('\0') != std::string_view::npos) return Error{"a NUL byte in the schedule (a schedule is one line of text)"};
  std::string copy(line);
  char err[1024];  // room for in='s list of functions
  Schedule s;
  if (fl_schedule_parse(copy.c_str(), &s.raw_, err, sizeof err) != 0) return Error{err};
  return s;
}

std::string Schedule::canonical() const {
  char buf[FL_SCHEDULE_MAX_LINE];
  size_t n = fl_schedule_format(&raw_, buf, sizeof buf);
  return std::string(buf, n);
}

Schedule Schedule::item(std::initializer_list<std::pair<fl_schedule_key, uint64_t>> keys) {
  Schedule s;
  for (const auto& [k, v] : keys) {
    s.raw_.present |= uint64_t{1} << k;
    s.raw_.value[k] = v;
  }
  s.raw_.items = 1;
  return s;
}

std::string Schedule::line_of(const std::vector<Schedule>& items) {
  std::string line;
  for (const auto& i : items) line += (line.empty() ? "" : " ; ") + i.canonical();
  return line;
}

Result<Schedule> Schedule::join(const std::vector<Schedule>& items) { return parse(line_of(items)); }

std::vector<Schedule> Schedule::items() const {
  std::vector<Schedule> out(raw_.items);
  for (int k = 0; k < FL_KEY_COUNT; k++) {
    if (!fl_schedule_has(&raw_, static_cast<fl_schedule_key>(k))) continue;
    fl_schedule& item = out.at(raw_.item_of[k]).raw_;
    item.present |= uint64_t{1} << k;
    item.value[k] = raw_.value[k];
    std::memcpy(item.word[k], raw_.word[k], sizeof item.word[k]);
    item.items = 1;
  }
  return out;
}

bool Schedule::has_item(std::string_view name) const {
  for (int k = 0; k < FL_KEY_COUNT; k++)
    if (fl_schedule_has(&raw_, static_cast<fl_schedule_key>(k)) && name == fl_schedule_keys[k].item) return true;
  return false;
}

std::optional<int> signal_number(const std::string& name) {
  auto s = Schedule::parse("malloc-signal sig=" + name + " call=1 trace");
  if (!s) return std::nullopt;
  return static_cast<int>(*s->get(FL_KEY_MS_SIG));
}

std::optional<std::string> uncatchable_signal(int signo) {
  if (signo != SIGKILL && signo != SIGSTOP) return std::nullopt;
  return std::string(fl_signal_name(signo)) + " cannot be caught, so no handler can run";
}

std::optional<std::string> malloc_signal_word_problem(const std::string& key, const std::string& value) {
  auto s = Schedule::parse("malloc-signal sig=1 call=1 insn=1 " + key + "=" + value);
  if (s) return std::nullopt;
  const std::string prefix = "schedule item 'malloc-signal': ";
  std::string why = s.error().message;
  return why.rfind(prefix, 0) == 0 ? why.substr(prefix.size()) : why;
}

}  // namespace faultline
