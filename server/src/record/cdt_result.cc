#include "record/cdt_result.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "base/result_code.h"
#include "record/collection.h"
#include "record/packed_element.h"
#include "record/value_order.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

absl::Status NotApplicable(std::string_view what) {
  return MakeError(ResultCode::kOpNotApplicable, what);
}

// Aerospike's range arithmetic: an index (or rank) and count made absolute and clipped to
// `size`. False only for a single pick out of bounds.
bool ResolveRange(int64_t index, std::optional<uint64_t> count_in, uint32_t size, bool multi,
                  uint32_t* start, uint32_t* count) {
  const uint64_t want = count_in.value_or(UINT64_MAX);
  if (!multi) {
    std::optional<int64_t> i = ResolveIndex(index, size);
    if (!i || *i >= size) return false;
    *start = static_cast<uint32_t>(*i);
    *count = static_cast<uint32_t>(std::min<uint64_t>(want, size - *start));
    return true;
  }
  if (index >= static_cast<int64_t>(size)) {
    *start = size;
    *count = 0;
    return true;
  }
  int64_t i = index < 0 ? index + size : index;
  if (i < 0) {
    // Starts before the first element: what is left of the count starts at 0.
    const uint64_t before = static_cast<uint64_t>(-i);
    *start = 0;
    *count = want > before ? static_cast<uint32_t>(std::min<uint64_t>(want - before, size)) : 0;
    return true;
  }
  *start = static_cast<uint32_t>(i);
  *count = static_cast<uint32_t>(std::min<uint64_t>(want, size - *start));
  return true;
}

// How many of `items` sort below `v`.
uint32_t CountBelow(const std::vector<std::string_view>& items, std::string_view v) {
  uint32_t n = 0;
  for (std::string_view item : items) {
    if (CompareElements(item, v) < 0) ++n;
  }
  return n;
}

Value PackedList(const std::vector<std::string>& items) {
  std::string out;
  AppendArrayHeader(static_cast<uint32_t>(items.size()), &out);
  for (const std::string& i : items) out += i;
  return Value::List(std::move(out));
}

Value IntList(const std::vector<int64_t>& ints) {
  std::vector<std::string> items;
  items.reserve(ints.size());
  for (int64_t i : ints) items.push_back(PackInt(i));
  return PackedList(items);
}

absl::StatusOr<Value> Unpacked(std::string_view element) { return UnpackValue(element); }

}  // namespace

std::optional<int64_t> ResolveIndex(int64_t index, uint32_t size) {
  if (index >= 0) return index;
  const int64_t i = index + static_cast<int64_t>(size);
  if (i < 0) return std::nullopt;
  return i;
}

const std::vector<uint32_t>& CdtElements::ByRank() const {
  if (by_rank_.size() != values.size()) {
    by_rank_.resize(values.size());
    std::iota(by_rank_.begin(), by_rank_.end(), 0);
    std::stable_sort(by_rank_.begin(), by_rank_.end(), [this](uint32_t a, uint32_t b) {
      return CompareElements(values[a], values[b]) < 0;
    });
    rank_of_.assign(values.size(), 0);
    for (uint32_t r = 0; r < by_rank_.size(); ++r) rank_of_[by_rank_[r]] = r;
  }
  return by_rank_;
}

uint32_t CdtElements::RankOf(uint32_t index) const {
  ByRank();
  return rank_of_[index];
}

absl::StatusOr<Selection> SelectIndexRange(const CdtElements& e, int64_t index,
                                           std::optional<uint64_t> count, bool multi) {
  uint32_t start, n;
  if (!ResolveRange(index, count, e.size(), multi, &start, &n)) {
    return NotApplicable("index out of bounds");
  }
  Selection sel;
  sel.multi = multi;
  for (uint32_t i = 0; i < n; ++i) sel.indices.push_back(start + i);
  sel.index_range = {start, n};
  return sel;
}

