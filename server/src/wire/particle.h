// Bin values on the wire: a particle type byte plus value bytes (aerospike-wire.md §3.5), and
// the KEY field (type byte + key bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "record/value.h"

namespace tern::wire {

// Decodes an op's value. kParameterError for unknown types, bad sizes, bad bools and malformed
// lists/maps; kGeoInvalidGeoJson for GeoJSON that is not a JSON object with a "type".
absl::StatusOr<record::Value> DecodeParticle(uint8_t type, std::string_view bytes);
// Appends the value bytes (not the type) of `v`.
void AppendParticle(const record::Value& v, std::string* out);

// KEY field: particle type byte + bytes (int as 8 bytes BE).
absl::StatusOr<record::Value> DecodeKey(std::string_view field);
std::string EncodeKey(const record::Value& key);

}  // namespace tern::wire
