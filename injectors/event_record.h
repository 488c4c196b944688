/* The one interface from the target process back to the harness: fixed-size
   binary records written with a single write(2) to an inherited pipe.
   Included by injectors/ (C) and harness/ (C++); change both sides together
   by bumping FL_EVENT_VERSION. */
#ifndef FAULTLINE_EVENT_RECORD_H
#define FAULTLINE_EVENT_RECORD_H

#include <stdint.h>

#define FL_EVENT_MAGIC 0x56454c46u /* "FLEV" little-endian */
#define FL_EVENT_VERSION 1

/* Environment contract between harness and injector. */
#define FL_ENV_SCHEDULE "FAULTLINE_SCHEDULE"
/* "<fd>:<inode>": the inode guards against writing into an unrelated file
   that reuses the fd number in a descendant that closed ours. */
#define FL_ENV_EVENT_FD "FAULTLINE_EVENT_FD"

enum fl_event_kind {
  /* Injector constructor ran in a process. arg[0] = mask of schedule keys in force. */
  FL_EVENT_HELLO = 1,
  /* pthread_create under `stack threads=`. arg[0] = stack size given (0: the thread
     kept its own), arg[1] = the size the program chose itself (0: default). */
  FL_EVENT_THREAD_STACK = 2,
  /* sigaltstack under `stack altstack=`. arg[0] = size given, arg[1] = size asked for. */
  FL_EVENT_ALTSTACK = 3,
};

struct fl_event {
  uint32_t magic;
  uint16_t version;
  uint16_t kind; /* enum fl_event_kind */
  int32_t pid;
  int32_t tid;
  uint64_t arg[4];
};

#ifdef __cplusplus
static_assert(sizeof(struct fl_event) == 48, "record layout is part of the protocol");
#else
_Static_assert(sizeof(struct fl_event) == 48, "record layout is part of the protocol");
#endif

#endif
