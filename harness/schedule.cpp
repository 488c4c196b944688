#include "schedule.hpp"

namespace faultline {

Result<Schedule> Schedule::parse(std::string_view line) {
  std::string copy(line);
  char err[256];
  Schedule s;
  if (fl_schedule_parse(copy.c_str(), &s.raw_, err, sizeof err) != 0) return Error{err};
  return s;
}

std::string Schedule::canonical() const {
  char buf[FL_SCHEDULE_MAX_LINE];
  size_t n = fl_schedule_format(&raw_, buf, sizeof buf);
  return std::string(buf, n);
}

}  // namespace faultline
