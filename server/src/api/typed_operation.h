// Typed gRPC operations (tern.v1 ListOperation, MapOperation, BitOperation, HllOperation,
// ExpOperation, PathOperation) become the very op the Aerospike wire protocol carries for them: an
// op type (CDT / bit / HLL / expression, read or modify) and the msgpack [op, args...] payload
// (shared/protocol/aerospike-wire.md §8.4-8.5), so both front doors share one implementation of
// every operation. The argument order is each kind's `layout` option in kv.proto.
#pragma once

#include "absl/status/statusor.h"
#include "tern/v1/kv.pb.h"
#include "txn/request.h"

namespace tern::api {

// `op` must have its `typed` oneof set. A bad operation (unknown kind, wrong argument count or
// type, bad policy or context) is a kParameterError naming the operation and what is wrong.
absl::StatusOr<txn::Op> TypedOperation(const tern::v1::Operation& op);

}  // namespace tern::api
