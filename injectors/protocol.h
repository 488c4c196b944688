/* The names faultline's parts find each other by: its libraries' file names
   (the harness preloads them, triage knows their frames, the injector finds
   the probe beside itself) and the symbols one part looks up in another by
   string. Included by injectors/ (C) and harness/ (C++); spelled here only.
   The records and the environment are in event_record.h. */
#ifndef FAULTLINE_PROTOCOL_H
#define FAULTLINE_PROTOCOL_H

/* Every library of ours starts so (injectors/CMakeLists.txt names the targets). */
#define FL_OWN_LIBRARY_PREFIX "libfaultline-"
/* The injector (LD_PRELOAD), the rtld-audit module next to it (LD_AUDIT) and
   the probe `lazy-handler` loads from a handler. */
#define FL_INJECT_LIBRARY FL_OWN_LIBRARY_PREFIX "inject.so"
#define FL_AUDIT_LIBRARY FL_OWN_LIBRARY_PREFIX "audit.so"
#define FL_PROBE_LIBRARY FL_OWN_LIBRARY_PREFIX "probe.so"

/* The injector's functions the audit module (in its own link-map namespace)
   looks up with dlsym: defined as FL_HANDLER_DEPTH_FN(...), looked up as
   FL_SYMBOL_NAME(FL_HANDLER_DEPTH_FN). */
#define FL_HANDLER_DEPTH_FN faultline_handler_depth
#define FL_REPORT_LAZY_BINDING_FN faultline_report_lazy_binding
/* What a fuzz target linked with the injector may define: its schedule (targets/bake_schedule.c). */
#define FL_BUILTIN_SCHEDULE_VAR faultline_builtin_schedule

#define FL_SYMBOL_NAME(symbol) FL_SYMBOL_NAME_(symbol)
#define FL_SYMBOL_NAME_(symbol) #symbol

#endif
