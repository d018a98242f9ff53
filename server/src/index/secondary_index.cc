#include "index/secondary_index.h"

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "record/collection.h"

namespace tern::index {

using record::ParticleType;
using record::Value;

std::string_view SindexTypeName(SindexType t) {
  switch (t) {
    case SindexType::kNumeric:
      return "numeric";
    case SindexType::kString:
      return "string";
    case SindexType::kBlob:
      return "blob";
    case SindexType::kGeo2dSphere:
      return "geo2dsphere";
  }
  return "?";
}

std::string_view SindexCollectionName(SindexCollection c) {
  switch (c) {
    case SindexCollection::kDefault:
      return "default";
    case SindexCollection::kList:
      return "list";
    case SindexCollection::kMapKeys:
      return "mapkeys";
    case SindexCollection::kMapValues:
      return "mapvalues";
    case SindexCollection::kSet:
      return "set";
  }
  return "?";
}

std::string SindexDef::Serialize() const {
  // Fields never contain '\n' (names are validated by the info layer).
  std::string out =
      absl::StrCat(ns, "\n", set, "\n", name, "\n", bin, "\n", static_cast<int>(type), "\n",
                   static_cast<int>(collection), "\n", absl::Base64Escape(context));
  // An eighth field only for expression indexes, so older definitions read back unchanged.
  if (!expression.empty()) absl::StrAppend(&out, "\n", absl::Base64Escape(expression));
  return out;
}

bool SindexDef::Parse(std::string_view text, SindexDef* out) {
  std::vector<std::string> f = absl::StrSplit(absl::string_view(text.data(), text.size()), '\n');
  if ((f.size() != 7 && f.size() != 8) || f[4].size() != 1 || f[5].size() != 1) return false;
  const int type = f[4][0] - '0', coll = f[5][0] - '0';
  std::string context, expression;
  if (type < 0 || type > 3 || coll < 0 || coll > 4 || !absl::Base64Unescape(f[6], &context))
    return false;
  if (f.size() == 8 && !absl::Base64Unescape(f[7], &expression)) return false;
  *out = SindexDef{f[0],
                   f[1],
                   f[2],
                   f[3],
                   static_cast<SindexType>(type),
                   static_cast<SindexCollection>(coll),
                   std::move(context),
                   std::move(expression)};
  return true;
}

namespace {

// CDT context element types (aerospike-wire.md §8.4); the 0x40 bit only asks to create.
constexpr int64_t kCtxListIndex = 0x10;
constexpr int64_t kCtxMapKey = 0x22;

// Follows `context` (pairs of type, value) from `v`; false when the path is absent.
bool FollowContext(std::string_view context, Value* v) {
  if (context.empty()) return true;
  auto steps = record::DecodeList(context);
  if (!steps.ok() || steps->size() % 2 != 0) return false;
  for (size_t i = 0; i < steps->size(); i += 2) {
    if ((*steps)[i].type() != ParticleType::kInteger) return false;
    const int64_t kind = (*steps)[i].integer() & ~int64_t{0x40};
    const Value& arg = (*steps)[i + 1];
    if (kind == kCtxMapKey && v->type() == ParticleType::kMap) {
      auto entries = record::DecodeMap(v->bytes());
      if (!entries.ok()) return false;
      bool found = false;
      for (auto& [k, val] : *entries) {
        if (k == arg) {
          *v = std::move(val);
          found = true;
          break;
        }
      }
      if (!found) return false;
    } else if (kind == kCtxListIndex && v->type() == ParticleType::kList &&
               arg.type() == ParticleType::kInteger) {
      auto items = record::DecodeList(v->bytes());
      if (!items.ok()) return false;
      int64_t idx =
          arg.integer() < 0 ? static_cast<int64_t>(items->size()) + arg.integer() : arg.integer();
      if (idx < 0 || idx >= static_cast<int64_t>(items->size())) return false;
      *v = std::move((*items)[static_cast<size_t>(idx)]);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool SindexDef::SupportedContext(std::string_view context) {
  if (context.empty()) return true;
  auto steps = record::DecodeList(context);
  if (!steps.ok() || steps->empty() || steps->size() % 2 != 0) return false;
  for (size_t i = 0; i < steps->size(); i += 2) {
    if ((*steps)[i].type() != ParticleType::kInteger) return false;
    const int64_t kind = (*steps)[i].integer() & ~int64_t{0x40};
    if (kind != kCtxMapKey && kind != kCtxListIndex) return false;
  }
  return true;
}

std::string SecondaryIndex::IntegerKey(int64_t v) {
  uint64_t u = static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);  // sign flip: byte order = order
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, u >>= 8) k[i] = static_cast<char>(u & 0xff);
  return k;
}

int64_t SecondaryIndex::IntegerOfKey(std::string_view key) {
  uint64_t u = 0;
  for (char c : key.substr(0, 8)) u = u << 8 | static_cast<uint8_t>(c);
  return static_cast<int64_t>(u ^ (uint64_t{1} << 63));
}

bool SecondaryIndex::KeyOf(const Value& v, std::string* key) const {
  switch (def_.type) {
    case SindexType::kNumeric:
      if (v.type() != ParticleType::kInteger) return false;
      *key = IntegerKey(v.integer());
      return true;
    case SindexType::kString:
      if (v.type() != ParticleType::kString) return false;
      *key = v.bytes();
      return true;
    case SindexType::kBlob:
      if (v.type() != ParticleType::kBlob) return false;
      *key = v.bytes();
      return true;
    case SindexType::kGeo2dSphere:
      return false;
  }
  return false;
}

std::string SecondaryIndex::CellKey(uint64_t cell_id) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, cell_id >>= 8) k[i] = static_cast<char>(cell_id & 0xff);
  return k;
}

bool SecondaryIndex::GeoMatches(const record::Record& rec, const record::GeoShape& query) const {
  for (const Value& v : ValuesOf(rec)) {
    if (v.type() != ParticleType::kGeoJson) continue;
    auto shape = record::GeoShape::Parse(v.bytes(), geo_);
    if (shape && query.QueryMatches(*shape)) return true;
  }
  return false;
}

SecondaryIndex::SecondaryIndex(SindexDef def, record::GeoCoverOptions geo)
    : def_(std::move(def)), geo_(geo) {
  if (!def_.expression.empty()) {
    auto e = record::Expression::Decode(def_.expression);
    if (e.ok()) expression_ = *std::move(e);
  }
}

std::vector<Value> SecondaryIndex::ValuesOf(const record::Record& rec) const {
  std::vector<Value> values;
  Value v;
  if (!def_.expression.empty()) {
    // An expression index keys the expression's value; unknown indexes nothing.
    if (!expression_) return values;
    record::ExpRecord view;
    view.rec = &rec;
    std::optional<Value> result = expression_->Evaluate(view);
    if (!result) return values;
    v = *std::move(result);
  } else {
    const record::Bin* found = rec.Find(def_.bin);
    if (!found) return values;
    v = found->value;
    if (!FollowContext(def_.context, &v)) return values;
  }
  switch (def_.collection) {
    case SindexCollection::kDefault:
      values.push_back(std::move(v));
      break;
    case SindexCollection::kList:
      if (v.type() == ParticleType::kList) {
        if (auto items = record::DecodeList(v.bytes()); items.ok()) values = *std::move(items);
      }
      break;
    case SindexCollection::kMapKeys:
    case SindexCollection::kMapValues:
      if (v.type() == ParticleType::kMap) {
        if (auto entries = record::DecodeMap(v.bytes()); entries.ok()) {
          for (auto& [mk, mv] : *entries)
            values.push_back(std::move(def_.collection == SindexCollection::kMapKeys ? mk : mv));
        }
      }
      break;
    case SindexCollection::kSet:
      break;
  }
  return values;
}

std::vector<std::string> SecondaryIndex::KeysOf(const record::Record& rec) const {
  if (def_.collection == SindexCollection::kSet) return {std::string()};  // membership alone
  std::vector<std::string> keys;
  std::string k;
  for (const Value& v : ValuesOf(rec)) {
    if (def_.type == SindexType::kGeo2dSphere) {
      if (v.type() != ParticleType::kGeoJson) continue;
      if (auto shape = record::GeoShape::Parse(v.bytes(), geo_)) {
        for (uint64_t cell : shape->IndexCells()) keys.push_back(CellKey(cell));
      }
    } else if (KeyOf(v, &k)) {
      keys.push_back(k);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // one entry per value
  return keys;
}

void SecondaryIndex::Update(const base::Digest& digest, const std::vector<std::string>& old_keys,
                            const std::vector<std::string>& new_keys) {
  if (old_keys == new_keys) return;
  absl::MutexLock lock(&mu_);
  for (const auto& k : old_keys) {
    if (entries_.erase({k, digest})) key_bytes_ -= k.size();
  }
  for (const auto& k : new_keys) {
    if (entries_.insert({k, digest}).second) key_bytes_ += k.size();
  }
}

void SecondaryIndex::Range(
    std::string_view begin, std::string_view end,
    absl::FunctionRef<bool(std::string_view, const base::Digest&)> fn) const {
  absl::ReaderMutexLock lock(&mu_);
  for (auto it = entries_.lower_bound({std::string(begin), base::Digest{}}); it != entries_.end();
       ++it) {
    if (it->first > end) break;
    if (!fn(it->first, it->second)) break;
  }
}

uint64_t SecondaryIndex::entries() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_.size();
}

uint64_t SecondaryIndex::memory_bytes() const {
  absl::ReaderMutexLock lock(&mu_);
  // std::string (32) + digest (20) + btree node share (~12) per entry, plus long keys' heap.
  return entries_.size() * (sizeof(std::pair<std::string, base::Digest>) + 12) + key_bytes_;
}

}  // namespace tern::index
