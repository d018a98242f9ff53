#include "wire/particle.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "record/collection.h"
#include "record/geojson.h"

namespace tern::wire {

using base::MakeError;
using base::ResultCode;
using record::ParticleType;
using record::Value;

namespace {

uint64_t ReadBigEndian(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = v << 8 | static_cast<uint8_t>(c);
  return v;
}

void AppendBigEndian(uint64_t v, std::string* out) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}

}  // namespace

absl::StatusOr<Value> DecodeParticle(uint8_t type, std::string_view bytes) {
  if (!record::IsKnownParticleType(type)) {
    return MakeError(ResultCode::kParameterError, absl::StrCat("unknown particle type ", type));
  }
  const auto t = static_cast<ParticleType>(type);
  switch (t) {
    case ParticleType::kNull:
      return Value();
    case ParticleType::kInteger:
      // 1, 2, 4 or 8 bytes; shorter forms are unsigned (Aerospike accepts them).
      if (bytes.size() == 8) return Value::Integer(static_cast<int64_t>(ReadBigEndian(bytes)));
      if (bytes.size() == 1 || bytes.size() == 2 || bytes.size() == 4) {
        return Value::Integer(static_cast<int64_t>(ReadBigEndian(bytes)));
      }
      return MakeError(ResultCode::kParameterError, "integer particle must be 1, 2, 4 or 8 bytes");
    case ParticleType::kFloat: {
      if (bytes.size() != 8)
        return MakeError(ResultCode::kParameterError, "double particle must be 8 bytes");
      uint64_t bits = ReadBigEndian(bytes);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return Value::Double(d);
    }
    case ParticleType::kBool:
      if (bytes.size() != 1 || static_cast<uint8_t>(bytes[0]) > 1) {
        return MakeError(ResultCode::kParameterError, "bool particle must be one byte 0 or 1");
      }
      return Value::Bool(bytes[0] == 1);
    case ParticleType::kList:
      if (!record::DecodeList(bytes).ok())
        return MakeError(ResultCode::kParameterError, "malformed list");
      return Value::List(std::string(bytes));
    case ParticleType::kMap:
      if (!record::DecodeMap(bytes).ok())
        return MakeError(ResultCode::kParameterError, "malformed map");
      return Value::Map(std::string(bytes));
    case ParticleType::kGeoJson: {
      // 1 byte flags, u16 cell count, cells (u64 each), then the JSON text.
      if (bytes.size() < 3)
        return MakeError(ResultCode::kGeoInvalidGeoJson, "truncated GeoJSON particle");
      size_t ncells = static_cast<uint8_t>(bytes[1]) << 8 | static_cast<uint8_t>(bytes[2]);
      if (bytes.size() < 3 + ncells * 8)
        return MakeError(ResultCode::kGeoInvalidGeoJson, "truncated GeoJSON cells");
      std::string_view text = bytes.substr(3 + ncells * 8);
      if (absl::Status s = record::ValidateGeoJson(text); !s.ok()) return s;
      return Value::GeoJson(std::string(text));
    }
    default:  // string, blobs, HLL
      return Value::FromBytes(t, std::string(bytes));
  }
}

void AppendParticle(const Value& v, std::string* out) {
  switch (v.type()) {
    case ParticleType::kNull:
      return;
    case ParticleType::kInteger:
      AppendBigEndian(static_cast<uint64_t>(v.integer()), out);
      return;
    case ParticleType::kFloat: {
      double d = v.dbl();
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      AppendBigEndian(bits, out);
      return;
    }
    case ParticleType::kBool:
      out->push_back(v.boolean() ? 1 : 0);
      return;
    case ParticleType::kGeoJson:
      out->append("\0\0\0", 3);  // flags 0, no cells
      out->append(v.bytes());
      return;
    default:
      out->append(v.bytes());
  }
}

absl::StatusOr<Value> DecodeKey(std::string_view field) {
  if (field.empty()) return MakeError(ResultCode::kParameterError, "empty key field");
  const uint8_t type = static_cast<uint8_t>(field[0]);
  std::string_view bytes = field.substr(1);
  switch (static_cast<ParticleType>(type)) {
    case ParticleType::kInteger:
      if (bytes.size() != 8)
        return MakeError(ResultCode::kParameterError, "integer key must be 8 bytes");
      return Value::Integer(static_cast<int64_t>(ReadBigEndian(bytes)));
    case ParticleType::kFloat:
    case ParticleType::kString:
      return DecodeParticle(type, bytes);
    default:
      if (type == 4 || (type >= 7 && type <= 12))
        return Value::Blob(std::string(bytes), static_cast<ParticleType>(type));
      return MakeError(ResultCode::kParameterError,
                       absl::StrCat("key type ", type, " is not a key type"));
  }
}

std::string EncodeKey(const Value& key) {
  std::string out(1, static_cast<char>(key.type()));
  AppendParticle(key, &out);
  return out;
}

}  // namespace tern::wire
