// tern::Key: which record: namespace, set and user key (string, integer or bytes). The
// 20-byte digest (RIPEMD-160 of set, key type and key, as every Aerospike client computes it)
// is computed at construction; its first 12 bits choose one of the 4096 partitions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>

#include "tern/value.h"

namespace tern {

inline constexpr uint32_t kPartitionCount = 4096;
using Digest = std::array<uint8_t, 20>;

class Key {
 public:
  using UserKey = std::variant<std::monostate, std::string, int64_t, Bytes>;

  Key(std::string ns, std::string set, std::string key);
  Key(std::string ns, std::string set, const char* key);
  Key(std::string ns, std::string set, int64_t key);
  Key(std::string ns, std::string set, int key)
      : Key(std::move(ns), std::move(set), int64_t{key}) {}
  static Key FromBytes(std::string ns, std::string set, std::string bytes);
  // A record known only by digest (e.g. from a scan of records stored without their key).
  static Key FromDigest(std::string ns, std::string set, const Digest& digest);

  const std::string& ns() const { return ns_; }
  const std::string& set() const { return set_; }
  const UserKey& user_key() const { return user_key_; }
  const Digest& digest() const { return digest_; }
  uint32_t partition() const;
  std::string DigestHex() const;

 private:
  Key() = default;
  std::string ns_;
  std::string set_;
  UserKey user_key_;
  Digest digest_{};
};

}  // namespace tern
