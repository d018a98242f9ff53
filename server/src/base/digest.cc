#include "base/digest.h"

#include <openssl/evp.h>

#include <cstring>

namespace tern::base {

namespace {

// RIPEMD-160 sits in OpenSSL 3's default provider on Debian. It is fetched from the provider
// once: EVP_ripemd160() would make every EVP_DigestInit_ex fetch it again (a name lookup and
// an allocation, ~5% of a gRPC get's server CPU). One context per thread avoids an
// allocation per digest on the request path.
const EVP_MD* Ripemd160() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "RIPEMD160", nullptr);
    return fetched != nullptr ? fetched : EVP_ripemd160();
  }();
  return md;
}

struct MdContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const EVP_MD* md = Ripemd160();
  ~MdContext() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Digest ComputeDigest(std::string_view set, KeyType type, std::string_view key_bytes) {
  thread_local MdContext md;
  Digest out;
  const uint8_t type_byte = static_cast<uint8_t>(type);
  unsigned int len = 0;
  EVP_DigestInit_ex(md.ctx, md.md, nullptr);
  EVP_DigestUpdate(md.ctx, set.data(), set.size());
  EVP_DigestUpdate(md.ctx, &type_byte, 1);
  EVP_DigestUpdate(md.ctx, key_bytes.data(), key_bytes.size());
  EVP_DigestFinal_ex(md.ctx, out.bytes.data(), &len);
  return out;
}

Digest ComputeDigest(std::string_view set, int64_t key) {
  char be[8];
  uint64_t u = static_cast<uint64_t>(key);
  for (int i = 7; i >= 0; --i) {
    be[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return ComputeDigest(set, KeyType::kInteger, std::string_view(be, 8));
}

Digest ComputeStringKeyDigest(std::string_view set, std::string_view key) {
  return ComputeDigest(set, KeyType::kString, key);
}

std::string Digest::ToHex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(kDigestSize * 2, '0');
  for (size_t i = 0; i < kDigestSize; ++i) {
    s[2 * i] = kHex[bytes[i] >> 4];
    s[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return s;
}

bool Digest::FromHex(std::string_view hex, Digest* out) {
  if (hex.size() != kDigestSize * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < kDigestSize; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace tern::base
