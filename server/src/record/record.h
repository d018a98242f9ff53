// A record's contents: its bins and, when the client sent it, its user key. Records are
// immutable once stored (copy-on-write): a write builds a new Record and swaps it in.
// Metadata (generation, void time, last-update time, set) lives in the primary index entry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record/value.h"

namespace tern::record {

// Aerospike's limit on bin name length.
inline constexpr size_t kMaxBinNameLength = 15;

struct Bin {
  std::string name;
  Value value;

  friend bool operator==(const Bin&, const Bin&) = default;
};

struct Record {
  std::vector<Bin> bins;
  std::optional<Value> key;  // the user key, stored only with send-key

  const Bin* Find(std::string_view name) const;
  Bin* Find(std::string_view name);
  // Sets (or, for a null value, removes) a bin.
  void Set(std::string_view name, Value value);
  // Payload bytes used by bins and key: what size limits and memory stats count.
  size_t DataSize() const;

  friend bool operator==(const Record&, const Record&) = default;
};

}  // namespace tern::record
