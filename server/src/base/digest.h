// Record identity: RIPEMD-160 of (set name, key type, key bytes), as the Aerospike clients
// compute it, and the partition (of 4096) that the digest routes to.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::base {

inline constexpr uint32_t kPartitionCount = 4096;
inline constexpr size_t kDigestSize = 20;

struct Digest {
  std::array<uint8_t, kDigestSize> bytes{};

  friend auto operator<=>(const Digest&, const Digest&) = default;
  friend bool operator==(const Digest&, const Digest&) = default;

  std::string ToHex() const;
  // Parses 40 hex characters; false on anything else.
  static bool FromHex(std::string_view hex, Digest* out);
};

// Key particle types that enter the digest (shared/protocol/aerospike-wire.md §4.1).
enum class KeyType : uint8_t { kInteger = 1, kDouble = 2, kString = 3, kBlob = 4 };

// digest = RIPEMD-160(set ‖ key type byte ‖ key bytes); the namespace is not part of it.
Digest ComputeDigest(std::string_view set, KeyType type, std::string_view key_bytes);
Digest ComputeDigest(std::string_view set, int64_t key);
Digest ComputeStringKeyDigest(std::string_view set, std::string_view key);

// First two digest bytes as little-endian u16, masked to 12 bits: what every client routes by.
inline uint32_t PartitionOf(const Digest& d) {
  return (static_cast<uint32_t>(d.bytes[0]) | static_cast<uint32_t>(d.bytes[1]) << 8) &
         (kPartitionCount - 1);
}

}  // namespace tern::base