namespace {

// Ranks [start, start + n) in the order the server's partial heap sort yields them: a binary
// heap over all indices (a min-heap when fewer elements lie below the range than above it,
// else a max-heap) is popped until the range is out, each popped index going to the next slot
// from the back; the range is then read front to back from where the heap ended.
std::vector<uint32_t> HeapRankOrder(const CdtElements& e, uint32_t start, uint32_t n) {
  const uint32_t size = e.size();
  const uint32_t tail = size - start - n;
  const bool min_heap = start <= tail;
  const uint32_t discard = min_heap ? start : tail;
  const int want = min_heap ? -1 : 1;
  auto cmp = [&](uint32_t a, uint32_t b) {
    const int c = CompareElements(e.values[a], e.values[b]);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  };
  std::vector<uint32_t> heap(size);
  for (uint32_t i = 0; i < size; ++i) heap[i] = i;
  uint32_t filled = size;
  auto heapify = [&](uint32_t i) {
    while (true) {
      const uint32_t c1 = 2 * i + 1, c2 = 2 * i + 2;
      if (c1 >= filled) break;
      uint32_t child = c1;
      if (c2 < filled) {
        const int c = cmp(heap[c1], heap[c2]);
        child = (c == want || c == 0) ? c1 : c2;
      }
      if (cmp(heap[child], heap[i]) != want) break;
      std::swap(heap[i], heap[child]);
      i = child;
    }
  };
  for (int64_t i = static_cast<int64_t>(filled) / 2 - 1; i >= 0; --i) {
    heapify(static_cast<uint32_t>(i));
  }
  uint32_t end = size - 1;
  for (uint32_t k = 0; k < n + discard; ++k) {
    const uint32_t top = heap[0];
    heap[0] = heap[--filled];
    heapify(0);
    heap[end--] = top;
  }
  return {heap.begin() + filled, heap.begin() + filled + n};
}

}  // namespace

absl::StatusOr<Selection> SelectRankRange(const CdtElements& e, int64_t rank,
                                          std::optional<uint64_t> count, bool multi) {
  uint32_t start, n;
  if (!ResolveRange(rank, count, e.size(), multi, &start, &n)) {
    return NotApplicable("rank out of bounds");
  }
  Selection sel;
  sel.multi = multi;
  sel.rank_order = true;
  const std::vector<uint32_t>& by_rank = e.ByRank();
  if (multi && e.heap_rank_order && n > 0) {
    sel.indices = HeapRankOrder(e, start, n);
  } else {
    for (uint32_t r = 0; r < n; ++r) sel.indices.push_back(by_rank[start + r]);
  }
  sel.rank_range = {start, n};
  return sel;
}

Selection SelectValue(const CdtElements& e, std::string_view value, bool multi) {
  Selection sel;
  sel.multi = multi;
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (CompareElements(e.values[i], value) == 0) {
      sel.indices.push_back(i);
      if (!multi) break;
    }
  }
  sel.rank_range = std::pair<uint32_t, uint32_t>{CountBelow(e.values, value),
                                                 static_cast<uint32_t>(sel.indices.size())};
  return sel;
}

Selection SelectValueInterval(const CdtElements& e, std::string_view begin,
                              std::optional<std::string_view> end) {
  Selection sel;
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (CompareElements(e.values[i], begin) >= 0 &&
        (!end || CompareElements(e.values[i], *end) < 0)) {
      sel.indices.push_back(i);
    }
  }
  sel.rank_range = std::pair<uint32_t, uint32_t>{CountBelow(e.values, begin),
                                                 static_cast<uint32_t>(sel.indices.size())};
  return sel;
}

Selection SelectValueList(const CdtElements& e, const std::vector<std::string_view>& values) {
  Selection sel;
  for (uint32_t i = 0; i < e.size(); ++i) {
    for (std::string_view v : values) {
      if (CompareElements(e.values[i], v) == 0) {
        sel.indices.push_back(i);
        break;
      }
    }
  }
  return sel;
}

