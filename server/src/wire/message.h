// AS_MSG (type 3) codec: the 22-byte msg header, fields and ops (aerospike-wire.md §3.1).
// Parsing is bounds-checked everywhere: a malformed message is an error, never a read past the
// end. Parsed fields and ops are views into the request body.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "record/record.h"

namespace tern::wire {

inline constexpr size_t kMsgHeaderSize = 22;

namespace info1 {
inline constexpr uint8_t kRead = 0x01, kGetAll = 0x02, kShortQuery = 0x04, kBatch = 0x08,
                         kXdr = 0x10, kGetNoBinData = 0x20, kReadModeApAll = 0x40,
                         kCompressResponse = 0x80;
}
namespace info2 {
inline constexpr uint8_t kWrite = 0x01, kDelete = 0x02, kGeneration = 0x04, kGenerationGt = 0x08,
                         kDurableDelete = 0x10, kCreateOnly = 0x20, kRelaxApLongQuery = 0x40,
                         kRespondAllOps = 0x80;
}
namespace info3 {
inline constexpr uint8_t kLast = 0x01, kCommitMaster = 0x02, kPartitionDone = 0x04,
                         kUpdateOnly = 0x08, kCreateOrReplace = 0x10, kReplaceOnly = 0x20;
}

enum FieldType : uint8_t {
  kFieldNamespace = 0,
  kFieldSet = 1,
  kFieldKey = 2,
  kFieldRecordVersion = 3,
  kFieldDigest = 4,
  kFieldTxnId = 5,
  kFieldTxnDeadline = 6,
  kFieldTaskId = 7,
  kFieldSocketTimeout = 9,
  kFieldRecordsPerSecond = 10,
  kFieldPidArray = 11,
  kFieldDigestArray = 12,
  kFieldMaxRecords = 13,
  kFieldBvalArray = 15,
  kFieldIndexName = 21,
  kFieldIndexRange = 22,
  kFieldIndexContext = 23,
  kFieldIndexExpression = 24,
  kFieldIndexType = 26,
  kFieldUdfPackage = 30,
  kFieldUdfFunction = 31,
  kFieldUdfArgs = 32,
  kFieldUdfOp = 33,
  kFieldQueryBins = 40,
  kFieldBatchIndex = 41,
  kFieldBatchIndexWithSet = 42,
  kFieldFilter = 43,
};
inline constexpr size_t kMaxFieldType = 63;

struct MsgHeader {
  uint8_t info1 = 0;
  uint8_t info2 = 0;
  uint8_t info3 = 0;
  uint8_t info4 = 0;
  uint8_t result = 0;
  uint32_t generation = 0;
  uint32_t record_ttl = 0;
  uint32_t transaction_ttl = 0;
  uint16_t n_fields = 0;
  uint16_t n_ops = 0;
};

struct WireOp {
  uint8_t op = 0;
  uint8_t particle = 0;
  std::string_view name;
  std::string_view value;
};

struct ParsedMsg {
  MsgHeader header;
  std::array<std::string_view, kMaxFieldType + 1> fields;
  std::bitset<kMaxFieldType + 1> present;
  std::vector<WireOp> ops;

  bool Has(uint8_t type) const { return type <= kMaxFieldType && present[type]; }
  std::string_view Field(uint8_t type) const {
    return Has(type) ? fields[type] : std::string_view();
  }
};

// A bounds-checked reader over a byte string.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool U8(uint8_t* v);
  bool U16(uint16_t* v);  // big-endian
  bool U32(uint32_t* v);
  bool U64(uint64_t* v);
  bool Bytes(size_t n, std::string_view* v);

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

bool ParseHeader(Reader& r, MsgHeader* h);
// Reads `n_fields` fields then `n_ops` ops. Field types above kMaxFieldType are rejected.
absl::Status ParseFieldsAndOps(Reader& r, uint16_t n_fields, uint16_t n_ops, ParsedMsg* out);
// Parses one whole msg that must end exactly at the end of `body`.
absl::Status ParseMsg(std::string_view body, ParsedMsg* out);

// Building msgs: the server's responses, and client/wire's requests.
void AppendHeader(const MsgHeader& h, std::string* out);
void AppendField(uint8_t type, std::string_view data, std::string* out);
// One op carrying a named value (or, for a null value, just its name).
void AppendOp(uint8_t op, std::string_view name, const record::Value& value, std::string* out);
inline void AppendBinOp(uint8_t op, const record::Bin& bin, std::string* out) {
  AppendOp(op, bin.name, bin.value, out);
}

}  // namespace tern::wire
