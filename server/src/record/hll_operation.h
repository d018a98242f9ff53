// Wire ops 15 (HLL_READ) and 16 (HLL_MODIFY): HyperLogLog bins. The op's value is the msgpack
// [op, args...] the clients pack (codes and argument order as in the Aerospike clients' HLL
// operations). The stored bytes are Aerospike's HLL particle, so sketches made by Aerospike
// (or by clients that copy them) union and intersect with ours: a flags byte (0), the index
// bit count p (4..16), the minhash bit count m (0 or 4..51, p + m <= 64), a cached count
// (8 bytes, host order, 0 = not cached), then 2^p registers of 6 + m bits each, packed
// most-significant bit first. An element is hashed with MurmurHash3 x64/128 over its exact
// msgpack bytes; the first 64-bit half gives the register (low p bits) and the minhash bits
// (the next m), the second gives the HLL value (trailing zeros + 1). Counts use Ertl's
// improved raw estimator (arXiv 1702.01284); similarity with minhash bits follows HyperMinHash
// (arXiv 1710.08436). Errors carry Aerospike result codes: a bad argument 4, a bin that is
// not an HLL 12, create-only on an existing bin 6, update-only on a missing one 17, a union
// or fold the sketches' sizes do not allow 26.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "record/value.h"

namespace tern::record {

// Answers a read op (count, union, union count, intersect count, similarity, describe) on
// `bin` (null when the bin does not exist: the answer is null).
absl::StatusOr<Value> HllRead(std::string_view op, const Value& bin);

// Applies a modify op (init, add, set union, refresh count, fold) to `*bin` (null when the
// bin does not exist). Add answers how many registers changed, refresh count the count; the
// others answer null.
absl::StatusOr<Value> HllModify(std::string_view op, Value* bin);

// True when `bytes` is a well-formed HLL particle (what a put of an HLL bin must carry).
bool IsValidHll(std::string_view bytes);

}  // namespace tern::record
