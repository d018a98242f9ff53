// Map operations (wire ops 3/4 with map op codes, shared/protocol/aerospike-wire.md §8.4) on
// one map: put / put-items / add / replace with map policies and write flags, increment,
// decrement, clear, size, set policy, and get / remove by key, key range, key list, key-relative
// index, value, value range, value list, value-relative rank, index and rank.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "record/cdt_args.h"
#include "record/value.h"

namespace tern::record {

// True for the op codes that change the map (allowed only in CDT_MODIFY).
bool IsMapModifyOp(uint64_t op);

// Applies `op` to `*map`: a packed map, or empty when the bin (or the context's target) does
// not exist yet. Modify ops leave the new map in `*map` (empty when they had nothing to do with
// an absent map). Returns the operation's answer, null when it has none.
absl::StatusOr<Value> ApplyMapOp(uint64_t op, const CdtArgs& args, std::string* map);

// The packed empty map with `flags` (0, kMapKeyOrdered or kMapKeyValueOrdered).
std::string EmptyMap(uint8_t flags);

// True when `element` may be a map key: an integer, a string or a plain blob.
bool IsMapKey(std::string_view element);

}  // namespace tern::record
