// Builders for AS_MSG requests in wire tests: the bytes an official client would send.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wire/message.h"
#include "wire/proto.h"

namespace tern::wire::testing {

inline std::string Field(uint8_t type, std::string_view data) {
  std::string out;
  AppendField(type, data, &out);
  return out;
}

inline std::string Op(uint8_t op, uint8_t particle, std::string_view name, std::string_view value) {
  std::string out;
  uint32_t size = static_cast<uint32_t>(4 + name.size() + value.size());
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>(size >> s));
  out.push_back(static_cast<char>(op));
  out.push_back(static_cast<char>(particle));
  out.push_back(0);
  out.push_back(static_cast<char>(name.size()));
  out.append(name);
  out.append(value);
  return out;
}

inline std::string Int64(int64_t v) {
  std::string out;
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>(static_cast<uint64_t>(v) >> s));
  return out;
}

// A msg body: header + the given encoded fields and ops.
inline std::string Msg(MsgHeader h, const std::vector<std::string>& fields,
                       const std::vector<std::string>& ops) {
  h.n_fields = static_cast<uint16_t>(fields.size());
  h.n_ops = static_cast<uint16_t>(ops.size());
  std::string out;
  AppendHeader(h, &out);
  for (const auto& f : fields) out += f;
  for (const auto& o : ops) out += o;
  return out;
}

inline std::string Frame(MessageType type, std::string_view body) {
  std::string out;
  AppendProtoHeader(type, body.size(), &out);
  out.append(body);
  return out;
}

inline std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace tern::wire::testing
