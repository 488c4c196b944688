#include "base/schedule.hpp"

#include <signal.h>

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

std::vector<std::string> schedule_items(const std::string& canonical) {
  std::vector<std::string> items;
  for (size_t start = 0; start <= canonical.size();) {
    size_t end = canonical.find(" ; ", start);
    if (end == std::string::npos) end = canonical.size();
    if (end > start) items.push_back(canonical.substr(start, end - start));
    start = end + 3;
  }
  return items;
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

std::string join_schedule_items(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : " ; ") + i;
  return out;
}

}  // namespace faultline
