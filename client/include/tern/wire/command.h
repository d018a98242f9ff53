// The Aerospike wire protocol seen from a client, without sockets: keys, ops and policies,
// the request frames for info, get / exists / put / delete / operate and batch reads, and the
// decoding of their replies (shared/protocol/aerospike-wire.md §1-§5). tern/wire/client.h
// sends these over a connection; tests use them directly.
//
// Values are the server's record::Value: scalars, strings and blobs, and lists / maps as their
// msgpack particle bytes (record/collection.h turns those into values and back). Frames are
// encoded and decoded by the same codec as the server's (server/src/wire/message.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/digest.h"
#include "record/record.h"
#include "record/value.h"

namespace tern::wire {

// Which record: namespace, set (may be empty) and the user key (integer, string or blob); the
// digest every Aerospike client computes is filled in by the factories.
struct Key {
  std::string ns;
  std::string set;
  record::Value user_key;  // null for a key made from a digest
  base::Digest digest;

  static Key Int(std::string ns, std::string set, int64_t key);
  static Key String(std::string ns, std::string set, std::string key);
  static Key Blob(std::string ns, std::string set, std::string key);
  static Key FromDigest(std::string ns, std::string set, const base::Digest& digest);
};

// Wire op codes (§3.4) this client sends.
enum class OpType : uint8_t {
  kRead = 1,
  kWrite = 2,
  kCdtRead = 3,
  kCdtModify = 4,
  kIncr = 5,
  kAppend = 9,
  kPrepend = 10,
  kTouch = 11,
  kDelete = 14,
};

// One op of an operate command.
struct Op {
  OpType type = OpType::kRead;
  std::string bin;  // empty for read-all, touch and delete
  record::Value value;

  static Op Read(std::string bin) { return {OpType::kRead, std::move(bin), {}}; }
  static Op ReadAll() { return {OpType::kRead, {}, {}}; }
  // A null value deletes the bin.
  static Op Write(std::string bin, record::Value v) {
    return {OpType::kWrite, std::move(bin), std::move(v)};
  }
  // Adds an integer or a double (creates the bin when missing).
  static Op Incr(std::string bin, record::Value v) {
    return {OpType::kIncr, std::move(bin), std::move(v)};
  }
  static Op Append(std::string bin, record::Value v) {
    return {OpType::kAppend, std::move(bin), std::move(v)};
  }
  static Op Prepend(std::string bin, record::Value v) {
    return {OpType::kPrepend, std::move(bin), std::move(v)};
  }
  static Op Touch() { return {OpType::kTouch, {}, {}}; }
  static Op Delete() { return {OpType::kDelete, {}, {}}; }
  // A list / map operation: `msgpack` is the packed CDT op (§8.4), sent as a blob.
  static Op CdtRead(std::string bin, std::string msgpack) {
    return {OpType::kCdtRead, std::move(bin), record::Value::Blob(std::move(msgpack))};
  }
  static Op CdtModify(std::string bin, std::string msgpack) {
    return {OpType::kCdtModify, std::move(bin), record::Value::Blob(std::move(msgpack))};
  }
};

// What a write does when the record exists, or does not (§3.6).
enum class RecordExists {
  kUpdate,       // create, or merge the bins into the existing record
  kUpdateOnly,   // result 2 when missing
  kReplace,      // create, or replace all bins
  kReplaceOnly,  // result 2 when missing
  kCreateOnly,   // result 5 when it exists
};

enum class GenerationPolicy {
  kNone,
  kEqual,    // apply only when the record's generation == WritePolicy::generation (else 3)
  kGreater,  // apply only when WritePolicy::generation > the record's generation (else 3)
};

// TTL values with a special meaning (§3.6); anything else is seconds.
inline constexpr uint32_t kTtlNamespaceDefault = 0;
inline constexpr uint32_t kTtlNever = 0xFFFFFFFF;
inline constexpr uint32_t kTtlKeep = 0xFFFFFFFE;

struct WritePolicy {
  RecordExists exists = RecordExists::kUpdate;
  GenerationPolicy generation_policy = GenerationPolicy::kNone;
  uint16_t generation = 0;
  uint32_t ttl = kTtlNamespaceDefault;
  bool send_key = false;  // store the user key with the record (KEY field)
  bool durable_delete = false;
  // Operate: one result entry per op, in op order, even for ops that return nothing.
  bool respond_all_ops = false;
};

// The answer to a single-record command, or one row of a batch. `result` is the Aerospike
// result code the server sent (0 ok, 2 not found, 3 generation, ...); it is data, not an
// error: a transport or protocol failure is an absl::Status instead.
struct RecordReply {
  int result = 0;
  uint32_t generation = 0;
  uint32_t void_time = 0;         // seconds since 2010-01-01 UTC; 0 = never expires
  std::vector<record::Bin> bins;  // operate with respond_all_ops: one per op, names may repeat

