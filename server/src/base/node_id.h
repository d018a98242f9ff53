// The node's 64-bit id and its name as clients see it: uppercase hex without leading zeros,
// at most 16 characters (shared/protocol/aerospike-wire.md §4.3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tern::base {

// From the configured hex id, or, when empty, hashed from (address, service port) so that a
// restarted node keeps its name.
absl::StatusOr<uint64_t> ResolveNodeId(std::string_view configured_hex, std::string_view address,
                                       uint16_t port);
std::string NodeName(uint64_t id);

// 0.0.0.0 or :: (listen on every interface).
bool IsWildcardAddress(std::string_view address);
// The address peers and clients are told to reach this node at: `advertise` when set, else
// the listen address — unless that is a wildcard, then the host's first non-loopback IPv4
// address (in a Kubernetes pod: the pod's IP).
absl::StatusOr<std::string> AdvertiseAddress(std::string_view listen, std::string_view advertise);

}  // namespace tern::base
