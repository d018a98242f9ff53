// A namespace: its policy (part of it changeable live), its sets, its primary index and its
// storage engine. It owns what makes a record visible (expiry, truncation), the per-record
// locks writers take, usage accounting and the expiration / eviction sweep.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/config.h"
#include "index/primary_index.h"
#include "index/secondary_index.h"
#include "ns/set_registry.h"
#include "storage/storage_engine.h"

namespace tern::ns {

// The parts of the namespace policy that `set-config` / the admin API change with no restart.
struct LivePolicy {
  std::atomic<int64_t> default_ttl;
  std::atomic<uint64_t> max_record_size;
  std::atomic<uint64_t> memory_size;
  std::atomic<uint64_t> disk_size;
  std::atomic<uint32_t> stop_writes_pct;
  std::atomic<uint32_t> evict_pct;
  std::atomic<uint32_t> nsup_period_sec;
};

struct SweepResult {
  uint64_t expired = 0;
  uint64_t truncated = 0;
  uint64_t evicted = 0;
};

class Namespace {
 public:
  Namespace(const base::NamespaceConfig& config, std::unique_ptr<storage::StorageEngine> engine);
  ~Namespace();

  // Cold start: rebuilds the index from the device and restores truncation times.
  absl::Status Load();

  const std::string& name() const { return config_.name; }
  const base::NamespaceConfig& config() const { return config_; }
  LivePolicy& policy() { return policy_; }
  const LivePolicy& policy() const { return policy_; }
  index::PrimaryIndex& index() { return index_; }
  const index::PrimaryIndex& index() const { return index_; }
  storage::StorageEngine& storage() { return *storage_; }
  const storage::StorageEngine& storage() const { return *storage_; }
  SetRegistry& sets() { return sets_; }
  const SetRegistry& sets() const { return sets_; }

  // The lock a writer holds for the whole read-modify-write of one record. A master holds it
  // while its replicas confirm the write.
  absl::Mutex& RecordLock(const base::Digest& d) const;
  // The lock under which another node's copy of a record (replica write, migration) is
  // applied. Separate from RecordLock: the stripes are shared by many records, and a replica
  // waiting for a stripe its own pending master write holds, while that write waits for this
  // node, would deadlock two nodes.
  absl::Mutex& ApplyLock(const base::Digest& d) const;

  // False for a record that has expired or was truncated (it is gone for readers at once,
  // even before the sweeper reclaims it).
  bool IsLive(const index::RecordMeta& meta, uint32_t now_epoch_s) const;

  // The last-update time for a write: now, but always after the record's previous one and
  // after any truncation time (a write in the truncating millisecond must stay visible).
  uint64_t NextLastUpdateMs(uint16_t set_id, uint64_t current_lut) const;

  // Default TTL (seconds) for writes to a set: the set's override or the namespace's.
  int64_t DefaultTtl(uint16_t set_id) const;

  // Accounting after a write or delete: object and byte deltas for the namespace and set.
  void Account(uint16_t set_id, int64_t objects_delta, int64_t bytes_delta);

  uint64_t data_bytes() const { return data_bytes_.load(std::memory_order_relaxed); }
  uint64_t memory_used_bytes() const;  // index arena + (memory engine) record bodies
  uint64_t disk_used_bytes() const;    // flash engine record bytes
  // True when writes must be refused with ERR_SERVER_FULL.
  bool StopWrites() const;

  // Makes records of `set` (all sets when empty) last updated at or before `before_ms` (now
  // when 0) invisible at once and durable across restarts; the sweeper reclaims them.
  absl::Status Truncate(std::string_view set, int64_t before_ms);
  // Truncate without the checks on the time: one another node decided (its clock may be
  // ahead of ours).
  absl::Status ApplyTruncate(std::string_view set, int64_t lut_ms);
  int64_t truncate_lut_ms() const { return truncate_lut_ms_.load(std::memory_order_relaxed); }

  // Changes one live policy value (`set` empty = namespace level). Unknown keys or bad values
  // are kParameterError. With `apply` false it only checks the change.
  absl::Status SetPolicy(std::string_view set, std::string_view key, std::string_view value,
                         bool apply = true);

  // Removes expired and truncated records, then evicts soonest-expiring ones while usage is
  // above the eviction mark.
  SweepResult Sweep();

  // Removes one record if `pred` holds for its entry, taking its record lock (so no writer is
  // mid-update). Returns whether it was removed.
  bool RemoveRecordIf(const base::Digest& digest,
                      absl::FunctionRef<bool(const index::IndexEntry&)> pred);

  // Bin names ever written to the namespace (the `bins` info command). Aerospike's limit of
  // 65535 names per namespace is kept: a write adding a name past it fails with ERR_BIN_NAME.
  absl::Status NoteBinNames(const record::Record& rec);
  std::vector<std::string> BinNames() const;

  // Secondary indexes. Writers call UpdateSindexes under the record lock with the record's
  // old and new contents, so every index stays exact.
  using Sindexes = std::vector<std::shared_ptr<index::SecondaryIndex>>;
  std::shared_ptr<const Sindexes> sindexes() const;
  std::shared_ptr<index::SecondaryIndex> FindSindex(std::string_view name) const;
  // Adds an index and fills it from the existing records (call from a background thread:
  // it walks the namespace; the index answers with load_pct < 100 until done).
  std::shared_ptr<index::SecondaryIndex> AddSindex(const index::SindexDef& def);
  void BuildSindex(index::SecondaryIndex& index);
  bool DropSindex(std::string_view name);
  void UpdateSindexes(const base::Digest& digest, uint16_t set_id, const record::Record* old_rec,
                      const record::Record* new_rec) const;
  // The current body of a record for index maintenance (pinned or loaded); empty if absent.
  storage::RecordRef BodyOf(const base::Digest& digest) const;

  uint64_t expired_total() const { return expired_total_.load(std::memory_order_relaxed); }
  uint64_t evicted_total() const { return evicted_total_.load(std::memory_order_relaxed); }
  uint64_t truncated_total() const { return truncated_total_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kRecordLockStripes = 4096;
  static size_t LockStripe(const base::Digest& d);

  // Removes every record of every partition for which `pred` holds; returns how many.
  uint64_t RemoveWhere(absl::FunctionRef<bool(const index::IndexEntry&)> pred);
  uint64_t Evict(uint32_t now);
  bool IsTruncated(const index::RecordMeta& meta) const;

  base::NamespaceConfig config_;
  LivePolicy policy_;
  index::PrimaryIndex index_;
  std::unique_ptr<storage::StorageEngine> storage_;
  SetRegistry sets_;
  std::unique_ptr<absl::Mutex[]> record_locks_;
  std::unique_ptr<absl::Mutex[]> apply_locks_;
  std::atomic<uint64_t> data_bytes_{0};
  std::atomic<int64_t> truncate_lut_ms_{0};
  mutable absl::Mutex sindex_mu_;
  std::shared_ptr<const Sindexes> sindexes_ ABSL_GUARDED_BY(sindex_mu_);
  mutable absl::Mutex bin_names_mu_;
  absl::flat_hash_set<std::string> bin_names_ ABSL_GUARDED_BY(bin_names_mu_);
  std::atomic<uint64_t> expired_total_{0};
  std::atomic<uint64_t> evicted_total_{0};
  std::atomic<uint64_t> truncated_total_{0};
};

}  // namespace tern::ns