Selection SelectValueRelRank(const CdtElements& e, std::string_view value, int64_t rank,
                             std::optional<uint64_t> count) {
  int64_t start = rank + CountBelow(e.values, value);
  if (start < 0) {
    // Clip at rank 0: the part of the count before it is lost.
    if (count) *count = *count > static_cast<uint64_t>(-start) ? *count + start : 0;
    start = 0;
  }
  return *SelectRankRange(e, start, count, /*multi=*/true);
}

Selection SelectKey(const CdtElements& e, std::string_view key) {
  Selection sel;
  sel.multi = false;
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (CompareElements(e.keys[i], key) == 0) {
      sel.indices.push_back(i);
      sel.index_range = {i, 1};
      return sel;
    }
  }
  sel.index_range = std::pair<uint32_t, uint32_t>{CountBelow(e.keys, key), 0};
  return sel;
}

Selection SelectKeyInterval(const CdtElements& e, std::string_view begin,
                            std::optional<std::string_view> end) {
  Selection sel;
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (CompareElements(e.keys[i], begin) >= 0 && (!end || CompareElements(e.keys[i], *end) < 0)) {
      sel.indices.push_back(i);
    }
  }
  // Keys are in index order, so the matches are one run.
  sel.index_range = std::pair<uint32_t, uint32_t>{
      sel.indices.empty() ? CountBelow(e.keys, begin) : sel.indices.front(),
      static_cast<uint32_t>(sel.indices.size())};
  return sel;
}

Selection SelectKeyList(const CdtElements& e, const std::vector<std::string_view>& keys) {
  Selection sel;
  for (uint32_t i = 0; i < e.size(); ++i) {
    for (std::string_view k : keys) {
      if (CompareElements(e.keys[i], k) == 0) {
        sel.indices.push_back(i);
        break;
      }
    }
  }
  return sel;
}

Selection SelectKeyRelIndex(const CdtElements& e, std::string_view key, int64_t index,
                            std::optional<uint64_t> count) {
  int64_t start = index + CountBelow(e.keys, key);
  if (start < 0) {
    if (count) *count = *count > static_cast<uint64_t>(-start) ? *count + start : 0;
    start = 0;
  }
  return *SelectIndexRange(e, start, count, /*multi=*/true);
}

absl::Status ApplyInversion(const CdtElements& e, uint64_t return_type, Selection* sel) {
  if ((return_type & kInvertedFlag) == 0) return absl::OkStatus();
  if (!sel->multi) return NotApplicable("the inverted flag needs a multi-element operation");
  switch (static_cast<ReturnType>(return_type & 0xffff)) {
    case ReturnType::kIndexRange:
    case ReturnType::kReverseIndexRange:
    case ReturnType::kRankRange:
    case ReturnType::kReverseRankRange:
      return NotApplicable("range return types cannot be inverted");
    default:
      break;
  }
  sel->indices = KeptIndices(e, *sel);
  sel->rank_order = false;
  sel->index_range.reset();
  sel->rank_range.reset();
  return absl::OkStatus();
}

std::vector<uint32_t> KeptIndices(const CdtElements& e, const Selection& sel) {
  std::vector<bool> picked(e.size(), false);
  for (uint32_t i : sel.indices) picked[i] = true;
  std::vector<uint32_t> kept;
  for (uint32_t i = 0; i < e.size(); ++i) {
    if (!picked[i]) kept.push_back(i);
  }
  return kept;
}

