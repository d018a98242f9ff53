#include "record/cdt_list.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "record/cdt_result.h"
#include "record/collection.h"
#include "record/packed_element.h"
#include "record/value_order.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

// List op codes (the server's names).
enum ListOp : uint64_t {
  kSetType = 0,
  kAppend = 1,
  kAppendItems = 2,
  kInsert = 3,
  kInsertItems = 4,
  kPop = 5,
  kPopRange = 6,
  kRemove = 7,
  kRemoveRange = 8,
  kSet = 9,
  kTrim = 10,
  kClear = 11,
  kIncrement = 12,
  kSort = 13,
  kSize = 16,
  kGet = 17,
  kGetRange = 18,
  kGetByIndex = 19,
  kGetByValue = 20,
  kGetByRank = 21,
  kGetAllByValue = 22,
  kGetByValueList = 23,
  kGetByIndexRange = 24,
  kGetByValueInterval = 25,
  kGetByRankRange = 26,
  kGetByValueRelRankRange = 27,
  kRemoveByIndex = 32,
  kRemoveByValueRelRankRange = 40,
};
// A remove-by op is its get-by op plus this.
constexpr uint64_t kRemoveByOffset = kRemoveByIndex - kGetByIndex;

// Write flags.
constexpr uint64_t kAddUnique = 0x01;
constexpr uint64_t kInsertBounded = 0x02;
constexpr uint64_t kNoFail = 0x04;
constexpr uint64_t kPartial = 0x08;

// Sort flags.
constexpr uint64_t kSortDescending = 0x01;
constexpr uint64_t kSortDropDuplicates = 0x02;

// Persist-index (0x10) asks the server to keep an offset index; Tern keeps none, so only the
// order bit is stored.
constexpr uint64_t kPersistIndex = 0x10;

absl::Status Error(ResultCode code, std::string_view what) { return MakeError(code, what); }

struct List {
  uint8_t flags = 0;
  std::vector<std::string_view> items;
  std::deque<std::string> owned;  // bytes items point into besides the bin and arguments

  bool ordered() const { return flags & kListOrdered; }
  uint32_t size() const { return static_cast<uint32_t>(items.size()); }
};

absl::StatusOr<List> Parse(std::string_view bytes) {
  std::optional<PackedContainer> c = SplitContainer(bytes);
  if (!c || c->map) return Error(ResultCode::kBinIncompatibleType, "not a list");
  List l;
  l.flags = c->flags;
  l.items = std::move(c->elements);
  return l;
}

std::string Build(const List& l) { return JoinContainer(false, l.flags & kListOrdered, l.items); }

bool Less(std::string_view a, std::string_view b) { return CompareElements(a, b) < 0; }

void SortItems(List* l) { std::stable_sort(l->items.begin(), l->items.end(), Less); }

bool Contains(const List& l, std::string_view v) {
  return std::any_of(l.items.begin(), l.items.end(),
                     [&](std::string_view e) { return CompareElements(e, v) == 0; });
}

// Where `v` goes in an ordered list: after the elements equal to it.
uint32_t UpperBound(const List& l, std::string_view v) {
  return static_cast<uint32_t>(std::upper_bound(l.items.begin(), l.items.end(), v, Less) -
                               l.items.begin());
}

// The outcome of a write flag refusing an element: no-fail turns it into a no-op.
absl::Status Refused(uint64_t mod, ResultCode code, std::string_view what) {
  return (mod & kNoFail) ? absl::OkStatus() : Error(code, what);
}

