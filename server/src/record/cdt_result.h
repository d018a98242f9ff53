// What list and map operations share: picking elements by index, rank, value or key, and
// answering with what the client asked for (the return type, maybe inverted). Semantics follow
// the Aerospike CE 8.1.2 server; shared/protocol/aerospike-wire.md §8.4 lists the codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "record/cdt_args.h"
#include "record/value.h"

namespace tern::record {

// Return types as the client sends them (the low 16 bits).
enum class ReturnType : uint32_t {
  kNone = 0,
  kIndex = 1,
  kReverseIndex = 2,
  kRank = 3,
  kReverseRank = 4,
  kCount = 5,
  kKey = 6,
  kValue = 7,
  kKeyValue = 8,  // a map flagged "preserve order" (0x08); the Node client reads it as [k, v, ...]
  kIndexRange = 9,
  kReverseIndexRange = 10,
  kRankRange = 11,
  kReverseRankRange = 12,
  kExists = 13,
  kUnorderedMap = 16,
  kOrderedMap = 17,
};
// Or'ed into the return type: select everything the operation would not have.
inline constexpr uint64_t kInvertedFlag = 0x10000;

// A list's elements, or a map's entries in key order (a map's index order), packed.
struct CdtElements {
  std::vector<std::string_view> keys;  // maps only
  std::vector<std::string_view> values;
  bool is_map = false;
  // An unordered list: Aerospike answers the values of a rank range in the order its partial
  // heap sort leaves them (descending when it counted up from rank 0, ascending when it counted
  // down from the top), not in plain rank order.
  bool heap_rank_order = false;

  uint32_t size() const { return static_cast<uint32_t>(values.size()); }
  // Element indices in rank order (by value, ties by index); computed on first use.
  const std::vector<uint32_t>& ByRank() const;
  uint32_t RankOf(uint32_t index) const;

 private:
  mutable std::vector<uint32_t> by_rank_;
  mutable std::vector<uint32_t> rank_of_;
};

// The elements an operation picked.
struct Selection {
  std::vector<uint32_t> indices;  // in the order values are answered
  bool multi = true;              // false: a single-element operation (answers scalars)
  bool rank_order = false;        // picked by rank: values answer in rank order
  // Set when the pick is one contiguous range, for the *_RANGE return types: {start, count}.
  std::optional<std::pair<uint32_t, uint32_t>> index_range;
  std::optional<std::pair<uint32_t, uint32_t>> rank_range;
};

// By position: negative counts from the end. A single pick out of bounds is kOpNotApplicable;
// a range is clipped. No count = to the end.
absl::StatusOr<Selection> SelectIndexRange(const CdtElements& e, int64_t index,
                                           std::optional<uint64_t> count, bool multi);
absl::StatusOr<Selection> SelectRankRange(const CdtElements& e, int64_t rank,
                                          std::optional<uint64_t> count, bool multi);
// Values equal to `value`; a single pick takes the first match by index.
Selection SelectValue(const CdtElements& e, std::string_view value, bool multi);
// Values in [begin, end); no end = to the last.
Selection SelectValueInterval(const CdtElements& e, std::string_view begin,
                              std::optional<std::string_view> end);
Selection SelectValueList(const CdtElements& e, const std::vector<std::string_view>& values);
// Ranks counted from where `value` would rank.
Selection SelectValueRelRank(const CdtElements& e, std::string_view value, int64_t rank,
                             std::optional<uint64_t> count);
// Maps: one key (a single pick), keys in [begin, end), a key list, indices counted from where
// `key` would be.
Selection SelectKey(const CdtElements& e, std::string_view key);
Selection SelectKeyInterval(const CdtElements& e, std::string_view begin,
                            std::optional<std::string_view> end);
Selection SelectKeyList(const CdtElements& e, const std::vector<std::string_view>& keys);
Selection SelectKeyRelIndex(const CdtElements& e, std::string_view key, int64_t index,
                            std::optional<uint64_t> count);

// Applies the inverted flag of `return_type`: the complement, in index order.
absl::Status ApplyInversion(const CdtElements& e, uint64_t return_type, Selection* sel);

// The operation's answer for `return_type`; a null Value means nothing to answer.
absl::StatusOr<Value> BuildResult(const CdtElements& e, const Selection& sel, uint64_t return_type);

// The indices a removal keeps, ascending.
std::vector<uint32_t> KeptIndices(const CdtElements& e, const Selection& sel);

// Position arithmetic shared with the list operations: a negative index counts from the end;
// nullopt when it is still before the start.
std::optional<int64_t> ResolveIndex(int64_t index, uint32_t size);

// What a get-by / remove-by op picks by. Its arguments follow the return type: [rt, index or
// rank (, count)], [rt, value], [rt, value or key list], [rt, begin (, end)], [rt, value or
// key, relative rank or index (, count)].
enum class PickBy {
  kIndex,
  kIndexRange,
  kRank,
  kRankRange,
  kValue,
  kAllByValue,
  kValueList,
  kValueInterval,
  kValueRelRank,
  kKey,
  kKeyList,
  kKeyInterval,
  kKeyRelIndex,
};

// Runs a get-by / remove-by op on `e`: picks, applies the inverted flag and answers for the
// return type; `*kept` receives the indices a remove keeps (ascending).
absl::StatusOr<Value> GetBy(const CdtElements& e, PickBy by, const CdtArgs& args,
                            std::vector<uint32_t>* kept);

// `current` plus (or minus) `delta` for list and map increments, with Aerospike's typing: the
// element's type wins (an integer grows by a double's integer part); no element takes the
// delta's type; a nil delta counts 1. Anything but numbers is a parameter error.
absl::StatusOr<std::string> AddToElement(std::optional<std::string_view> current,
                                         std::string_view delta, bool subtract);

}  // namespace tern::record
