#include "record/cdt_context.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "record/cdt_list.h"
#include "record/cdt_map.h"
#include "record/cdt_result.h"
#include "record/collection.h"
#include "record/packed_element.h"
#include "record/value_order.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

// Context type bits: the low nibble says how to look the element up, 0x10 / 0x20 whether the
// level is a list or a map, 0x1c0 what to create when it is missing.
constexpr uint64_t kByIndex = 0x0;
constexpr uint64_t kByRank = 0x1;
constexpr uint64_t kByKey = 0x2;
constexpr uint64_t kByValue = 0x3;
constexpr uint64_t kBaseMask = 0x0f;
constexpr uint64_t kListLevel = 0x10;
constexpr uint64_t kMapLevel = 0x20;
constexpr uint64_t kCreateMask = 0x1c0;
constexpr uint64_t kCreatePersistIndex = 0x100;
// Create flags: for lists 0x40 unordered, 0x80 unordered and padded past the end, 0xc0 ordered;
// for maps 0x40 unordered, 0x80 key-ordered, 0xc0 key/value-ordered.
constexpr uint64_t kCreateUnbounded = 0x80;
constexpr uint64_t kCreateOrdered = 0xc0;

absl::Status NotApplicable(std::string_view what) {
  return MakeError(ResultCode::kOpNotApplicable, what);
}

uint64_t CreateFlags(const CtxItem& item) { return item.type & kCreateMask & ~kCreatePersistIndex; }

// The empty list or map a create step makes for the level it names.
std::string CreatedLevel(const CtxItem& item) {
  const uint64_t create = CreateFlags(item);
  if (item.type & kListLevel) return EmptyList(create == kCreateOrdered ? kListOrdered : 0);
  const uint8_t flags = create == kCreateOrdered     ? kMapKeyValueOrdered
                        : create == kCreateUnbounded ? kMapKeyOrdered
                                                     : 0;
  return EmptyMap(flags);
}

bool Less(std::string_view a, std::string_view b) { return CompareElements(a, b) < 0; }

// One level: where the step's element is in the container, or where a created one goes.
struct Found {
  size_t at = 0;  // element index (a map's: entry index into key, value pairs)
  bool exists = false;
  size_t pad = 0;  // nils to insert before a created list element
};

absl::StatusOr<Found> FindInList(const PackedContainer& c, const CtxItem& item, bool create) {
  const uint32_t n = static_cast<uint32_t>(c.elements.size());
  CdtElements e;
  e.values = c.elements;
  const bool ordered = c.flags & kListOrdered;
  switch (item.type & kBaseMask) {
    case kByIndex:
    case kByRank: {
      ElementReader r(item.value);
      std::optional<int64_t> i = r.NextInt();
      if (!i) return MakeError(ResultCode::kParameterError, "context index must be an integer");
      if ((item.type & kBaseMask) == kByRank && !ordered) {
        absl::StatusOr<Selection> sel = SelectRankRange(e, *i, 1, false);
        if (!sel.ok()) return sel.status();
        return Found{sel->indices[0], true, 0};
      }
      std::optional<int64_t> at = ResolveIndex(*i, n);
      if (at && *at < n) return Found{static_cast<size_t>(*at), true, 0};
      if (!create || (item.type & kBaseMask) != kByIndex) {
        return NotApplicable("context index out of bounds");
      }
      if ((n == 0 && *i == -1) || *i == n) return Found{n, false, 0};
      if (*i > static_cast<int64_t>(n)) {
        if (ordered) return Found{n, false, 0};
        if (CreateFlags(item) == kCreateUnbounded) {
          return Found{n, false, static_cast<size_t>(*i - n)};
        }
      }
      return NotApplicable("context index out of bounds");
    }
    case kByValue: {
      Selection sel = SelectValue(e, item.value, false);
      if (sel.indices.empty()) return NotApplicable("context value not in the list");
      return Found{sel.indices[0], true, 0};
    }
    default:
      return NotApplicable("context step does not apply to a list");
  }
}

absl::StatusOr<Found> FindInMap(const CdtElements& e, const CtxItem& item, bool create) {
  switch (item.type & kBaseMask) {
    case kByIndex:
    case kByRank: {
      ElementReader r(item.value);
      std::optional<int64_t> i = r.NextInt();
      if (!i) return MakeError(ResultCode::kParameterError, "context index must be an integer");
      absl::StatusOr<Selection> sel = (item.type & kBaseMask) == kByIndex
                                          ? SelectIndexRange(e, *i, 1, false)
                                          : SelectRankRange(e, *i, 1, false);
      if (!sel.ok()) return sel.status();
      return Found{sel->indices[0], true, 0};
    }
    case kByKey: {
      Selection sel = SelectKey(e, item.value);
      if (!sel.indices.empty()) return Found{sel.indices[0], true, 0};
      if (!create) return NotApplicable("context key not in the map");
      if (!IsMapKey(item.value)) {
        return MakeError(ResultCode::kParameterError, "map keys are integers, strings or blobs");
      }
      return Found{sel.index_range->first, false, 0};
    }
    case kByValue: {
      Selection sel = SelectValue(e, item.value, false);
      if (sel.indices.empty()) return NotApplicable("context value not in the map");
      return Found{sel.indices[0], true, 0};
    }
    default:
      return NotApplicable("context step does not apply to a map");
  }
}

