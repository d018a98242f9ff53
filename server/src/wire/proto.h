// Framing of the Aerospike wire protocol: the 8-byte proto header that starts every frame
// (version 2, type, 48-bit body size) and the message types (aerospike-wire.md §1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::wire {

inline constexpr uint8_t kProtoVersion = 2;
inline constexpr size_t kProtoHeaderSize = 8;
inline constexpr uint64_t kMaxBodySize = uint64_t{128} << 20;  // what clients accept too

enum class MessageType : uint8_t {
  kInfo = 1,
  kAdmin = 2,
  kMessage = 3,
  kCompressed = 4,
};

struct ProtoHeader {
  uint8_t version = kProtoVersion;
  uint8_t type = 0;
  uint64_t size = 0;  // body bytes after the header
};

inline ProtoHeader ParseProtoHeader(const uint8_t* p) {
  ProtoHeader h;
  h.version = p[0];
  h.type = p[1];
  h.size = 0;
  for (int i = 2; i < 8; ++i) h.size = h.size << 8 | p[i];
  return h;
}

inline void WriteProtoHeader(MessageType type, uint64_t size, uint8_t* p) {
  p[0] = kProtoVersion;
  p[1] = static_cast<uint8_t>(type);
  for (int i = 7; i >= 2; --i) {
    p[i] = static_cast<uint8_t>(size & 0xff);
    size >>= 8;
  }
}

// Appends a header for a body of `size` bytes to `out`.
inline void AppendProtoHeader(MessageType type, uint64_t size, std::string* out) {
  uint8_t h[kProtoHeaderSize];
  WriteProtoHeader(type, size, h);
  out->append(reinterpret_cast<const char*>(h), kProtoHeaderSize);
}

// Rewrites the size of a frame whose header starts at `offset` of `buf` (filled in once the
// body is complete).
inline void PatchProtoSize(std::string* buf, size_t offset, MessageType type) {
  WriteProtoHeader(type, buf->size() - offset - kProtoHeaderSize,
                   reinterpret_cast<uint8_t*>(buf->data() + offset));
}

}  // namespace tern::wire
