#include "base/node_id.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "base/strings.h"

namespace tern::base {

absl::StatusOr<uint64_t> ResolveNodeId(std::string_view configured_hex, std::string_view address,
                                       uint16_t port) {
  if (!configured_hex.empty()) {
    uint64_t id = 0;
    if (configured_hex.size() > 16 || !absl::SimpleHexAtoi(Absl(configured_hex), &id) || id == 0) {
      return MakeError(ResultCode::kParameterError,
                       absl::StrCat("node id '", Absl(configured_hex), "' is not 1-16 hex digits"));
    }
    return id;
  }
  // FNV-1a over "address:port": stable across restarts, distinct per loopback address.
  uint64_t h = 1469598103934665603ull;
  for (char c : absl::StrCat(Absl(address), ":", port)) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h == 0 ? 1 : h;
}

std::string NodeName(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%lX", static_cast<unsigned long>(id));
  return buf;
}

}  // namespace tern::base
