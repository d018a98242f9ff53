// One record's primary-index entry: 64 bytes in an arena slot, red-black tree links as 32-bit
// arena handles instead of pointers (Aerospike's entry is 64 bytes too).
#pragma once

#include <cstdint>

#include "base/digest.h"

namespace tern::index {

// Arena slot handle; 0 is "none".
using EntryHandle = uint32_t;
inline constexpr EntryHandle kNullHandle = 0;

struct IndexEntry {
  base::Digest digest;  // tree key, compared as bytes
  EntryHandle left;     // tree links (sprig-private)
  EntryHandle right;
  EntryHandle parent;
  uint32_t void_time;       // seconds since 2010-01-01; 0 = never expires
  uint16_t generation;      // wraps like Aerospike's (never 0 for a live record)
  uint16_t set_id;          // 0 = no set
  uint64_t last_update_ms;  // unix milliseconds of the last write
  uint64_t storage_handle;  // owned by the namespace's storage engine
  uint32_t stored_size;     // bytes the record occupies in storage (stats, eviction)
  uint8_t flags;            // bit 0: red; the rest are free for later use
  uint8_t reserved[3];
};
static_assert(sizeof(IndexEntry) == 64, "the primary index entry must stay 64 bytes");

// The record metadata the rest of the server reads out of an entry (no tree links).
struct RecordMeta {
  uint32_t void_time = 0;
  uint16_t generation = 0;
  uint16_t set_id = 0;
  uint64_t last_update_ms = 0;
  uint64_t storage_handle = 0;
  uint32_t stored_size = 0;
};

inline RecordMeta MetaOf(const IndexEntry& e) {
  return RecordMeta{e.void_time,      e.generation,     e.set_id,
                    e.last_update_ms, e.storage_handle, e.stored_size};
}

inline void SetMeta(IndexEntry& e, const RecordMeta& m) {
  e.void_time = m.void_time;
  e.generation = m.generation;
  e.set_id = m.set_id;
  e.last_update_ms = m.last_update_ms;
  e.storage_handle = m.storage_handle;
  e.stored_size = m.stored_size;
}

}  // namespace tern::index