// Inserts `values` at `index` (past the end pads with nils), applying the write flags. Answers
// the new size (the old size when the flags made it a no-op).
absl::StatusOr<Value> Insert(List* l, int64_t index, const std::vector<std::string_view>& values,
                             uint64_t mod) {
  const uint32_t n = l->size();
  if (values.empty()) return Value::Integer(n);
  std::optional<int64_t> at = ResolveIndex(index, n);
  if (!at || *at > INT32_MAX) return Error(ResultCode::kOpNotApplicable, "index out of bounds");
  if ((mod & kInsertBounded) && *at > n) {
    absl::Status s = Refused(mod, ResultCode::kOpNotApplicable, "index beyond the list's end");
    if (!s.ok()) return s;
    return Value::Integer(n);
  }
  std::vector<std::string_view> add;
  if (mod & kAddUnique) {
    for (size_t i = 0; i < values.size(); ++i) {
      const bool repeated =
          std::any_of(values.begin(), values.begin() + i,
                      [&](std::string_view v) { return CompareElements(v, values[i]) == 0; });
      if (Contains(*l, values[i]) || repeated) {
        if (mod & kPartial) continue;
        absl::Status s =
            Refused(mod, repeated ? ResultCode::kOpNotApplicable : ResultCode::kElementExists,
                    "element already in the list");
        if (!s.ok()) return s;
        return Value::Integer(n);
      }
      add.push_back(values[i]);
    }
    if (add.empty()) {
      absl::Status s =
          Refused(mod, ResultCode::kElementExists, "every element already in the list");
      if (!s.ok()) return s;
      return Value::Integer(n);
    }
  } else {
    add = values;
  }
  if (*at > n) {
    l->owned.push_back(PackNil());
    l->items.insert(l->items.end(), *at - n, l->owned.back());
  }
  l->items.insert(l->items.begin() + *at, add.begin(), add.end());
  return Value::Integer(l->size());
}

// Adds to an ordered list, each value at its sorted place.
absl::StatusOr<Value> AddOrdered(List* l, std::vector<std::string_view> values, uint64_t mod) {
  const uint32_t n = l->size();
  if (values.empty()) return Value::Integer(n);
  std::stable_sort(values.begin(), values.end(), Less);
  std::vector<std::string_view> add;
  for (size_t i = 0; i < values.size(); ++i) {
    if (mod & kAddUnique) {
      const bool repeated = i > 0 && CompareElements(values[i - 1], values[i]) == 0;
      if (repeated || Contains(*l, values[i])) {
        if (mod & kPartial) continue;
        absl::Status s =
            Refused(mod, repeated ? ResultCode::kOpNotApplicable : ResultCode::kElementExists,
                    "element already in the list");
        if (!s.ok()) return s;
        return Value::Integer(n);
      }
    }
    add.push_back(values[i]);
  }
  if (add.empty()) {
    absl::Status s = Refused(mod, ResultCode::kElementExists, "every element already in the list");
    if (!s.ok()) return s;
    return Value::Integer(n);
  }
  for (std::string_view v : add) l->items.insert(l->items.begin() + UpperBound(*l, v), v);
  return Value::Integer(l->size());
}

// Replaces the element at `index` of an unordered list (past the end inserts there).
absl::Status SetAt(List* l, int64_t index, std::string_view value, uint64_t mod) {
  const uint32_t n = l->size();
  if (index >= static_cast<int64_t>(n)) return Insert(l, index, {value}, mod).status();
  std::optional<int64_t> at = ResolveIndex(index, n);
  if (!at) return Error(ResultCode::kOpNotApplicable, "index out of bounds");
  if (mod & kAddUnique) {
    for (uint32_t i = 0; i < n; ++i) {
      if (i != *at && CompareElements(l->items[i], value) == 0) {
        return Refused(mod, ResultCode::kElementExists, "element already in the list");
      }
    }
  }
  l->items[*at] = value;
  return absl::OkStatus();
}

