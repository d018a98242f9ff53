// Wire ops 12 (BIT_READ) and 13 (BIT_MODIFY): bitwise operations on a blob bin. The op's value
// is the msgpack [op, args...] the clients pack (codes and argument order as in the Aerospike
// clients' bit operations). Bits are numbered from the most significant bit of the first byte;
// a negative offset counts back from the end. Errors carry Aerospike result codes: a bad
// argument or a range outside the blob 4, a bin that is not a blob 12, create-only on an
// existing bin 6, update-only (and every op but resize and insert) on a missing bin 17.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "record/value.h"

namespace tern::record {

// Answers a read op (get, count, lscan, rscan, get_int) on `bin` (null when the bin does not
// exist: the answer is null).
absl::StatusOr<Value> BitRead(std::string_view op, const Value& bin);

// Applies a modify op to `*bin` (null when the bin does not exist; resize and insert create
// it). Modify ops answer nothing.
absl::Status BitModify(std::string_view op, Value* bin);

}  // namespace tern::record
