// The sets of a namespace: name ↔ 16-bit id (the id is what an index entry stores), per-set
// counters, per-set policy overrides and truncation time. Ids are never reused while the
// process lives; lookups by id are lock-free.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace tern::ns {

inline constexpr uint16_t kMaxSets = 1023;  // as Aerospike

struct SetInfo {
  std::string name;
  uint16_t id = 0;
  std::atomic<uint64_t> objects{0};
  std::atomic<uint64_t> data_bytes{0};
  std::atomic<int64_t> truncate_lut_ms{0};  // records last updated at or before are gone
  std::atomic<int64_t> default_ttl{-1};     // seconds; -1 = use the namespace's
  std::atomic<uint64_t> stop_writes_count{0};
  std::atomic<bool> disable_eviction{false};
};

class SetRegistry {
 public:
  SetRegistry();
  // The id for `name`, created on first use. Empty name = id 0 (no set).
  absl::StatusOr<uint16_t> IdFor(std::string_view name);
  // Existing id or 0 when unknown (no creation).
  uint16_t Find(std::string_view name) const;
  // nullptr for id 0 or an unused id.
  SetInfo* Get(uint16_t id) const {
    return id == 0 || id > kMaxSets ? nullptr : sets_[id].load(std::memory_order_acquire);
  }
  std::vector<SetInfo*> All() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint16_t> ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<SetInfo>> owned_ ABSL_GUARDED_BY(mu_);
  std::array<std::atomic<SetInfo*>, kMaxSets + 1> sets_;
};

}  // namespace tern::ns
