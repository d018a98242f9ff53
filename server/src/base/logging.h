// One named spdlog logger per layer ("txn", "storage", ...), all sharing one sink and level.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

namespace tern::base {

// Sets the level of every logger ("trace" .. "error"); invalid names are rejected.
absl::Status SetLogLevel(std::string_view level);

// The logger for a layer, created on first use.
std::shared_ptr<spdlog::logger> Logger(std::string_view layer);

}  // namespace tern::base