absl::StatusOr<Value> BuildResult(const CdtElements& e, const Selection& sel,
                                  uint64_t return_type) {
  const int64_t n = e.size();
  const std::vector<uint32_t>& picked = sel.indices;
  const auto type = static_cast<ReturnType>(return_type & 0xffff);
  switch (type) {
    case ReturnType::kNone:
      return Value();
    case ReturnType::kCount:
      return Value::Integer(static_cast<int64_t>(picked.size()));
    case ReturnType::kExists:
      return Value::Bool(!picked.empty());
    case ReturnType::kIndex:
    case ReturnType::kReverseIndex: {
      const bool rev = type == ReturnType::kReverseIndex;
      auto map = [&](uint32_t i) { return rev ? n - 1 - i : int64_t{i}; };
      if (!sel.multi) return Value::Integer(picked.empty() ? -1 : map(picked[0]));
      std::vector<int64_t> out;
      for (uint32_t i : picked) out.push_back(map(i));
      std::sort(out.begin(), out.end());
      return IntList(out);
    }
    case ReturnType::kRank:
    case ReturnType::kReverseRank: {
      const bool rev = type == ReturnType::kReverseRank;
      auto map = [&](uint32_t i) {
        const int64_t r = e.RankOf(i);
        return rev ? n - 1 - r : r;
      };
      if (!sel.multi) return Value::Integer(picked.empty() ? -1 : map(picked[0]));
      std::vector<int64_t> out;
      for (uint32_t i : picked) out.push_back(map(i));
      // Picks by position answer each element's rank in index order; the others ascending.
      if (!sel.index_range) std::sort(out.begin(), out.end());
      return IntList(out);
    }
    case ReturnType::kKey:
    case ReturnType::kValue: {
      if (type == ReturnType::kKey && !e.is_map) return NotApplicable("lists have no keys");
      const std::vector<std::string_view>& from = type == ReturnType::kKey ? e.keys : e.values;
      if (!sel.multi) return picked.empty() ? Value() : Unpacked(from[picked[0]]);
      std::vector<std::string> items;
      for (uint32_t i : picked) items.emplace_back(from[i]);
      return PackedList(items);
    }
    case ReturnType::kKeyValue:
    case ReturnType::kUnorderedMap:
    case ReturnType::kOrderedMap: {
      if (!e.is_map) return NotApplicable("map return types need a map");
      std::vector<uint32_t> order = picked;
      uint8_t flags = 0;
      if (type == ReturnType::kKeyValue) flags = 0x08;  // preserve order
      if (type == ReturnType::kOrderedMap) {
        flags = 0x01;
        std::sort(order.begin(), order.end());  // index order is key order
      }
      std::string out;
      AppendMapHeader(static_cast<uint32_t>(order.size() + (flags ? 1 : 0)), &out);
      if (flags) {
        AppendOrderExt(flags, &out);
        out += PackNil();
      }
      for (uint32_t i : order) {
        out += e.keys[i];
        out += e.values[i];
      }
      return Value::Map(std::move(out));
    }
    case ReturnType::kIndexRange:
    case ReturnType::kReverseIndexRange:
    case ReturnType::kRankRange:
    case ReturnType::kReverseRankRange: {
      const bool index = type == ReturnType::kIndexRange || type == ReturnType::kReverseIndexRange;
      const auto& range = index ? sel.index_range : sel.rank_range;
      if (!range) return NotApplicable("the selection is not one range");
      int64_t start = range->first;
      const int64_t count = range->second;
      if (type == ReturnType::kReverseIndexRange || type == ReturnType::kReverseRankRange) {
        start = n - start - count;
      }
      return IntList({start, count});
    }
  }
  return NotApplicable("unknown return type");
}