  const record::Value* Find(std::string_view bin) const;
};

// A batch read: one reply per key, in the caller's order. A row the server did not answer
// stays empty. `result` is the code of the stream's LAST msg (0 when every row was answered).
struct BatchReply {
  int result = 0;
  std::vector<std::optional<RecordReply>> rows;
};

enum class BatchReadMode {
  kAllBins,
  kNamedBins,   // the bins passed along
  kHeaderOnly,  // generation and void time only (exists)
};

// Info replies: (request line, value) in request order.
using InfoReply = std::vector<std::pair<std::string, std::string>>;

// Citrusleaf epoch: void times count seconds from this Unix time.
inline constexpr int64_t kCitrusleafEpoch = 1262304000;

// --- Requests. Each appends one whole frame (proto header and body) to `out`, or returns
// kInvalidArgument (and appends nothing) for what the protocol cannot carry: names too long,
// too many bins or keys. `timeout_ms` travels as the server-side timeout (0 = server default).

void EncodeInfo(std::span<const std::string> commands, std::string* out);
absl::Status EncodeGet(const Key& key, std::span<const std::string> bins, uint32_t timeout_ms,
                       std::string* out);
absl::Status EncodeExists(const Key& key, uint32_t timeout_ms, std::string* out);
absl::Status EncodePut(const Key& key, std::span<const record::Bin> bins, const WritePolicy& policy,
                       uint32_t timeout_ms, std::string* out);
absl::Status EncodeDelete(const Key& key, const WritePolicy& policy, uint32_t timeout_ms,
                          std::string* out);
absl::Status EncodeOperate(const Key& key, std::span<const Op> ops, const WritePolicy& policy,
                           uint32_t timeout_ms, std::string* out);
// Field 41, new row format; rows after the first in the same namespace and set are REPEAT rows.
absl::Status EncodeBatchRead(std::span<const Key> keys, BatchReadMode mode,
                             std::span<const std::string> bins, uint32_t timeout_ms,
                             std::string* out);

// --- Replies. Each takes the body of one frame (after the 8-byte proto header, whose type
// and size the caller checked with CheckProtoHeader). Anything malformed is kDataLoss.

// Checks the 8 header bytes: version 2, the `expected` type, 0 < size <= 128 MiB.
absl::StatusOr<uint64_t> CheckProtoHeader(std::string_view header, uint8_t expected_type);
absl::StatusOr<InfoReply> DecodeInfo(std::string_view body);
// A single-record reply: exactly one msg.
absl::StatusOr<RecordReply> DecodeRecordReply(std::string_view body);

// Batch replies arrive as a stream of frames; feed each frame's body in order.
class BatchDecoder {
 public:
  explicit BatchDecoder(size_t rows) { reply_.rows.resize(rows); }
  // kDataLoss for a malformed msg, a row index out of range or answered twice, or bytes after
  // the LAST msg.
  absl::Status Feed(std::string_view body);
  bool done() const { return done_; }
  BatchReply& reply() { return reply_; }

 private:
  BatchReply reply_;
  bool done_ = false;
};

// "ERROR:<code>:<message>" and the other error forms of an info value (§2.3) as a status
// carrying the result code; OK for a normal value.
absl::Status InfoValueStatus(std::string_view value);

}  // namespace tern::wire