absl::StatusOr<Value> Descend(std::string* node, const std::vector<CtxItem>& ctx, size_t level,
                              bool modify, bool placeholder,
                              absl::FunctionRef<absl::StatusOr<Value>(std::string*)> apply) {
  if (level == ctx.size()) return apply(node);
  const CtxItem& item = ctx[level];
  const uint64_t base = item.type & kBaseMask;
  const bool list_level = item.type & kListLevel;
  if (base > kByValue || list_level == bool(item.type & kMapLevel)) {
    return NotApplicable(absl::StrCat("unsupported context type 0x", absl::Hex(item.type)));
  }
  // A level created just now holds nothing yet: its step's element is created too.
  const bool created_here = node->empty();
  const bool create = modify && (CreateFlags(item) != 0 || created_here);
  if (created_here) {
    // A level that does not exist yet: only a list index or map key step can make it, with
    // create flags, or (below a created level) a map key or a list index 0 / -1.
    const bool creatable_step = list_level ? base == kByIndex : base == kByKey;
    bool allowed = modify && creatable_step && (CreateFlags(item) != 0 || placeholder);
    if (allowed && CreateFlags(item) == 0 && list_level) {
      ElementReader r(item.value);
      std::optional<int64_t> i = r.NextInt();
      allowed = i && (*i == 0 || *i == -1);
    }
    if (!allowed) return NotApplicable("context level does not exist");
    *node = CreatedLevel(item);
  }
  std::optional<PackedContainer> c = SplitContainer(*node);
  if (!c) return NotApplicable("context element is not a list or map");
  if (c->map == list_level) return NotApplicable("context step does not match the element type");

  std::vector<std::string_view> elements = c->elements;
  std::string child;
  Found found;
  CdtElements map_view;
  if (c->map) {
    // Maps are looked up in key order.
    std::vector<std::pair<std::string_view, std::string_view>> entries;
    for (size_t i = 0; i + 1 < elements.size(); i += 2) {
      entries.emplace_back(elements[i], elements[i + 1]);
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return Less(a.first, b.first); });
    map_view.is_map = true;
    elements.clear();
    for (const auto& [k, v] : entries) {
      map_view.keys.push_back(k);
      map_view.values.push_back(v);
      elements.push_back(k);
      elements.push_back(v);
    }
    absl::StatusOr<Found> f = FindInMap(map_view, item, create);
    if (!f.ok()) return f.status();
    found = *f;
    if (found.exists) child = std::string(map_view.values[found.at]);
  } else {
    absl::StatusOr<Found> f = FindInList(*c, item, create);
    if (!f.ok()) return f.status();
    found = *f;
    if (found.exists) child = std::string(elements[found.at]);
  }

  const std::string before = child;
  absl::StatusOr<Value> result = Descend(&child, ctx, level + 1, modify, !found.exists, apply);
  if (!result.ok() || !modify || child.empty() || (found.exists && child == before)) {
    return result;
  }
  // Write the changed element back into this level.
  const std::string nil = PackNil();
  if (c->map) {
    const size_t slot = 2 * found.at;
    if (found.exists) {
      elements[slot + 1] = child;
    } else {
      elements.insert(elements.begin() + slot, {item.value, child});
    }
  } else {
    if (found.exists) {
      elements[found.at] = child;
    } else {
      elements.insert(elements.end(), found.pad, nil);
      elements.push_back(child);
    }
    if (c->flags & kListOrdered) std::stable_sort(elements.begin(), elements.end(), Less);
  }
  *node = JoinContainer(
      c->map, c->map ? (c->flags & kMapKeyValueOrdered) : (c->flags & kListOrdered), elements);
  return result;
}

}  // namespace

absl::StatusOr<std::vector<CtxItem>> ParseContext(std::string_view packed) {
  ElementReader r(packed);
  ElementHead h;
  if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count == 0 || h.count % 2 != 0) {
    return MakeError(ResultCode::kParameterError, "context must be a list of type, value pairs");
  }
  std::vector<CtxItem> items;
  for (uint32_t i = 0; i < h.count; i += 2) {
    std::optional<int64_t> type = r.NextInt();
    std::optional<std::string_view> value = type ? r.Next() : std::nullopt;
    if (!value) return MakeError(ResultCode::kParameterError, "malformed context");
    items.push_back(CtxItem{static_cast<uint64_t>(*type), *value});
  }
  return items;
}

absl::StatusOr<std::optional<size_t>> FindContextElement(const PackedContainer& c,
                                                         const CtxItem& item) {
  const uint64_t kind = item.type & kBaseMask;
  const bool list_level = item.type & kListLevel;
  if (kind > kByValue || list_level == bool(item.type & kMapLevel) || c.map == list_level) {
    return std::nullopt;
  }
  absl::StatusOr<Found> f;
  if (c.map) {
    CdtElements view;
    view.is_map = true;
    for (size_t i = 0; i + 1 < c.elements.size(); i += 2) {
      view.keys.push_back(c.elements[i]);
      view.values.push_back(c.elements[i + 1]);
    }
    f = FindInMap(view, item, /*create=*/false);
  } else {
    f = FindInList(c, item, /*create=*/false);
  }
  if (!f.ok()) {
    if (base::ResultCodeOf(f.status()) == ResultCode::kOpNotApplicable) return std::nullopt;
    return f.status();
  }
  return f->at;
}

absl::StatusOr<Value> ApplyInContext(std::string* root, const std::vector<CtxItem>& ctx,
                                     bool modify,
                                     absl::FunctionRef<absl::StatusOr<Value>(std::string*)> apply) {
  return Descend(root, ctx, 0, modify, /*placeholder=*/false, apply);
}

}  // namespace tern::record
