// A bin value: one Aerospike particle. Scalars are held inline; strings, blobs, GeoJSON text,
// HLLs and whole lists/maps are held as bytes. Lists and maps stay in Aerospike's msgpack
// particle format (shared/protocol/aerospike-wire.md §8) so they pass through the wire
// protocol untouched; record/collection.h builds and reads them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace tern::record {

// Particle type codes as they travel on the wire (§3.5).
enum class ParticleType : uint8_t {
  kNull = 0,
  kInteger = 1,
  kFloat = 2,
  kString = 3,
  kBlob = 4,
  kJavaBlob = 7,
  kCsharpBlob = 8,
  kPythonBlob = 9,
  kRubyBlob = 10,
  kPhpBlob = 11,
  kErlangBlob = 12,
  kBool = 17,
  kHll = 18,
  kMap = 19,
  kList = 20,
  kGeoJson = 23,
};

// True for the types whose value is a byte string (everything but null, integer, float, bool).
bool IsBytesType(ParticleType t);
// True for the type codes this server accepts in a bin.
bool IsKnownParticleType(uint8_t code);
std::string_view ParticleTypeName(ParticleType t);

class Value {
 public:
  Value() = default;  // null

  static Value Integer(int64_t v) { return Value(ParticleType::kInteger, v); }
  static Value Double(double v);
  static Value Bool(bool v) { return Value(ParticleType::kBool, v ? 1 : 0); }
  static Value String(std::string s) { return Value(ParticleType::kString, std::move(s)); }
  static Value Blob(std::string b, ParticleType subtype = ParticleType::kBlob) {
    return Value(subtype, std::move(b));
  }
  static Value GeoJson(std::string text) { return Value(ParticleType::kGeoJson, std::move(text)); }
  // `msgpack` is an encoded list / map particle (see record/collection.h).
  static Value List(std::string msgpack) { return Value(ParticleType::kList, std::move(msgpack)); }
  static Value Map(std::string msgpack) { return Value(ParticleType::kMap, std::move(msgpack)); }
  static Value Hll(std::string bytes) { return Value(ParticleType::kHll, std::move(bytes)); }
  // Any bytes-typed particle from its code and bytes (caller checked IsBytesType).
  static Value FromBytes(ParticleType t, std::string bytes) { return Value(t, std::move(bytes)); }

  ParticleType type() const { return type_; }
  bool is_null() const { return type_ == ParticleType::kNull; }
  int64_t integer() const { return scalar_; }
  double dbl() const;
  bool boolean() const { return scalar_ != 0; }
  const std::string& bytes() const { return bytes_; }

  // Bytes this value occupies in a stored record (used for size limits and memory stats).
  size_t StoredSize() const { return IsBytesType(type_) ? bytes_.size() : 8; }

  friend bool operator==(const Value& a, const Value& b) {
    return a.type_ == b.type_ && a.scalar_ == b.scalar_ && a.bytes_ == b.bytes_;
  }

 private:
  Value(ParticleType t, int64_t scalar) : type_(t), scalar_(scalar) {}
  Value(ParticleType t, std::string bytes) : type_(t), bytes_(std::move(bytes)) {}

  ParticleType type_ = ParticleType::kNull;
  int64_t scalar_ = 0;  // integer, bool, or the bit pattern of a double
  std::string bytes_;
};

}  // namespace tern::record
