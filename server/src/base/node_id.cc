#include "base/node_id.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

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

bool IsWildcardAddress(std::string_view address) {
  return address == "0.0.0.0" || address == "::" || address == "[::]";
}

absl::StatusOr<std::string> AdvertiseAddress(std::string_view listen, std::string_view advertise) {
  if (!advertise.empty()) {
    if (IsWildcardAddress(advertise)) {
      return MakeError(ResultCode::kParameterError, "the advertised address cannot be a wildcard");
    }
    return std::string(advertise);
  }
  if (!IsWildcardAddress(listen)) return std::string(listen);
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) {
    return MakeError(ResultCode::kServerError, "cannot list network interfaces");
  }
  std::string found;
  for (ifaddrs* a = all; a != nullptr && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || (a->ifa_flags & IFF_LOOPBACK) ||
        !(a->ifa_flags & IFF_UP)) {
      continue;
    }
    char text[INET_ADDRSTRLEN];
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) found = text;
  }
  ::freeifaddrs(all);
  if (found.empty()) {
    return MakeError(ResultCode::kParameterError,
                     "listening on every interface, but no non-loopback IPv4 address to advertise: "
                     "set node.advertise_address (or --advertise-address)");
  }
  return found;
}

std::string NodeName(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%lX", static_cast<unsigned long>(id));
  return buf;
}

}  // namespace tern::base
