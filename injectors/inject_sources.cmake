# What libfaultline-inject.so is made of and how it is compiled. Included by
# injectors/CMakeLists.txt (build/lib, preloaded by faultline) and by
# targets/CMakeLists.txt (in oss-fuzz mode, the copy that fuzzers with a
# baked-in schedule link), so both copies are the same library.
set(FAULTLINE_INJECT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(FAULTLINE_INJECT_SOURCES inject.c stack.c signals.c alloc.c sized_delete.c unsafe.c interleave.c own_string.c)
list(TRANSFORM FAULTLINE_INJECT_SOURCES PREPEND ${FAULTLINE_INJECT_DIR}/)

# faultline_uninstrumented(<target>): no sanitizer, no coverage, no AFL++
# instrumentation, whatever CFLAGS say (OSS-Fuzz's carry
# -fsanitize=address,fuzzer-no-link). Code that runs inside other programs'
# allocators and handlers must not call into a sanitizer runtime or count
# coverage, and must not depend on one being linked.
include(CheckCCompilerFlag)
set(faultline_uninstrumented_flags -fno-sanitize=all)
# faultline_add_supported_flags([FIRST] <flags>...): append to the list the
# flags the C compiler takes (with FIRST, only the first of them).
function(faultline_add_supported_flags)
  cmake_parse_arguments(F "FIRST" "" "" ${ARGN})
  foreach(flag ${F_UNPARSED_ARGUMENTS})
    string(MAKE_C_IDENTIFIER "faultline_cc_has${flag}" var)
    check_c_compiler_flag(${flag} ${var})
    if(${var})
      list(APPEND faultline_uninstrumented_flags ${flag})
      if(F_FIRST)
        break()
      endif()
    endif()
  endforeach()
  set(faultline_uninstrumented_flags ${faultline_uninstrumented_flags} PARENT_SCOPE)
endfunction()
# The first coverage spelling the compiler takes: clang's list, else GCC's.
faultline_add_supported_flags(FIRST
  -fno-sanitize-coverage=trace-pc-guard,trace-pc,inline-8bit-counters,inline-bool-flag,pc-table,trace-cmp,trace-div,trace-gep,indirect-calls,func,bb,edge
  -fno-sanitize-coverage=trace-pc,trace-cmp)
# Clang's source-based coverage (OSS-Fuzz's coverage build).
faultline_add_supported_flags(-fno-profile-instr-generate -fno-coverage-mapping)
list(REMOVE_DUPLICATES faultline_uninstrumented_flags)
# afl-clang-fast & co. add their pass whatever the flags; --afl-noopt turns
# them into the plain compiler (and keeps AFL++'s runtime out of the link).
if(CMAKE_C_COMPILER MATCHES "afl-")
  list(PREPEND faultline_uninstrumented_flags --afl-noopt)
endif()
function(faultline_uninstrumented target)
  target_compile_options(${target} PRIVATE ${faultline_uninstrumented_flags})
  target_link_options(${target} PRIVATE ${faultline_uninstrumented_flags})
endfunction()

# faultline_inject_library(<target> [<extra sources>]): libfaultline-inject.so.
function(faultline_inject_library target)
  add_library(${target} SHARED ${FAULTLINE_INJECT_SOURCES} ${ARGN})
  target_include_directories(${target} PRIVATE ${FAULTLINE_INJECT_DIR})
  faultline_uninstrumented(${target})
  # -z now: no lazy PLT resolution can ever happen inside a handler (RULES.md 4).
  # -mno-red-zone: the trap-flag pushf/popf must not clobber a leaf's red zone.
  target_compile_options(${target} PRIVATE -fno-stack-protector -fvisibility=hidden -mno-red-zone -ftls-model=initial-exec)
  target_link_options(${target} PRIVATE -Wl,-z,now -Wl,-z,defs)
  set_target_properties(${target} PROPERTIES OUTPUT_NAME faultline-inject PREFIX lib)
endfunction()
