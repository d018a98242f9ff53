// What reads return: a record's bins and metadata, batch rows, scan results and operations.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tern/key.h"
#include "tern/value.h"

namespace tern::v1 {
class Operation;
}

namespace tern {

struct Record {
  std::optional<Key> key;  // scans: the record's key (by digest when no user key was stored)
  uint32_t generation = 0;
  uint32_t ttl = 0;  // seconds left; 0 = never expires
  std::vector<Bin> bins;

  // The bin called `name`, or nullptr.
  const Value* Get(const std::string& name) const;
};

struct WriteResult {
  uint32_t generation = 0;
  uint32_t ttl = 0;
};

struct BatchRecord {
  int result_code = 0;  // 0 = found; 2 = not found; other Aerospike codes
  Record record;        // valid when result_code is 0
};

struct Operation {
  enum class Type { kRead, kWrite, kIncr, kAppend, kPrepend, kTouch, kDelete };
  Type type = Type::kRead;
  std::string bin;  // kRead with an empty bin reads every bin
  Value value;
  // A list, map, bit, HLL or expression operation on `bin` (then `type` and `value` are
  // unused); made by the builders of tern/operations.h.
  std::shared_ptr<const tern::v1::Operation> typed = nullptr;

  static Operation Read(std::string bin = "") { return {Type::kRead, std::move(bin), {}}; }
  static Operation Write(std::string bin, Value v) {
    return {Type::kWrite, std::move(bin), std::move(v)};
  }
  static Operation Incr(std::string bin, Value by) {
    return {Type::kIncr, std::move(bin), std::move(by)};
  }
  static Operation Append(std::string bin, Value v) {
    return {Type::kAppend, std::move(bin), std::move(v)};
  }
  static Operation Prepend(std::string bin, Value v) {
    return {Type::kPrepend, std::move(bin), std::move(v)};
  }
  static Operation Touch() { return {Type::kTouch, "", {}}; }
  static Operation Delete() { return {Type::kDelete, "", {}}; }
};

// One row of Client::BatchOperate: the operations to run on one record.
struct BatchOperation {
  Key key;
  std::vector<Operation> ops;
};

// Where a scan stands: partitions still to do, each with the last digest received. Pass it to
// Client::Scan again to resume an interrupted scan where it stopped.
struct ScanCursor {
  struct Partition {
    uint32_t id = 0;
    std::optional<Digest> after;
  };
  std::vector<Partition> remaining;
  bool done() const { return remaining.empty(); }
};

struct ScanSpec {
  std::string ns;
  std::string set;                // empty = every set
  std::vector<std::string> bins;  // empty = every bin
  bool metadata_only = false;
  uint64_t max_records = 0;          // 0 = no limit
  std::optional<ScanCursor> resume;  // continue a previous scan
};

}  // namespace tern
