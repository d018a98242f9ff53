// Bridges std::string_view to abseil's string utilities. Debian bookworm builds abseil with
// its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), which std::string_view does
// not convert to; Tern's own interfaces use std::string_view throughout.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace tern::base {

inline absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace tern::base