absl::StatusOr<Value> GetBy(const CdtElements& e, PickBy by, const CdtArgs& args,
                            std::vector<uint32_t>* kept) {
  if (args.size() == 0) return MakeError(ResultCode::kParameterError, "missing return type");
  absl::StatusOr<int64_t> rt_arg = args.Int(0);
  if (!rt_arg.ok()) return rt_arg.status();
  const uint64_t rt = static_cast<uint64_t>(*rt_arg);
  // Arguments after the return type: how many, and the optional trailing count.
  size_t min = 2, max = 2;
  switch (by) {
    case PickBy::kIndexRange:
    case PickBy::kRankRange:
    case PickBy::kValueInterval:
    case PickBy::kKeyInterval:
      max = 3;
      break;
    case PickBy::kValueRelRank:
    case PickBy::kKeyRelIndex:
      min = 3;
      max = 4;
      break;
    default:
      break;
  }
  if (absl::Status s = args.Count(min, max); !s.ok()) return s;
  std::optional<std::string_view> end;
  if (args.size() > 2) end = args.Value(2);
  absl::StatusOr<Selection> sel;
  switch (by) {
    case PickBy::kIndex:
    case PickBy::kIndexRange:
    case PickBy::kRank:
    case PickBy::kRankRange: {
      const bool range = by == PickBy::kIndexRange || by == PickBy::kRankRange;
      absl::StatusOr<int64_t> at = args.Int(1);
      if (!at.ok()) return at.status();
      absl::StatusOr<std::optional<uint64_t>> count =
          range ? args.OptionalUint(2) : absl::StatusOr<std::optional<uint64_t>>(uint64_t{1});
      if (!count.ok()) return count.status();
      sel = (by == PickBy::kIndex || by == PickBy::kIndexRange)
                ? SelectIndexRange(e, *at, *count, range)
                : SelectRankRange(e, *at, *count, range);
      break;
    }
    case PickBy::kValue:
    case PickBy::kAllByValue:
      sel = SelectValue(e, args.Value(1), by == PickBy::kAllByValue);
      break;
    case PickBy::kKey:
      sel = SelectKey(e, args.Value(1));
      break;
    case PickBy::kValueList:
    case PickBy::kKeyList: {
      absl::StatusOr<std::vector<std::string_view>> items = args.List(1);
      if (!items.ok()) return items.status();
      sel = by == PickBy::kKeyList ? SelectKeyList(e, *items) : SelectValueList(e, *items);
      break;
    }
    case PickBy::kValueInterval:
      sel = SelectValueInterval(e, args.Value(1), end);
      break;
    case PickBy::kKeyInterval:
      sel = SelectKeyInterval(e, args.Value(1), end);
      break;
    case PickBy::kValueRelRank:
    case PickBy::kKeyRelIndex: {
      absl::StatusOr<int64_t> rel = args.Int(2);
      if (!rel.ok()) return rel.status();
      absl::StatusOr<std::optional<uint64_t>> count = args.OptionalUint(3);
      if (!count.ok()) return count.status();
      sel = by == PickBy::kKeyRelIndex ? SelectKeyRelIndex(e, args.Value(1), *rel, *count)
                                       : SelectValueRelRank(e, args.Value(1), *rel, *count);
      break;
    }
  }
  if (!sel.ok()) return sel.status();
  if (absl::Status s = ApplyInversion(e, rt, &*sel); !s.ok()) return s;
  absl::StatusOr<Value> result = BuildResult(e, *sel, rt);
  if (result.ok()) *kept = KeptIndices(e, *sel);
  return result;
}

absl::StatusOr<std::string> AddToElement(std::optional<std::string_view> current,
                                         std::string_view delta, bool subtract) {
  ElementHead d;
  ElementReader dr(delta);
  if (!dr.ReadHead(&d) || (d.type != ElementType::kInt && d.type != ElementType::kDouble &&
                           d.type != ElementType::kNil)) {
    return MakeError(ResultCode::kParameterError, "increment takes an integer or a double");
  }
  const bool delta_double = d.type == ElementType::kDouble;
  int64_t di = d.type == ElementType::kNil ? 1 : (delta_double ? 0 : d.integer);
  double dd = d.type == ElementType::kNil ? 1 : (delta_double ? d.dbl : double(d.integer));
  if (subtract) {
    di = static_cast<int64_t>(0 - static_cast<uint64_t>(di));
    dd = -dd;
  }
  if (!current) {
    return delta_double ? PackDouble(dd) : PackInt(di);
  }
  ElementHead c;
  ElementReader cr(*current);
  if (!cr.ReadHead(&c)) return MakeError(ResultCode::kParameterError, "malformed element");
  if (c.type == ElementType::kInt) {
    const int64_t step = delta_double ? static_cast<int64_t>(d.dbl) : di;
    return PackInt(
        static_cast<int64_t>(static_cast<uint64_t>(c.integer) + static_cast<uint64_t>(step)));
  }
  if (c.type == ElementType::kDouble) return PackDouble(c.dbl + dd);
  return MakeError(ResultCode::kParameterError, "increment of an element that is not a number");
}

}  // namespace tern::record
