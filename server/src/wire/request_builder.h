// Turns a parsed single-record AS_MSG (or one batch row) into a txn::Request, applying the
// protocol's classification and flag rules (aerospike-wire.md §3.6).
#pragma once

#include "absl/status/status.h"
#include "txn/request.h"
#include "wire/message.h"

namespace tern::wire {

// `header` is the msg's (or the batch row's) header; fields and ops come from `msg`.
absl::Status BuildRecordRequest(const MsgHeader& header, const ParsedMsg& msg, txn::Request* req);

}  // namespace tern::wire
