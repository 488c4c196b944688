// Small pieces every command that runs programs needs.
#pragma once
#include <string>

#include "result.h"

namespace faultline::cli {

// The injector to preload: $FAULTLINE_INJECT_LIB, else ../lib/ next to the
// faultline binary. "" when disabled; an error when it should be there and is not.
Result<std::string> injector_for(bool enabled);

}  // namespace faultline::cli
