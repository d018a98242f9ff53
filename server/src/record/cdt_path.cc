#include "record/cdt_path.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "record/cdt_context.h"
#include "record/cdt_list.h"
#include "record/cdt_map.h"
#include "record/collection.h"
#include "record/packed_element.h"
#include "record/value_order.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

// Path-only context types (the clients' AND_EXP and MAP_KEYS_IN; AS_CDT_CTX_EXP is in the
// header).
constexpr uint64_t kCtxAndFilter = 0x204;  // narrows what the step before it picked
constexpr uint64_t kCtxMapKeysIn = 0x2a;   // the map entries whose keys are in a list
constexpr uint64_t kCtxKindMask = 0x0f;    // index / rank / key / value
constexpr uint64_t kCtxListLevel = 0x10;
constexpr uint64_t kCtxMapLevel = 0x20;
constexpr uint64_t kCtxCreateMask = 0x1c0;  // create flags: paths create nothing
constexpr uint64_t kSelectModeMask = 0x3;

absl::Status Malformed(std::string_view what) {
  return MakeError(ResultCode::kParameterError, absl::StrCat("path operation: ", base::Absl(what)));
}

absl::Status NotApplicable(std::string_view what) {
  return MakeError(ResultCode::kOpNotApplicable,
                   absl::StrCat("path operation: ", base::Absl(what)));
}

// One list or map being visited; a map's entries in key order (its index order).
struct Level {
  PackedContainer c;

  size_t size() const { return c.map ? c.elements.size() / 2 : c.elements.size(); }
  std::string_view key(size_t i) const { return c.map ? c.elements[2 * i] : std::string_view(); }
  std::string_view value(size_t i) const { return c.map ? c.elements[2 * i + 1] : c.elements[i]; }
  uint8_t flags() const { return c.map ? c.flags & kMapKeyValueOrdered : c.flags & kListOrdered; }
};

std::optional<Level> Open(std::string_view element) {
  if (TypeOf(element) != ElementType::kList && TypeOf(element) != ElementType::kMap) {
    return std::nullopt;
  }
  std::optional<PackedContainer> c = SplitContainer(element);
  if (!c) return std::nullopt;
  if (c->map) {
    std::vector<std::pair<std::string_view, std::string_view>> entries;
    for (size_t i = 0; i + 1 < c->elements.size(); i += 2) {
      entries.emplace_back(c->elements[i], c->elements[i + 1]);
    }
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return CompareElements(a.first, b.first) < 0;
    });
    c->elements.clear();
    for (const auto& [k, v] : entries) {
      c->elements.push_back(k);
      c->elements.push_back(v);
    }
  }
  return Level{*std::move(c)};
}

// An element as loop variables see it, and an evaluation context pointing at them.
class LoopScope {
 public:
  explicit LoopScope(const ExpRecord& rec) : rec_(rec) { rec_.loop = &vars_; }
  LoopScope(const LoopScope&) = delete;
  LoopScope& operator=(const LoopScope&) = delete;

  // Points the loop variables at the element `value` (with `key` in a map) at `index`.
  absl::Status Enter(std::string_view key, std::string_view value, size_t index) {
    absl::StatusOr<Value> v = UnpackValue(value);
    if (!v.ok()) return Malformed("stored element does not decode");
    value_ = *std::move(v);
    vars_.key = nullptr;
    if (!key.empty()) {
      absl::StatusOr<Value> k = UnpackValue(key);
      if (!k.ok()) return Malformed("stored map key does not decode");
      key_ = *std::move(k);
      vars_.key = &key_;
    }
    vars_.value = &value_;
    vars_.index = static_cast<int64_t>(index);
    vars_.remove = false;
    return absl::OkStatus();
  }

  const ExpRecord& rec() const { return rec_; }
  const PathLoopVars& vars() const { return vars_; }

 private:
  Value key_, value_;
  PathLoopVars vars_;
  ExpRecord rec_;
};

}  // namespace

struct CdtPath::Step {
  CtxItem item;
  std::shared_ptr<const Expression> filter;      // kCtxChildren; null: every child
  std::shared_ptr<const Expression> and_filter;  // a following kCtxAndFilter, folded in
  std::vector<std::string_view> keys;            // kCtxMapKeysIn
};