absl::StatusOr<Value> Increment(List* l, const CdtArgs& args) {
  if (absl::Status s = args.Count(1, 4); !s.ok()) return s;
  absl::StatusOr<int64_t> index = args.Int(0);
  if (!index.ok()) return index.status();
  const std::string_view delta = args.size() > 1 ? args.Value(1) : std::string_view("\xc0", 1);
  absl::StatusOr<std::optional<uint64_t>> mod = args.OptionalUint(3);
  if (!mod.ok()) return mod.status();
  const uint64_t flags = mod->value_or(0);
  std::optional<int64_t> at = ResolveIndex(*index, l->size());
  if (!at || *at > INT32_MAX) return Error(ResultCode::kOpNotApplicable, "index out of bounds");
  std::optional<std::string_view> current;
  if (*at < l->size()) current = l->items[*at];
  absl::StatusOr<std::string> next = AddToElement(current, delta, /*subtract=*/false);
  if (!next.ok()) return next.status();
  l->owned.push_back(*std::move(next));
  std::string_view value = l->owned.back();
  absl::StatusOr<Value> result = UnpackValue(value);
  if (!result.ok()) return result.status();
  if (!l->ordered()) {
    if (absl::Status s = SetAt(l, *at, value, flags); !s.ok()) return s;
    return result;
  }
  // Ordered: the element moves to its new place; add-unique checks the others.
  std::vector<std::string_view> others = l->items;
  if (*at < l->size()) others.erase(others.begin() + *at);
  if (flags & kAddUnique) {
    for (std::string_view e : others) {
      if (CompareElements(e, value) == 0) {
        absl::Status s = Refused(flags, ResultCode::kElementExists, "element already in the list");
        if (!s.ok()) return s;
        return result;
      }
    }
  }
  others.push_back(value);
  l->items = std::move(others);
  SortItems(l);
  return result;
}

void SortList(List* l, uint64_t flags) {
  if (!l->ordered()) {
    if (flags & kSortDescending) {
      std::stable_sort(l->items.begin(), l->items.end(),
                       [](std::string_view a, std::string_view b) { return Less(b, a); });
    } else {
      SortItems(l);
    }
  }
  if (flags & kSortDropDuplicates) {
    auto same = [](std::string_view a, std::string_view b) { return CompareElements(a, b) == 0; };
    l->items.erase(std::unique(l->items.begin(), l->items.end(), same), l->items.end());
  }
}

// The get-by / remove-by family, by its get op code; removes drop the picks.
absl::StatusOr<Value> GetOrRemove(List* l, uint64_t op, const CdtArgs& args, bool remove) {
  PickBy by;
  switch (op) {
    case kGetByIndex:
      by = PickBy::kIndex;
      break;
    case kGetByValue:
      by = PickBy::kValue;
      break;
    case kGetByRank:
      by = PickBy::kRank;
      break;
    case kGetAllByValue:
      by = PickBy::kAllByValue;
      break;
    case kGetByValueList:
      by = PickBy::kValueList;
      break;
    case kGetByIndexRange:
      by = PickBy::kIndexRange;
      break;
    case kGetByValueInterval:
      by = PickBy::kValueInterval;
      break;
    case kGetByRankRange:
      by = PickBy::kRankRange;
      break;
    case kGetByValueRelRankRange:
      by = PickBy::kValueRelRank;
      break;
    default:
      return Error(ResultCode::kParameterError, absl::StrCat("unknown list operation ", op));
  }
  CdtElements e;
  e.values = l->items;
  e.heap_rank_order = !l->ordered();
  std::vector<uint32_t> kept;
  absl::StatusOr<Value> result = GetBy(e, by, args, &kept);
  if (result.ok() && remove) {
    std::vector<std::string_view> items;
    for (uint32_t i : kept) items.push_back(l->items[i]);
    l->items = std::move(items);
  }
  return result;
}

