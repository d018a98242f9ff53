#include "record/cdt_map.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>
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

// Map op codes (the server's names).
enum MapOp : uint64_t {
  kSetType = 64,
  kAdd = 65,
  kAddItems = 66,
  kPut = 67,
  kPutItems = 68,
  kReplace = 69,
  kReplaceItems = 70,
  kIncrement = 73,
  kDecrement = 74,
  kClear = 75,
  kRemoveByKey = 76,
  kRemoveByIndex = 77,
  kRemoveByValue = 78,
  kRemoveByRank = 79,
  kRemoveByKeyList = 81,
  kRemoveAllByValue = 82,
  kRemoveByValueList = 83,
  kRemoveByKeyInterval = 84,
  kRemoveByIndexRange = 85,
  kRemoveByValueInterval = 86,
  kRemoveByRankRange = 87,
  kRemoveByKeyRelIndexRange = 88,
  kRemoveByValueRelRankRange = 89,
  kSize = 96,
  kGetByKey = 97,
  kGetByIndex = 98,
  kGetByValue = 99,
  kGetByRank = 100,
  kGetAllByValue = 102,
  kGetByKeyInterval = 103,
  kGetByIndexRange = 104,
  kGetByValueInterval = 105,
  kGetByRankRange = 106,
  kGetByKeyList = 107,
  kGetByValueList = 108,
  kGetByKeyRelIndexRange = 109,
  kGetByValueRelRankRange = 110,
};

// Write flags.
constexpr uint64_t kNoOverwrite = 0x01;  // create only
constexpr uint64_t kNoCreate = 0x02;     // update only
constexpr uint64_t kNoFail = 0x04;
constexpr uint64_t kPartial = 0x08;

// Order flags a map may carry (persist-index, 0x10, is accepted and not kept: Tern keeps no
// index to persist).
constexpr uint64_t kOrderMask = kMapKeyValueOrdered;
constexpr uint64_t kPersistIndex = 0x10;

absl::Status Error(ResultCode code, std::string_view what) { return MakeError(code, what); }

using Entry = std::pair<std::string_view, std::string_view>;

// Entries are kept in key order: that is a map's index order, and Tern writes every map it
// changes that way (ordered or not), as Aerospike 8 does.
struct Map {
  uint8_t flags = 0;
  std::vector<Entry> entries;
  std::deque<std::string> owned;  // bytes entries point into besides the bin and arguments

  uint32_t size() const { return static_cast<uint32_t>(entries.size()); }
};

bool KeyLess(const Entry& a, const Entry& b) { return CompareElements(a.first, b.first) < 0; }

absl::StatusOr<Map> Parse(std::string_view bytes) {
  std::optional<PackedContainer> c = SplitContainer(bytes);
  if (!c || !c->map) return Error(ResultCode::kBinIncompatibleType, "not a map");
  Map m;
  m.flags = c->flags & kOrderMask;
  for (size_t i = 0; i + 1 < c->elements.size(); i += 2) {
    m.entries.emplace_back(c->elements[i], c->elements[i + 1]);
  }
  std::stable_sort(m.entries.begin(), m.entries.end(), KeyLess);
  return m;
}

std::string Build(const Map& m) {
  std::vector<std::string_view> elements;
  elements.reserve(m.entries.size() * 2);
  for (const auto& [k, v] : m.entries) {
    elements.push_back(k);
    elements.push_back(v);
  }
  return JoinContainer(true, m.flags, elements);
}

// The index of `key`, or where it would go (and false).
std::pair<uint32_t, bool> Find(const Map& m, std::string_view key) {
  auto it = std::lower_bound(m.entries.begin(), m.entries.end(), Entry{key, {}}, KeyLess);
  const uint32_t at = static_cast<uint32_t>(it - m.entries.begin());
  return {at, it != m.entries.end() && CompareElements(it->first, key) == 0};
}

absl::Status CheckKey(std::string_view key) {
  if (!IsMapKey(key)) {
    return Error(ResultCode::kParameterError, "map keys are integers, strings or blobs");
  }
  return absl::OkStatus();
}

struct PutRules {
  bool overwrite = true;
  bool create = true;
  bool no_fail = false;
  bool partial = false;
};

PutRules RulesOf(uint64_t op, uint64_t mod) {
  switch (op) {
    case kAdd:
    case kAddItems:
      return {false, true, false, false};
    case kReplace:
    case kReplaceItems:
      return {true, false, false, false};
    default:
      return {(mod & kNoOverwrite) == 0, (mod & kNoCreate) == 0, (mod & kNoFail) != 0,
              (mod & kPartial) != 0};
  }
}