namespace {

absl::StatusOr<std::shared_ptr<const Expression>> DecodeFilter(std::string_view packed) {
  absl::StatusOr<std::shared_ptr<const Expression>> e = Expression::Decode(packed);
  if (!e.ok()) return e.status();
  const ExpType t = (*e)->type();
  if (t != ExpType::kBool && t != ExpType::kAuto) return Malformed("a filter must be boolean");
  return e;
}

absl::StatusOr<bool> Accepts(const Expression& filter, const Level& lv, size_t i,
                             const ExpRecord& rec) {
  LoopScope scope(rec);
  if (absl::Status s = scope.Enter(lv.key(i), lv.value(i), i); !s.ok()) return s;
  return filter.Matches(scope.rec());
}

// The children of `lv` one step picks, in index order; nullopt when the step does not fit
// the level's kind (a list step on a map, map keys on a list).
absl::StatusOr<std::optional<std::vector<size_t>>> Pick(const CdtPath::Step& st, const Level& lv,
                                                        const ExpRecord& rec) {
  std::vector<size_t> picked;
  const uint64_t type = st.item.type;
  if (type == kCtxChildren) {
    for (size_t i = 0; i < lv.size(); ++i) {
      if (st.filter) {
        absl::StatusOr<bool> ok = Accepts(*st.filter, lv, i, rec);
        if (!ok.ok()) return ok.status();
        if (!*ok) continue;
      }
      picked.push_back(i);
    }
  } else if (type == kCtxMapKeysIn) {
    if (!lv.c.map) return std::nullopt;
    for (size_t i = 0; i < lv.size(); ++i) {
      for (std::string_view k : st.keys) {
        if (CompareElements(lv.key(i), k) == 0) {
          picked.push_back(i);
          break;
        }
      }
    }
  } else {
    if (lv.c.map != bool(type & kCtxMapLevel)) return std::nullopt;
    absl::StatusOr<std::optional<size_t>> at = FindContextElement(lv.c, st.item);
    if (!at.ok()) return at.status();
    if (*at) picked.push_back(**at);
  }
  if (st.and_filter) {
    std::vector<size_t> kept;
    for (size_t i : picked) {
      absl::StatusOr<bool> ok = Accepts(*st.and_filter, lv, i, rec);
      if (!ok.ok()) return ok.status();
      if (*ok) kept.push_back(i);
    }
    picked = std::move(kept);
  }
  return picked;
}

// Walks the path from one step onwards below one element.
class Walker {
 public:
  Walker(const std::vector<CdtPath::Step>& steps, uint64_t flags, const Expression* modify,
         const ExpRecord& rec)
      : steps_(steps), flags_(flags), modify_(modify), rec_(rec) {}

