#include "process/output_pump.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace faultline {

namespace {

constexpr size_t kTailBytes = 64 * 1024;

void append_capped(CapturedOutput& c, const char* data, size_t n, size_t cap) {
  c.total += n;
  if (c.head.size() < cap) c.head.append(data, std::min(n, cap - c.head.size()));
  c.tail.append(data, n);
  if (c.tail.size() > kTailBytes) c.tail.erase(0, c.tail.size() - kTailBytes);
}

// Reads what is available; returns false at EOF.
bool drain(int fd, CapturedOutput* sink, std::string* raw, size_t cap, int echo_fd) {
  char buf[65536];
  // A writer as fast as this reader would keep it here for ever, past the
  // timeout; after 4 MiB the caller's loop decodes, checks and comes back.
  for (size_t budget = 64; budget > 0; budget--) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      if (sink) {
        size_t echo = sink->total < cap ? std::min<size_t>(n, cap - sink->total) : 0;
        append_capped(*sink, buf, n, cap);
        if (echo_fd >= 0 && echo) (void)!write(echo_fd, buf, echo);
      }
      if (raw) raw->append(buf, n);
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return true;  // EAGAIN
  }
  return true;
}

}  // namespace

OutputPump::OutputPump(int out, int err, int events, size_t cap, bool forward_output)
    : out_(out), err_(err), events_(events), cap_(cap), echo_out_(forward_output ? 1 : -1),
      echo_err_(forward_output ? 2 : -1) {}

void OutputPump::watch(pollfd* fds) const {
  fds[0] = {out_open_ ? out_ : -1, POLLIN, 0};
  fds[1] = {err_open_ ? err_ : -1, POLLIN, 0};
  fds[2] = {events_open_ ? events_ : -1, POLLIN, 0};
}

void OutputPump::pump(RunResult& r, const HostIds& host) {
  if (out_open_) out_open_ = drain(out_, &r.out, nullptr, cap_, echo_out_);
  if (err_open_) err_open_ = drain(err_, &r.err, nullptr, cap_, echo_err_);
  if (events_open_) events_open_ = drain(events_, nullptr, &event_bytes_, 0, -1);
  decode_events(event_bytes_, r, host);
}

void OutputPump::pump_events(RunResult& r, const HostIds& host, const std::string& then_record) {
  drain(events_, nullptr, &event_bytes_, 0, -1);
  event_bytes_ += then_record;
  decode_events(event_bytes_, r, host);
}

void OutputPump::finish(RunResult& r, const HostIds& host) {
  drain(out_, &r.out, nullptr, cap_, echo_out_);
  drain(err_, &r.err, nullptr, cap_, echo_err_);
  drain(events_, nullptr, &event_bytes_, 0, -1);
  decode_events(event_bytes_, r, host);
}

}  // namespace faultline