// Puts each (key, value) under `rules`: an entry the rules refuse fails the operation, or with
// no-fail makes it a no-op, or with partial as well is skipped. Answers the map's size.
absl::StatusOr<Value> Put(Map* m, std::vector<Entry> items, const PutRules& rules) {
  std::stable_sort(items.begin(), items.end(), KeyLess);
  std::vector<Entry> accepted;
  for (const Entry& item : items) {
    if (absl::Status s = CheckKey(item.first); !s.ok()) return s;
    const bool exists = Find(*m, item.first).second;
    std::optional<ResultCode> refused;
    if (exists && !rules.overwrite) refused = ResultCode::kElementExists;
    if (!exists && !rules.create) refused = ResultCode::kElementNotFound;
    if (!refused) {
      accepted.push_back(item);
      continue;
    }
    if (!rules.no_fail) return Error(*refused, "the map write flags refuse this key");
    if (!rules.partial) return Value::Integer(m->size());
  }
  for (const Entry& item : accepted) {
    auto [at, found] = Find(*m, item.first);
    if (found) {
      m->entries[at].second = item.second;
    } else {
      m->entries.insert(m->entries.begin() + at, item);
    }
  }
  return Value::Integer(m->size());
}

absl::StatusOr<Value> Increment(Map* m, const CdtArgs& args, bool subtract) {
  if (absl::Status s = args.Count(1, 3); !s.ok()) return s;
  const std::string_view key = args.Value(0);
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  const std::string_view delta = args.size() > 1 ? args.Value(1) : std::string_view("\xc0", 1);
  auto [at, found] = Find(*m, key);
  std::optional<std::string_view> current;
  if (found) current = m->entries[at].second;
  absl::StatusOr<std::string> next = AddToElement(current, delta, subtract);
  if (!next.ok()) return next.status();
  m->owned.push_back(*std::move(next));
  absl::StatusOr<Value> result = UnpackValue(m->owned.back());
  if (!result.ok()) return result.status();
  if (found) {
    m->entries[at].second = m->owned.back();
  } else {
    m->entries.insert(m->entries.begin() + at, Entry{key, m->owned.back()});
  }
  return result;
}

// What a get op code picks by.
std::optional<PickBy> PickOf(uint64_t get_op) {
  switch (get_op) {
    case kGetByKey:
      return PickBy::kKey;
    case kGetByIndex:
      return PickBy::kIndex;
    case kGetByValue:
      return PickBy::kValue;
    case kGetByRank:
      return PickBy::kRank;
    case kGetAllByValue:
      return PickBy::kAllByValue;
    case kGetByKeyInterval:
      return PickBy::kKeyInterval;
    case kGetByIndexRange:
      return PickBy::kIndexRange;
    case kGetByValueInterval:
      return PickBy::kValueInterval;
    case kGetByRankRange:
      return PickBy::kRankRange;
    case kGetByKeyList:
      return PickBy::kKeyList;
    case kGetByValueList:
      return PickBy::kValueList;
    case kGetByKeyRelIndexRange:
      return PickBy::kKeyRelIndex;
    case kGetByValueRelRankRange:
      return PickBy::kValueRelRank;
    default:
      return std::nullopt;
  }
}

// The get-by / remove-by family, by its get op code; removes drop the picks.
absl::StatusOr<Value> GetOrRemove(Map* m, uint64_t op, const CdtArgs& args, bool remove) {
  std::optional<PickBy> by = PickOf(op);
  if (!by) return Error(ResultCode::kParameterError, absl::StrCat("unknown map operation ", op));
  CdtElements e;
  e.is_map = true;
  for (const auto& [k, v] : m->entries) {
    e.keys.push_back(k);
    e.values.push_back(v);
  }
  std::vector<uint32_t> kept;
  absl::StatusOr<Value> result = GetBy(e, *by, args, &kept);
  if (result.ok() && remove) {
    std::vector<Entry> entries;
    for (uint32_t i : kept) entries.push_back(m->entries[i]);
    m->entries = std::move(entries);
  }
  return result;
}

// The get op code a remove op code mirrors.
std::optional<uint64_t> GetOpOf(uint64_t remove_op) {
  switch (remove_op) {
    case kRemoveByKey:
      return kGetByKey;
    case kRemoveByIndex:
      return kGetByIndex;
    case kRemoveByValue:
      return kGetByValue;
    case kRemoveByRank:
      return kGetByRank;
    case kRemoveByKeyList:
      return kGetByKeyList;
    case kRemoveAllByValue:
      return kGetAllByValue;
    case kRemoveByValueList:
      return kGetByValueList;
    case kRemoveByKeyInterval:
      return kGetByKeyInterval;
    case kRemoveByIndexRange:
      return kGetByIndexRange;
    case kRemoveByValueInterval:
      return kGetByValueInterval;
    case kRemoveByRankRange:
      return kGetByRankRange;
    case kRemoveByKeyRelIndexRange:
      return kGetByKeyRelIndexRange;
    case kRemoveByValueRelRankRange:
      return kGetByValueRelRankRange;
    default:
      return std::nullopt;
  }
}

