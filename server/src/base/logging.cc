#include "base/logging.h"

#include <mutex>
#include <string>

#include "base/result_code.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace tern::base {

namespace {

std::mutex mu;
spdlog::level::level_enum current_level = spdlog::level::info;

}  // namespace

absl::Status SetLogLevel(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return MakeError(ResultCode::kParameterError,
                     "log level must be one of trace, debug, info, warn, error, off");
  }
  std::lock_guard lock(mu);
  current_level = lvl;
  spdlog::set_level(lvl);
  return absl::OkStatus();
}

std::shared_ptr<spdlog::logger> Logger(std::string_view layer) {
  std::string name(layer);
  std::lock_guard lock(mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_level(current_level);
  return logger;
}

}  // namespace tern::base
