#include "triage/crash_class.h"

namespace faultline {

namespace {
constexpr std::string_view kNames[] = {
#define FAULTLINE_X(id, name, heap) name,
    FAULTLINE_CRASH_CLASSES(FAULTLINE_X)
#undef FAULTLINE_X
};
constexpr bool kAboutTheHeap[] = {
#define FAULTLINE_X(id, name, heap) heap,
    FAULTLINE_CRASH_CLASSES(FAULTLINE_X)
#undef FAULTLINE_X
};
}

std::string_view to_string(CrashClass c) { return kNames[static_cast<int>(c)]; }

bool is_heap_class(CrashClass c) { return kAboutTheHeap[static_cast<int>(c)]; }

std::optional<CrashClass> crash_class_from_string(std::string_view s) {
  for (size_t i = 0; i < std::size(kNames); i++)
    if (kNames[i] == s) return static_cast<CrashClass>(i);
  return std::nullopt;
}

}  // namespace faultline