  // Values / keys / key-value answers: appends what the path selects below `el`.
  absl::Status Collect(std::string_view el, std::string_view key, size_t step) {
    if (step == steps_.size()) {
      const uint64_t mode = flags_ & kSelectModeMask;
      const bool keys = mode == kPathMapKeys || mode == kPathMapKeyValues;
      if (keys && key.empty()) return absl::OkStatus();  // list elements have no key
      if (keys) out_.push_back(key);
      if (mode != kPathMapKeys) out_.push_back(el);
      return absl::OkStatus();
    }
    absl::StatusOr<std::optional<std::pair<Level, std::vector<size_t>>>> lv = Visit(el, step);
    if (!lv.ok()) return lv.status();
    if (!*lv) return absl::OkStatus();
    const auto& [level, picked] = **lv;
    for (size_t i : picked) {
      if (absl::Status s = Collect(level.value(i), level.key(i), step + 1); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Matching-tree answer: `el` cut down to the selected paths; nullopt when none passes.
  absl::StatusOr<std::optional<std::string>> Prune(std::string_view el, size_t step) {
    if (step == steps_.size()) return std::string(el);
    absl::StatusOr<std::optional<std::pair<Level, std::vector<size_t>>>> lv = Visit(el, step);
    if (!lv.ok()) return lv.status();
    if (!*lv) return std::nullopt;
    const auto& [level, picked] = **lv;
    std::vector<std::string> kept;
    kept.reserve(picked.size());  // `elements` points into it
    std::vector<std::string_view> elements;
    for (size_t i : picked) {
      absl::StatusOr<std::optional<std::string>> child = Prune(level.value(i), step + 1);
      if (!child.ok()) return child.status();
      if (!*child) continue;
      kept.push_back(**std::move(child));
      if (level.c.map) elements.push_back(level.key(i));
      elements.push_back(kept.back());
    }
    if (elements.empty()) return std::nullopt;
    return JoinContainer(level.c.map, level.flags(), elements);
  }

  // Apply: `el` with the modify expression applied below it; nullopt when `el` itself is
  // removed. `key` and `index` place `el` in its parent (for the loop variables).
  absl::StatusOr<std::optional<std::string>> Apply(std::string_view el, std::string_view key,
                                                   size_t index, size_t step) {
    if (step == steps_.size()) return Replace(el, key, index);
    absl::StatusOr<std::optional<std::pair<Level, std::vector<size_t>>>> lv = Visit(el, step);
    if (!lv.ok()) return lv.status();
    if (!*lv || (*lv)->second.empty()) return std::string(el);
    const auto& [level, picked] = **lv;
    std::vector<std::string> changed;
    changed.reserve(picked.size());  // `elements` points into it
    std::vector<std::string_view> elements;
    size_t next = 0;  // position in `picked` (ascending)
    for (size_t i = 0; i < level.size(); ++i) {
      std::string_view v = level.value(i);
      if (next < picked.size() && picked[next] == i) {
        ++next;
        absl::StatusOr<std::optional<std::string>> r = Apply(v, level.key(i), i, step + 1);
        if (!r.ok()) return r.status();
        if (!*r) continue;  // removed
        changed.push_back(**std::move(r));
        v = changed.back();
      }
      if (level.c.map) elements.push_back(level.key(i));
      elements.push_back(v);
    }
    if (!level.c.map && (level.c.flags & kListOrdered)) {
      std::stable_sort(
          elements.begin(), elements.end(),
          [](std::string_view a, std::string_view b) { return CompareElements(a, b) < 0; });
    }
    return JoinContainer(level.c.map, level.flags(), elements);
  }

  const std::vector<std::string_view>& out() const { return out_; }

 private:
  // Opens `el` and picks the children step `step` selects; nullopt when no-fail skips an
  // element the step does not fit.
  absl::StatusOr<std::optional<std::pair<Level, std::vector<size_t>>>> Visit(std::string_view el,
                                                                             size_t step) {
    std::optional<Level> lv = Open(el);
    if (!lv) {
      if (flags_ & kPathNoFail) return std::nullopt;
      return NotApplicable("a step reached a value that is no list or map");
    }
    absl::StatusOr<std::optional<std::vector<size_t>>> picked = Pick(steps_[step], *lv, rec_);
    if (!picked.ok()) return picked.status();
    if (!*picked) {
      if (flags_ & kPathNoFail) return std::nullopt;
      return NotApplicable("a step does not fit the kind of collection it reached");
    }
    return std::make_pair(*std::move(lv), **std::move(picked));
  }

  absl::StatusOr<std::optional<std::string>> Replace(std::string_view el, std::string_view key,
                                                     size_t index) {
    LoopScope scope(rec_);
    if (absl::Status s = scope.Enter(key, el, index); !s.ok()) return s;
    std::optional<Value> v = modify_->Evaluate(scope.rec());
    if (scope.vars().remove) return std::nullopt;
    if (!v) {
      if (flags_ & kPathNoFail) return std::string(el);
      return NotApplicable("the modify expression evaluated to unknown");
    }
    if ((v->type() == ParticleType::kList || v->type() == ParticleType::kMap) &&
        !IsStorable(v->bytes())) {
      return Malformed("a wildcard or infinity cannot be stored");
    }
    return PackValue(*v);
  }

  const std::vector<CdtPath::Step>& steps_;
  const uint64_t flags_;
  const Expression* modify_;
  const ExpRecord& rec_;
  std::vector<std::string_view> out_;
};

// The bin's packed collection; a collection Value without bytes is the empty one.
std::string_view RootOf(const Value& bin, std::string* storage) {
  if (!bin.bytes().empty()) return bin.bytes();
  *storage = bin.type() == ParticleType::kList ? EmptyList(0) : EmptyMap(0);
  return *storage;
}

}  // namespace

CdtPath::CdtPath() = default;
CdtPath::~CdtPath() = default;

bool IsCdtPathOp(std::string_view op) {
  ElementReader r(op);
  ElementHead h;
  return r.ReadHead(&h) && h.type == ElementType::kList && h.count > 0 &&
         r.NextInt() == static_cast<int64_t>(kCdtPathOp);
}

absl::StatusOr<std::shared_ptr<const CdtPath>> CdtPath::Decode(std::string_view op) {
  auto p = std::make_shared<CdtPath>();
  p->packed_ = std::string(op);
  ElementReader r(p->packed_);
  ElementHead h;
  if (!r.ReadHead(&h) || h.type != ElementType::kList || (h.count != 3 && h.count != 4) ||
      r.NextInt() != static_cast<int64_t>(kCdtPathOp)) {
    return Malformed("expected [0xfe, context, flags] or [0xfe, context, flags, expression]");
  }
  std::optional<std::string_view> ctx = r.Next();
  if (!ctx) return Malformed("malformed context");
  absl::StatusOr<std::vector<CtxItem>> items = ParseContext(*ctx);
  if (!items.ok()) return items.status();
  std::optional<int64_t> flags = r.NextInt();
  if (!flags || *flags < 0) return Malformed("flags must be a non-negative integer");
  p->flags_ = static_cast<uint64_t>(*flags);
  if (bool(p->flags_ & kPathApply) != (h.count == 4)) {
    return Malformed("an apply has the apply flag and a modify expression, a select neither");
  }
  if (h.count == 4) {
    std::optional<std::string_view> packed = r.Next();
    if (!packed) return Malformed("malformed modify expression");
    absl::StatusOr<std::shared_ptr<const Expression>> e = Expression::Decode(*packed);
    if (!e.ok()) return e.status();
    p->modify_ = *std::move(e);
  }
  if (!r.at_end()) return Malformed("trailing bytes");

  for (const CtxItem& item : *items) {
    if (item.type == kCtxAndFilter) {
      if (p->steps_.empty() || p->steps_.back().item.type == kCtxChildren ||
          p->steps_.back().and_filter) {
        return Malformed("an and-filter must follow a step that is no filter");
      }
      absl::StatusOr<std::shared_ptr<const Expression>> f = DecodeFilter(item.value);
      if (!f.ok()) return f.status();
      p->steps_.back().and_filter = *std::move(f);
      continue;
    }
    Step st;
    st.item = item;
    if (item.type == kCtxChildren) {
      // A bare `true` (all children) needs no evaluation per child.
      if (TypeOf(item.value) != ElementType::kTrue) {
        absl::StatusOr<std::shared_ptr<const Expression>> f = DecodeFilter(item.value);
        if (!f.ok()) return f.status();
        st.filter = *std::move(f);
      }
    } else if (item.type == kCtxMapKeysIn) {
      std::optional<PackedContainer> keys = SplitContainer(item.value);
      if (TypeOf(item.value) != ElementType::kList || !keys || !IsElement(item.value)) {
        return Malformed("map-keys-in takes a list of keys");
      }
      st.keys = keys->elements;
    } else {
      const uint64_t kind = item.type & kCtxKindMask;
      const bool list_level = item.type & kCtxListLevel;
      if ((item.type & kCtxCreateMask) || kind > 3 ||
          list_level == bool(item.type & kCtxMapLevel) ||
          (item.type & ~(kCtxKindMask | kCtxListLevel | kCtxMapLevel)) != 0) {
        return Malformed(absl::StrCat("unsupported context type 0x", absl::Hex(item.type)));
      }
    }
    p->steps_.push_back(std::move(st));
  }
  return std::shared_ptr<const CdtPath>(std::move(p));
}

absl::StatusOr<Value> CdtPath::Select(const Value& bin, const ExpRecord& rec) const {
  std::string storage;
  const std::string_view root = RootOf(bin, &storage);
  Walker w(steps_, flags_, modify_.get(), rec);
  if ((flags_ & kSelectModeMask) == kPathMatchingTree) {
    absl::StatusOr<std::optional<std::string>> tree = w.Prune(root, 0);
    if (!tree.ok()) return tree.status();
    const bool map = TypeOf(root) == ElementType::kMap;
    std::string packed = *tree ? **std::move(tree)
                         : map ? EmptyMap(CollectionOrderFlags(root) & kMapKeyValueOrdered)
                               : EmptyList(CollectionOrderFlags(root) & kListOrdered);
    return map ? Value::Map(std::move(packed)) : Value::List(std::move(packed));
  }
  if (absl::Status s = w.Collect(root, std::string_view(), 0); !s.ok()) return s;
  std::string packed;
  AppendArrayHeader(static_cast<uint32_t>(w.out().size()), &packed);
  for (std::string_view el : w.out()) packed += el;
  return Value::List(std::move(packed));
}

absl::Status CdtPath::Apply(Value* bin, const ExpRecord& rec) const {
  if (!modify_) return Malformed("a select has no modify expression");
  std::string storage;
  const std::string_view root = RootOf(*bin, &storage);
  Walker w(steps_, flags_, modify_.get(), rec);
  // The path has at least one step, so the root itself is never replaced or removed.
  absl::StatusOr<std::optional<std::string>> out = w.Apply(root, std::string_view(), 0, 0);
  if (!out.ok()) return out.status();
  if (!*out) return absl::OkStatus();
  *bin = TypeOf(**out) == ElementType::kMap ? Value::Map(**std::move(out))
                                            : Value::List(**std::move(out));
  return absl::OkStatus();
}

}  // namespace tern::record
