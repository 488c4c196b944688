// raw_parts: a byte buffer reinterpreted as a run of larger records and freed
// with the size the records claim (sized delete), or with an alignment it was
// not allocated with. glibc ignores the size; jemalloc trusts it.
#pragma once
#include <cstddef>
#include <cstdint>

// Input: byte 0 = how many records the header claims (0 means 80), byte 1
// bit 0 = use the over-aligned path; the rest is payload. Returns a checksum.
// fixed: delete with the size and alignment actually allocated.
uint64_t raw_parts_run(const uint8_t* data, size_t size, bool fixed);
