// Aerospike expressions (filter expressions, wire field 43, and the expression operations, wire
// ops 7 and 8) as the official clients encode them: msgpack where an operation is an array
// [op, args...] and a literal is any other element (docs/expressions.md). An expression is
// decoded once into a compact tree, then evaluated against each record it is applied to.
// Malformed or unknown expressions are a parameter error (4), never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/digest.h"
#include "record/record.h"

namespace tern::record {

class CdtPath;

// The element a path operation is visiting, as its filter and modify expressions see it
// through loop variables (record/cdt_path.h).
struct PathLoopVars {
  const Value* key = nullptr;  // null for a list element
  const Value* value = nullptr;
  int64_t index = 0;            // list index, or map entry index in key order
  mutable bool remove = false;  // the modify expression evaluated remove_result
};

// What an expression may read about one record: bins, stored key and metadata.
struct ExpRecord {
  const Record* rec = nullptr;  // null: no record (bins and key are unknown)
  const base::Digest* digest = nullptr;
  std::string_view set_name;
  uint32_t void_time = 0;       // seconds since 2010-01-01, 0 = never expires
  uint64_t last_update_ms = 0;  // Unix epoch milliseconds
  uint32_t stored_size = 0;     // bytes the record occupies in storage
  bool in_memory = true;        // device_size is 0 for records kept in memory
  uint32_t now = 0;             // seconds since 2010-01-01
  int64_t now_unix_ms = 0;
  const PathLoopVars* loop = nullptr;  // set while a path operation visits an element
};

// Result types as the clients number them (AS_EXP_TYPE_*): the declared type of bin reads and
// collection calls, and what the decoder infers for each node.
enum class ExpType : uint8_t {
  kNil = 0,
  kBool = 1,
  kInt = 2,
  kStr = 3,
  kList = 4,
  kMap = 5,
  kBlob = 6,
  kFloat = 7,
  kGeo = 8,
  kHll = 9,
  kAuto = 10,  // not known before evaluation
};

class Expression {
 public:
  Expression();  // empty; use Decode
  ~Expression();
  Expression(const Expression&) = delete;
  Expression& operator=(const Expression&) = delete;

  // Decodes `packed`; kParameterError for malformed or unknown expressions, kUnsupportedFeature
  // for bit and HLL calls.
  static absl::StatusOr<std::shared_ptr<const Expression>> Decode(std::string_view packed);

  // The value the expression yields for `rec`; nullopt when it is unknown (a bin of another
  // type, a missing bin, a division by zero, ...).
  std::optional<Value> Evaluate(const ExpRecord& rec) const;

  // A filter passes only when the expression is known and true.
  bool Matches(const ExpRecord& rec) const;

  ExpType type() const;
  const std::string& packed() const { return packed_; }

  struct Node;  // decoder and evaluator internals (expression.cc)

 private:
  friend class ExpDecoder;
  friend class ExpEvaluator;

  std::string packed_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> kids_;  // children of every node, each node's contiguous
  uint32_t root_ = 0;
  uint32_t slots_ = 0;  // let-variables
  std::vector<std::shared_ptr<void>> regexes_;
  std::vector<std::shared_ptr<const CdtPath>> paths_;  // path calls (op 0xfe)
};

// Expression operation flags (the clients' expWriteFlags / expReadFlags).
inline constexpr uint64_t kExpWriteCreateOnly = 1;
inline constexpr uint64_t kExpWriteUpdateOnly = 2;
inline constexpr uint64_t kExpWriteAllowDelete = 4;
inline constexpr uint64_t kExpWritePolicyNoFail = 8;
inline constexpr uint64_t kExpEvalNoFail = 16;

// Wire op 7: the op's payload [expression, flags]; the answer is the expression's value. An
// unknown value fails with kOpNotApplicable unless the flags say eval-no-fail (then null).
absl::StatusOr<Value> ExpRead(std::string_view payload, const ExpRecord& rec);

// Wire op 8: sets bin `bin` of `*out` to the value of the expression (evaluated against `rec`,
// which normally shows `*out`), under the create-only / update-only / allow-delete /
// no-fail flags.
absl::Status ExpModify(std::string_view payload, std::string_view bin, const ExpRecord& rec,
                       Record* out);

}  // namespace tern::record
