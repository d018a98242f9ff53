#include "tern/key.h"

#include <algorithm>

#include "base/digest.h"

namespace tern {

namespace {

Digest ToDigest(const base::Digest& d) {
  Digest out;
  std::copy(d.bytes.begin(), d.bytes.end(), out.begin());
  return out;
}

}  // namespace

// The digest is base/digest.h's: one implementation for server and client, so they agree.
Key::Key(std::string ns, std::string set, std::string key)
    : ns_(std::move(ns)), set_(std::move(set)) {
  digest_ = ToDigest(base::ComputeStringKeyDigest(set_, key));
  user_key_ = std::move(key);
}

Key::Key(std::string ns, std::string set, const char* key)
    : Key(std::move(ns), std::move(set), std::string(key)) {}

Key::Key(std::string ns, std::string set, int64_t key) : ns_(std::move(ns)), set_(std::move(set)) {
  digest_ = ToDigest(base::ComputeDigest(set_, key));
  user_key_ = key;
}

Key Key::FromBytes(std::string ns, std::string set, std::string bytes) {
  Key k;
  k.ns_ = std::move(ns);
  k.set_ = std::move(set);
  k.digest_ = ToDigest(base::ComputeDigest(k.set_, base::KeyType::kBlob, bytes));
  k.user_key_ = Bytes{std::move(bytes), 0};
  return k;
}

Key Key::FromDigest(std::string ns, std::string set, const Digest& digest) {
  Key k;
  k.ns_ = std::move(ns);
  k.set_ = std::move(set);
  k.digest_ = digest;
  return k;
}

uint32_t Key::partition() const {
  return (static_cast<uint32_t>(digest_[0]) | static_cast<uint32_t>(digest_[1]) << 8) &
         (kPartitionCount - 1);
}

std::string Key::DigestHex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : digest_) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace tern