// The map order argument of the ops that may create the map, by position.
std::optional<size_t> CreateOrderArg(uint64_t op) {
  switch (op) {
    case kAdd:
    case kPut:
    case kIncrement:
    case kDecrement:
      return 2;
    case kAddItems:
    case kPutItems:
      return 1;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<Value> Modify(Map* m, uint64_t op, const CdtArgs& args) {
  switch (op) {
    case kSetType: {
      if (absl::Status s = args.Count(1, 1); !s.ok()) return s;
      absl::StatusOr<int64_t> flags = args.Int(0);
      if (!flags.ok()) return flags.status();
      if ((*flags & ~static_cast<int64_t>(kOrderMask | kPersistIndex)) ||
          (*flags & kOrderMask) == 0x02) {
        return Error(ResultCode::kOpNotApplicable, "invalid map flags");
      }
      m->flags = static_cast<uint8_t>(*flags & kOrderMask);
      return Value();
    }
    case kAdd:
    case kPut:
    case kReplace: {
      if (absl::Status s = args.Count(2, op == kPut ? 4 : (op == kAdd ? 3 : 2)); !s.ok()) return s;
      absl::StatusOr<std::string_view> key = args.Storable(0);
      if (!key.ok()) return key.status();
      absl::StatusOr<std::string_view> value = args.Storable(1);
      if (!value.ok()) return value.status();
      absl::StatusOr<std::optional<uint64_t>> mod = args.OptionalUint(3);
      if (!mod.ok()) return mod.status();
      return Put(m, {Entry{*key, *value}}, RulesOf(op, mod->value_or(0)));
    }
    case kAddItems:
    case kPutItems:
    case kReplaceItems: {
      if (absl::Status s = args.Count(1, op == kPutItems ? 3 : (op == kAddItems ? 2 : 1));
          !s.ok()) {
        return s;
      }
      absl::StatusOr<std::vector<Entry>> items = args.Map(0);
      if (!items.ok()) return items.status();
      absl::StatusOr<std::optional<uint64_t>> mod = args.OptionalUint(2);
      if (!mod.ok()) return mod.status();
      return Put(m, *std::move(items), RulesOf(op, mod->value_or(0)));
    }
    case kIncrement:
    case kDecrement:
      return Increment(m, args, op == kDecrement);
    case kClear:
      if (absl::Status s = args.Count(0, 0); !s.ok()) return s;
      m->entries.clear();
      return Value();
    default:
      if (std::optional<uint64_t> get = GetOpOf(op)) {
        return GetOrRemove(m, *get, args, /*remove=*/true);
      }
      return Error(ResultCode::kParameterError, absl::StrCat("unknown map operation ", op));
  }
}

}  // namespace

bool IsMapModifyOp(uint64_t op) { return op >= kSetType && op < kSize; }

bool IsMapKey(std::string_view element) {
  ElementHead h;
  ElementReader r(element);
  if (!r.ReadHead(&h)) return false;
  return h.type == ElementType::kInt || h.type == ElementType::kString ||
         (h.type == ElementType::kBytes && !h.payload.empty() &&
          static_cast<ParticleType>(h.payload[0]) == ParticleType::kBlob);
}

std::string EmptyMap(uint8_t flags) {
  Map m;
  m.flags = flags & kOrderMask;
  return Build(m);
}

absl::StatusOr<Value> ApplyMapOp(uint64_t op, const CdtArgs& args, std::string* bytes) {
  const bool modify = IsMapModifyOp(op);
  if (bytes->empty()) {
    // No map yet: reads answer nothing, removes have nothing to remove, the rest create one.
    if (!modify || op == kClear || GetOpOf(op)) return Value();
    if (op == kReplace || op == kReplaceItems) {
      return Error(ResultCode::kElementNotFound, "replace in a map that does not exist");
    }
    uint8_t create = 0;
    if (std::optional<size_t> at = CreateOrderArg(op)) {
      absl::StatusOr<std::optional<uint64_t>> order = args.OptionalUint(*at);
      if (!order.ok()) return order.status();
      create = static_cast<uint8_t>(order->value_or(0) & kOrderMask);
      if (create == 0x02) create = 0;
    }
    *bytes = EmptyMap(create);
  }
  absl::StatusOr<Map> map = Parse(*bytes);
  if (!map.ok()) return map.status();
  if (!modify) {
    if (op == kSize) {
      if (absl::Status s = args.Count(0, 0); !s.ok()) return s;
      return Value::Integer(map->size());
    }
    return GetOrRemove(&*map, op, args, /*remove=*/false);
  }
  absl::StatusOr<Value> result = Modify(&*map, op, args);
  if (!result.ok()) return result.status();
  *bytes = Build(*map);
  return result;
}

}  // namespace tern::record
