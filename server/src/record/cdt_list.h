// List operations (wire ops 3/4 with list op codes, shared/protocol/aerospike-wire.md §8.4) on
// one list: append, insert, set, increment, pop/remove/get by index, value, rank and their
// ranges, sort, set order, trim, clear, size; ordered and unordered lists; write flags.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "record/cdt_args.h"
#include "record/value.h"

namespace tern::record {

// List op codes below this are list operations; map op codes start at 64.
inline constexpr uint64_t kFirstMapOp = 64;

// True for the op codes that change the list (allowed only in CDT_MODIFY).
bool IsListModifyOp(uint64_t op);

// Applies `op` to `*list`: a packed list, or empty when the bin (or the context's target)
// does not exist yet. Modify ops leave the new list in `*list` (empty when they had nothing
// to do with an absent list). Returns the operation's answer, null when it has none.
absl::StatusOr<Value> ApplyListOp(uint64_t op, const CdtArgs& args, std::string* list);

// The packed empty list with `flags` (kListOrdered or 0), for contexts that create one.
std::string EmptyList(uint8_t flags);

}  // namespace tern::record
