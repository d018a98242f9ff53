// A secondary index: an in-memory B-tree (abseil btree_set) of (bin value, digest) over one
// bin of a namespace or set. Values are keyed so that byte order is value order (integers
// with the sign bit flipped, big-endian), which makes range queries a contiguous walk.
// Collection indexes key every element of a list, every key or every value of a map. A set
// index (Aerospike 8.1.2) keys set membership alone: one entry per record of its set. A
// geo2dsphere index keys each GeoJSON value by S2 cell ids (record::GeoShape): a point by its
// leaf cell, a region by its covering, so a value may own several entries.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "base/digest.h"
#include "record/expression.h"
#include "record/geo_shape.h"
#include "record/record.h"

namespace tern::index {

enum class SindexType : uint8_t { kNumeric, kString, kBlob, kGeo2dSphere };
enum class SindexCollection : uint8_t { kDefault, kList, kMapKeys, kMapValues, kSet };

std::string_view SindexTypeName(SindexType t);  // "numeric", "string", "blob", "geo2dsphere"
std::string_view SindexCollectionName(SindexCollection c);  // "default", "list", ...

struct SindexDef {
  std::string ns;
  std::string set;  // empty = every set of the namespace
  std::string name;
  std::string bin;
  SindexType type = SindexType::kNumeric;
  SindexCollection collection = SindexCollection::kDefault;
  std::string context;  // msgpack CDT context to a nested element ("" = the bin itself)
  // An expression index: the packed expression whose value is indexed instead of a bin's
  // (then `bin` and `context` are empty).
  std::string expression;

  friend bool operator==(const SindexDef&, const SindexDef&) = default;
  std::string Serialize() const;  // for system metadata
  static bool Parse(std::string_view text, SindexDef* out);
  // True for contexts this index can follow: map keys and list indexes.
  static bool SupportedContext(std::string_view context);
};

class SecondaryIndex {
 public:
  // An expression that does not decode indexes nothing (the info layer refuses such indexes).
  // `geo` (the namespace's) says how geo2dsphere indexes cover regions.
  explicit SecondaryIndex(SindexDef def, record::GeoCoverOptions geo = {});

  const SindexDef& def() const { return def_; }
  const record::GeoCoverOptions& geo_options() const { return geo_; }

  // The index keys a record contributes (none when the bin is absent or of another type).
  std::vector<std::string> KeysOf(const record::Record& rec) const;
  // The values a record offers the index: the bin's (or expression's) value, or its elements
  // for collection indexes; of any type.
  std::vector<record::Value> ValuesOf(const record::Record& rec) const;
  // Key of one value of the indexed type; false for a value of another type, and for GeoJSON,
  // whose keys are cells (CellKey of each of GeoShape::IndexCells).
  bool KeyOf(const record::Value& v, std::string* key) const;
  static std::string IntegerKey(int64_t v);
  static int64_t IntegerOfKey(std::string_view key);
  static std::string CellKey(uint64_t cell_id);  // big-endian: byte order = cell-id order
  // A geo query's exact test: true when one of the record's indexed GeoJSON values matches.
  bool GeoMatches(const record::Record& rec, const record::GeoShape& query) const;

  // Moves a record's entries from `old_keys` to `new_keys` (either may be empty).
  void Update(const base::Digest& digest, const std::vector<std::string>& old_keys,
              const std::vector<std::string>& new_keys);

  // Visits entries with begin <= key <= end in (key, digest) order; fn returns false to stop.
  void Range(std::string_view begin, std::string_view end,
             absl::FunctionRef<bool(std::string_view key, const base::Digest&)> fn) const;

  uint64_t entries() const;
  uint64_t memory_bytes() const;  // estimate: entries × (key + digest + node overhead)
  uint32_t load_pct() const { return load_pct_.load(); }
  void set_load_pct(uint32_t pct) { load_pct_ = pct; }
  bool dropped() const { return dropped_.load(); }
  void set_dropped() { dropped_ = true; }

 private:
  SindexDef def_;
  record::GeoCoverOptions geo_;
  std::shared_ptr<const record::Expression> expression_;  // decoded def_.expression
  mutable absl::Mutex mu_;
  absl::btree_set<std::pair<std::string, base::Digest>> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t key_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint32_t> load_pct_{0};
  std::atomic<bool> dropped_{false};
};

}  // namespace tern::index
