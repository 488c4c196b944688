// crash_zoo: one real instance of each crash class the spine must triage.
// The input is text: "<kind> [argument...]", e.g. "stack-thread 2000".
#pragma once
#include <cstddef>
#include <cstdint>

// Runs the crash named by the input; returns 0 for "clean" and 2 for an
// input it does not understand (it never crashes on a bad input).
int crash_zoo_run(const uint8_t* data, size_t size);
