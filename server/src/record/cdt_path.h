// Path operations (Aerospike 8.1): select the elements a path leads to inside a list or map
// bin, or apply an expression to each of them. Unlike a plain context, a path step may pick
// every child, the children a filter expression accepts (loop variables name the child's key,
// value and index), or the map entries whose keys are in a list. The packed operation is
// [0xfe, context, flags] (select) or [0xfe, context, flags | 4, expression] (apply), sent as
// wire op 3 / 4 or inside an expression call (docs/collections.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "record/expression.h"
#include "record/value.h"

namespace tern::record {

inline constexpr uint64_t kCdtPathOp = 0xfe;

// Select flags: what the answer holds (the low two bits), and no-fail.
inline constexpr uint64_t kPathMatchingTree = 0;  // the bin cut down to the selected paths
inline constexpr uint64_t kPathValues = 1;        // the selected elements, in a list
inline constexpr uint64_t kPathMapKeys = 2;       // their map keys
inline constexpr uint64_t kPathMapKeyValues = 3;  // [key, value, key, value, ...]
inline constexpr uint64_t kPathApply = 4;         // set by the clients on apply
inline constexpr uint64_t kPathNoFail = 16;

// The path step (the clients' AS_CDT_CTX_EXP) that picks every child ([0x04, true]) or the
// children a filter accepts ([0x04, expression]).
inline constexpr uint64_t kCtxChildren = 0x04;

// True when `op` is a packed path operation (its first element is 0xfe).
bool IsCdtPathOp(std::string_view op);

class CdtPath {
 public:
  struct Step;

  // Decodes a packed path operation; kParameterError when it is malformed.
  static absl::StatusOr<std::shared_ptr<const CdtPath>> Decode(std::string_view op);

  CdtPath();
  ~CdtPath();
  CdtPath(const CdtPath&) = delete;
  CdtPath& operator=(const CdtPath&) = delete;

  bool applies() const { return modify_ != nullptr; }

  // The selected elements of `bin` (a list or map) in the form the flags ask for. A step that
  // reaches a value that is no list or map (or of the wrong kind) is kOpNotApplicable unless
  // no-fail skips it; a step that finds nothing selects nothing.
  absl::StatusOr<Value> Select(const Value& bin, const ExpRecord& rec) const;

  // Replaces every selected element of `*bin` by the modify expression's value for it, or
  // removes it when the expression evaluates remove_result. An unknown value is
  // kOpNotApplicable unless no-fail keeps the element as it was.
  absl::Status Apply(Value* bin, const ExpRecord& rec) const;

 private:
  std::string packed_;  // the steps' views point into this
  std::vector<Step> steps_;
  uint64_t flags_ = 0;
  std::shared_ptr<const Expression> modify_;
};

}  // namespace tern::record