// Pop, remove and trim: positional removes with a fixed return type.
absl::StatusOr<Value> RemoveByPosition(List* l, uint64_t op, const CdtArgs& args) {
  const bool range = op == kPopRange || op == kRemoveRange || op == kTrim;
  if (absl::Status s = args.Count(op == kTrim ? 2 : 1, range ? 2 : 1); !s.ok()) return s;
  absl::StatusOr<int64_t> index = args.Int(0);
  if (!index.ok()) return index.status();
  absl::StatusOr<std::optional<uint64_t>> count =
      range ? args.OptionalUint(1) : absl::StatusOr<std::optional<uint64_t>>(uint64_t{1});
  if (!count.ok()) return count.status();
  CdtElements e;
  e.values = l->items;
  absl::StatusOr<Selection> sel = SelectIndexRange(e, *index, *count, range);
  if (!sel.ok()) return sel.status();
  uint64_t rt = static_cast<uint64_t>((op == kPop || op == kPopRange) ? ReturnType::kValue
                                                                      : ReturnType::kCount);
  if (op == kTrim) rt |= kInvertedFlag;  // trim keeps the range and removes the rest
  if (absl::Status s = ApplyInversion(e, rt, &*sel); !s.ok()) return s;
  absl::StatusOr<Value> result = BuildResult(e, *sel, rt);
  if (!result.ok()) return result.status();
  std::vector<std::string_view> kept;
  for (uint32_t i : KeptIndices(e, *sel)) kept.push_back(l->items[i]);
  l->items = std::move(kept);
  return result;
}

absl::StatusOr<Value> Modify(List* l, uint64_t op, const CdtArgs& args) {
  switch (op) {
    case kSetType: {
      if (absl::Status s = args.Count(1, 1); !s.ok()) return s;
      absl::StatusOr<int64_t> flags = args.Int(0);
      if (!flags.ok()) return flags.status();
      if (*flags & ~static_cast<int64_t>(kListOrdered | kPersistIndex)) {
        return Error(ResultCode::kOpNotApplicable, "invalid list flags");
      }
      const bool was_ordered = l->ordered();
      l->flags = static_cast<uint8_t>(*flags & kListOrdered);
      if (l->ordered() && !was_ordered) SortItems(l);
      return Value();
    }
    case kAppend:
    case kAppendItems: {
      if (absl::Status s = args.Count(1, 3); !s.ok()) return s;
      absl::StatusOr<std::optional<uint64_t>> mod = args.OptionalUint(2);
      if (!mod.ok()) return mod.status();
      std::vector<std::string_view> values;
      if (op == kAppend) {
        absl::StatusOr<std::string_view> v = args.Storable(0);
        if (!v.ok()) return v.status();
        values.push_back(*v);
      } else {
        absl::StatusOr<std::string_view> v = args.Storable(0);
        absl::StatusOr<std::vector<std::string_view>> items =
            v.ok() ? args.List(0) : absl::StatusOr<std::vector<std::string_view>>(v.status());
        if (!items.ok()) return items.status();
        values = *std::move(items);
      }
      if (l->ordered()) return AddOrdered(l, std::move(values), mod->value_or(0));
      return Insert(l, l->size(), values, mod->value_or(0));
    }
    case kInsert:
    case kInsertItems: {
      if (absl::Status s = args.Count(2, 3); !s.ok()) return s;
      absl::StatusOr<int64_t> index = args.Int(0);
      if (!index.ok()) return index.status();
      absl::StatusOr<std::optional<uint64_t>> mod = args.OptionalUint(2);
      if (!mod.ok()) return mod.status();
      absl::StatusOr<std::string_view> v = args.Storable(1);
      if (!v.ok()) return v.status();
      std::vector<std::string_view> values{*v};
      if (op == kInsertItems) {
        absl::StatusOr<std::vector<std::string_view>> items = args.List(1);
        if (!items.ok()) return items.status();
        values = *std::move(items);
      }
      if (l->ordered()) return Error(ResultCode::kOpNotApplicable, "insert into an ordered list");
      return Insert(l, *index, values, mod->value_or(0));
    }
    case kSet: {
      if (absl::Status s = args.Count(2, 3); !s.ok()) return s;
      absl::StatusOr<int64_t> index = args.Int(0);
      if (!index.ok()) return index.status();
      absl::StatusOr<std::string_view> v = args.Storable(1);
      if (!v.ok()) return v.status();
      absl::StatusOr<std::optional<uint64_t>> mod = args.OptionalUint(2);
      if (!mod.ok()) return mod.status();
      if (l->ordered()) return Error(ResultCode::kOpNotApplicable, "set in an ordered list");
      if (absl::Status s = SetAt(l, *index, *v, mod->value_or(0)); !s.ok()) return s;
      return Value();
    }
    case kClear:
      if (absl::Status s = args.Count(0, 0); !s.ok()) return s;
      l->items.clear();
      return Value();
    case kIncrement:
      return Increment(l, args);
    case kSort: {
      if (absl::Status s = args.Count(0, 1); !s.ok()) return s;
      absl::StatusOr<std::optional<uint64_t>> flags = args.OptionalUint(0);
      if (!flags.ok()) return flags.status();
      SortList(l, flags->value_or(0));
      return Value();
    }
    case kPop:
    case kPopRange:
    case kRemove:
    case kRemoveRange:
    case kTrim:
      return RemoveByPosition(l, op, args);
    default:
      if (op >= kRemoveByIndex && op <= kRemoveByValueRelRankRange) {
        return GetOrRemove(l, op - kRemoveByOffset, args, /*remove=*/true);
      }
      return Error(ResultCode::kParameterError, absl::StrCat("unknown list operation ", op));
  }
}

}  // namespace

