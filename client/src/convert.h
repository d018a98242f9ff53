// libternclient's conversions between its public types and the tern.v1 protobuf messages.
#pragma once

#include "tern/key.h"
#include "tern/policy.h"
#include "tern/record.h"
#include "tern/status.h"
#include "tern/v1/kv.pb.h"
#include "tern/value.h"

namespace tern::client_internal {

void ValueToProto(const Value& v, tern::v1::Value* out);
Value ValueFromProto(const tern::v1::Value& v);

void KeyToProto(const Key& k, tern::v1::Key* out);
// A key from a proto key (user key when present, else by digest).
Key KeyFromProto(const tern::v1::Key& k);

void RecordFromProto(const tern::v1::Record& in, bool with_key, Record* out);
void WritePolicyToProto(const WritePolicy& p, tern::v1::WritePolicy* out);

}  // namespace tern::client_internal
