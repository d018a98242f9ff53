// Wire ops 3 (CDT_READ) and 4 (CDT_MODIFY): one list or map operation on one bin, maybe inside
// nested lists and maps. The op's value is the msgpack [op, args...] or
// [0xff, context, [op, args...]] (shared/protocol/aerospike-wire.md §8.4), or a path operation
// [0xfe, context, flags(, expression)] (record/cdt_path.h). Errors carry
// Aerospike result codes; malformed bytes from a socket are a parameter error, never a crash.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "record/expression.h"
#include "record/value.h"

namespace tern::record {

// Answers a read operation on `bin` (null when the bin does not exist: the answer is null).
// A path select (record/cdt_path.h) runs its filters against `rec`.
absl::StatusOr<Value> CdtRead(std::string_view op, const Value& bin,
                              const ExpRecord& rec = ExpRecord());

// Applies a modify operation to `*bin` (null when the bin does not exist; it stays null when
// the operation created nothing). Returns the operation's answer, null when it has none. A path
// apply runs its filters and modify expression against `rec`.
absl::StatusOr<Value> CdtModify(std::string_view op, Value* bin,
                                const ExpRecord& rec = ExpRecord());

}  // namespace tern::record