bool IsListModifyOp(uint64_t op) {
  return op <= kSort || (op >= kRemoveByIndex && op <= kRemoveByValueRelRankRange);
}

std::string EmptyList(uint8_t flags) {
  List l;
  l.flags = flags;
  return Build(l);
}

absl::StatusOr<Value> ApplyListOp(uint64_t op, const CdtArgs& args, std::string* bytes) {
  const bool modify = IsListModifyOp(op);
  if (bytes->empty()) {
    // No list yet: reads answer nothing; removes have nothing to remove; the rest create one.
    if (!modify) return Value();
    switch (op) {
      case kPop:
      case kPopRange:
      case kRemove:
      case kRemoveRange:
      case kTrim:
      case kClear:
        return Value();
      case kSort:
        return Error(ResultCode::kBinIncompatibleType, "sort of a list that does not exist");
      default:
        if (op >= kRemoveByIndex) return Value();
    }
    uint8_t create = 0;
    if (op == kAppend || op == kAppendItems || op == kIncrement) {
      // The list order for a list these create (append: argument 2, increment: 3).
      absl::StatusOr<std::optional<uint64_t>> order = args.OptionalUint(op == kIncrement ? 2 : 1);
      if (!order.ok()) return order.status();
      create = static_cast<uint8_t>(order->value_or(0) & kListOrdered);
    }
    *bytes = EmptyList(create);
  }
  absl::StatusOr<List> list = Parse(*bytes);
  if (!list.ok()) return list.status();
  if (!modify) {
    if (op == kSize) {
      if (absl::Status s = args.Count(0, 0); !s.ok()) return s;
      return Value::Integer(list->size());
    }
    if (op == kGet || op == kGetRange) {
      const bool range = op == kGetRange;
      if (absl::Status s = args.Count(1, range ? 2 : 1); !s.ok()) return s;
      absl::StatusOr<int64_t> index = args.Int(0);
      if (!index.ok()) return index.status();
      absl::StatusOr<std::optional<uint64_t>> count =
          range ? args.OptionalUint(1) : absl::StatusOr<std::optional<uint64_t>>(uint64_t{1});
      if (!count.ok()) return count.status();
      CdtElements e;
      e.values = list->items;
      absl::StatusOr<Selection> sel = SelectIndexRange(e, *index, *count, range);
      if (!sel.ok()) return sel.status();
      return BuildResult(e, *sel, static_cast<uint64_t>(ReturnType::kValue));
    }
    if (op >= kGetByIndex && op <= kGetByValueRelRankRange) {
      return GetOrRemove(&*list, op, args, /*remove=*/false);
    }
    return Error(ResultCode::kParameterError, absl::StrCat("unknown list operation ", op));
  }
  absl::StatusOr<Value> result = Modify(&*list, op, args);
  if (!result.ok()) return result.status();
  *bytes = Build(*list);
  return result;
}

}  // namespace tern::record
