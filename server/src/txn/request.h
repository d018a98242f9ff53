// The one request shape every front door builds (wire, gRPC, REST) and the one response shape
// they all encode from. Modelled on AS_MSG: a command, a record identity, policies and ops.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/result_code.h"
#include "record/record.h"

namespace tern::record {
class Expression;
}

namespace tern::txn {

// Operation codes as on the wire (shared/protocol/aerospike-wire.md §3.4).
enum class OpType : uint8_t {
  kRead = 1,
  kWrite = 2,
  kCdtRead = 3,
  kCdtModify = 4,
  kIncr = 5,
  kExpRead = 7,
  kExpModify = 8,
  kAppend = 9,
  kPrepend = 10,
  kTouch = 11,
  kBitRead = 12,
  kBitModify = 13,
  kDelete = 14,
  kHllRead = 15,
  kHllModify = 16,
};

bool IsReadOp(OpType t);

struct Op {
  OpType type = OpType::kRead;
  std::string bin;      // empty with kRead = every bin
  record::Value value;  // operand (write value, increment, suffix ...)
};

enum class GenerationPolicy : uint8_t { kNone, kEqual, kGreater };
enum class ExistsAction : uint8_t { kUpdate, kUpdateOnly, kReplace, kReplaceOnly, kCreateOnly };

// TTL conventions: 0 = the set's / namespace's default, -1 = never expire, -2 = keep current.
inline constexpr int64_t kTtlDefault = 0;
inline constexpr int64_t kTtlNever = -1;
inline constexpr int64_t kTtlKeep = -2;
inline constexpr int64_t kMaxTtlSeconds = 315360000;  // 10 years

enum class Command : uint8_t { kRead, kWrite, kDelete, kUdf };

struct Request {
  Command command = Command::kRead;
  std::string ns;
  std::string set;
  base::Digest digest;
  std::optional<record::Value> key;  // the user key, when the client sent it
  bool send_key = false;             // store the user key with the record

  bool read_all_bins = false;  // reads: every bin
  bool metadata_only = false;  // reads: generation and TTL only (exists)
  // Reads: touch the record when within this percent of its last write's TTL from expiring
  // (1..100); 0 = the namespace default (off), -1 = never.
  int32_t read_touch_ttl_pct = 0;

  GenerationPolicy generation_policy = GenerationPolicy::kNone;
  uint16_t generation = 0;
  ExistsAction exists_action = ExistsAction::kUpdate;
  int64_t ttl = kTtlDefault;
  bool durable_delete = false;
  bool respond_all_ops = false;  // one result per op, writes included (null values)

  std::vector<Op> ops;
  // Filter expression (wire field 43): an existing record it does not match is left alone and
  // answered with kFilteredOut.
  std::shared_ptr<const record::Expression> filter;

  // Command::kUdf: module.function(record, args...)
  std::string udf_module;
  std::string udf_function;
  std::vector<record::Value> udf_args;
};

struct Response {
  base::ResultCode result = base::ResultCode::kOk;
  uint16_t generation = 0;
  uint32_t void_time = 0;         // seconds since 2010-01-01; 0 = never expires
  std::vector<record::Bin> bins;  // all bins, or one entry per read op in op order
  std::string message;            // error detail for front doors that carry text
};

}  // namespace tern::txn
