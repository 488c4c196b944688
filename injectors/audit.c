/* libfaultline-audit.so: an rtld-audit module (LD_AUDIT). The dynamic linker
   calls it when it loads an object or binds a symbol; if that happens while
   a program handler runs, that is lazy binding in a signal handler: the
   dynamic linker's locks and allocations inside async-signal context.
   It lives in its own link-map namespace, so it asks libfaultline-inject.so
   (in the base namespace) whether the thread is in a handler, and reports
   through it. See RULES.md: these callbacks run inside handlers. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>

#include "event_record.h"
#include "protocol.h"

static int (*handler_depth)(void);
static void (*report)(int how);

unsigned int la_version(unsigned int version) { return version < LAV_CURRENT ? version : LAV_CURRENT; }

/* Everything is loaded and relocated: bind to the injector now, never later. */
void la_preinit(uintptr_t *cookie) {
  (void)cookie;
  void *inject = dlmopen(LM_ID_BASE, FL_INJECT_LIBRARY, RTLD_NOLOAD | RTLD_NOW);
  if (!inject) return;
  report = (void (*)(int))dlsym(inject, FL_SYMBOL_NAME(FL_REPORT_LAZY_BINDING_FN));
  handler_depth = (int (*)(void))dlsym(inject, FL_SYMBOL_NAME(FL_HANDLER_DEPTH_FN));
}

static void check(int how) {
  if (handler_depth && report && handler_depth() > 0) report(how);
}

unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie) {
  (void)map;
  (void)lmid;
  (void)cookie;
  check(1);
  return LA_FLG_BINDTO | LA_FLG_BINDFROM;
}

uintptr_t la_symbind64(Elf64_Sym *sym, unsigned int ndx, uintptr_t *refcook, uintptr_t *defcook, unsigned int *flags,
                       const char *symname) {
  (void)ndx;
  (void)refcook;
  (void)defcook;
  (void)flags;
  (void)symname;
  check(2);
  return sym->st_value;
}
