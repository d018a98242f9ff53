// The stored form of a record: the value the flash engine keeps in RocksDB, and what stored
// sizes are computed from. Self-contained (metadata included) so that a cold start can rebuild
// the primary index from the stored records alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "record/record.h"

namespace tern::record {

// Metadata kept with a stored record.
struct StoredMeta {
  uint16_t generation = 0;
  uint32_t void_time = 0;  // 0 = never expires
  uint64_t last_update_ms = 0;
  std::string set_name;

  friend bool operator==(const StoredMeta&, const StoredMeta&) = default;
};

// Format version 1, all integers little-endian:
//   u8 version | u16 generation | u32 void_time | u64 last_update_ms |
//   u8 set name length, set name | u8 has key (0/1) [, u8 key type, u32 length, key value] |
//   u16 bin count | per bin: u8 name length (<= 15), name, u8 particle type, value
// where a value is 8 bytes for integer/double, 1 byte for bool, nothing for null, and
// u32 length + bytes for every bytes type. The set name must be at most 255 bytes.
inline constexpr uint8_t kRecordFormatVersion = 1;

std::string EncodeRecord(const StoredMeta& meta, const Record& rec);

// Decodes `bytes`; with `rec` null only the metadata is read (cold-start index rebuild: the
// bins are not looked at). Malformed input is a kParameterError and leaves the outputs as
// they were.
absl::Status DecodeRecord(std::string_view bytes, StoredMeta* meta, Record* rec);

}  // namespace tern::record
