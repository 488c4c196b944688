// One progress line on stderr for long searches (campaign, explore):
// rewritten in place on a terminal, every 5 s otherwise (CI logs).
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace faultline {

class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressLine(std::string label) : label_(std::move(label)), start_(Clock::now()), tty_(isatty(2)) {}
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  // Whether a line is due now; then the caller builds it and calls show().
  bool due() {
    const auto now = Clock::now();
    if (now - last_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000))) return false;
    last_ = now;
    return true;
  }
  void show(const std::string& text) {
    std::fprintf(stderr, "%s[%s] %s%s", tty_ ? "\r" : "", label_.c_str(), text.c_str(), tty_ ? "\033[K" : "\n");
    shown_ = true;
  }
  void done() {
    if (tty_ && shown_) std::fputc('\n', stderr);
  }

 private:
  std::string label_;
  Clock::time_point start_, last_ = Clock::now();
  bool tty_, shown_ = false;
};

}  // namespace faultline
