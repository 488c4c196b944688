/* What the processes of a run's fence tell faultline through the status
   pipe, in order (runner.cpp; fence_reaper.c writes ProgramEnded too). C, so
   both sides read the same layout. */
#ifndef FAULTLINE_FENCE_RECORD_H
#define FAULTLINE_FENCE_RECORD_H

#include <stdint.h>

enum fl_fence_record_kind { FL_FENCE_READY = 1, FL_FENCE_SETUP_FAILED, FL_FENCE_EXEC_FAILED, FL_FENCE_PROGRAM_ENDED };

struct fl_fence_record {
  int32_t kind;  /* enum fl_fence_record_kind */
  int32_t value; /* SETUP_FAILED, EXEC_FAILED: errno; PROGRAM_ENDED: its wait status */
};

#endif
