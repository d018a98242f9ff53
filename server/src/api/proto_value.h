// Conversions between the gRPC API's tern.v1.Value and record::Value (one particle). Lists and
// maps become Aerospike msgpack particles on the way in and are decoded on the way out, so a
// record written through either front door reads the same through the other.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "record/value.h"
#include "tern/v1/kv.pb.h"

namespace tern::api {

// A proto Value with no kind set is null. Invalid input (a bad blob subtype) is a
// kParameterError.
absl::StatusOr<record::Value> ValueFromProto(const tern::v1::Value& v);

// Fails (kParameterError) only for a stored list/map particle that does not decode.
absl::Status ValueToProto(const record::Value& v, tern::v1::Value* out);

}  // namespace tern::api
