#include "raw_parts.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace {

struct Record {
  uint64_t id;
  char name[552];
};
static_assert(sizeof(Record) == 560);
constexpr std::align_val_t kRecordAlign{64};

}  // namespace

extern "C" __attribute__((noinline)) uint64_t raw_parts_release(void* buf, size_t bytes, bool aligned) {
  if (aligned) ::operator delete(buf, bytes, kRecordAlign);
  else ::operator delete(buf, bytes);
  return bytes;
}

uint64_t raw_parts_run(const uint8_t* data, size_t size, bool fixed) {
  const size_t claimed = size > 0 && data[0] ? data[0] : 80;
  const bool aligned = size > 1 && (data[1] & 1);
  // The bytes of one record arrive; the header claims a whole run of them.
  void* buf = aligned ? ::operator new(sizeof(Record), kRecordAlign) : ::operator new(sizeof(Record));
  std::memset(buf, 0, sizeof(Record));
  if (size > 2) std::memcpy(buf, data + 2, std::min(size - 2, sizeof(Record)));
  const auto* records = static_cast<const Record*>(buf);
  uint64_t sum = records[0].id + static_cast<unsigned char>(records[0].name[0]);
  // The bug: released as the run the header claims, not the block it is.
  sum += raw_parts_release(buf, fixed ? sizeof(Record) : claimed * sizeof(Record), aligned);
  return sum;
}
