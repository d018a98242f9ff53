// Migrations: after every view change each node works out, partition by partition, what it
// must send — a complete copy to final owners that lack one (when it is the acting master), its
// copy merged into the acting master (when its copy may have diverged, or nobody held a
// complete one), or nothing before dropping a partition it no longer owns (once every owner
// holds a complete copy). One partition at a time, from a snapshot, while the acting master
// keeps serving; writes during a fill reach the new owner by replication.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/config.h"
#include "cluster/fabric_client.h"
#include "cluster/holdings.h"
#include "cluster/local_data.h"
#include "cluster/membership.h"

namespace tern::cluster {

// Migration streams a node runs at once.
inline constexpr size_t kParallelStreams = 4;

class Migrator {
 public:
  // `replicate` forwards a record the acting master accepted from a merge to its replicas.
  using ReplicateFn = std::function<absl::Status(std::string_view ns, uint32_t partition,
                                                 const base::Digest&, std::string_view image)>;

  Migrator(const base::ClusterConfig& config, Membership& membership, Holdings& holdings,
           FabricClient& fabric, LocalData& data, ReplicateFn replicate);
  ~Migrator();

  void Start();
  void Stop();
  void Wake();  // the view changed: plan again now

  // Live settings (info `set-config:context=service`); the next plan and stream use them.
  void SetFillDelay(uint32_t sec) { fill_delay_sec_.store(sec); }
  void SetMaxRecordsPerSec(uint32_t rps) { max_records_per_sec_.store(rps); }
  uint32_t fill_delay() const { return fill_delay_sec_.load(); }
  uint32_t max_records_per_sec() const { return max_records_per_sec_.load(); }

  // Partitions this node still has to send or drop, as of the last plan.
  uint32_t remaining() const { return remaining_.load(); }
  uint64_t records_sent() const { return records_sent_.load(); }
  uint64_t records_received() const { return records_received_.load(); }

  // Receiving end of a migration stream (fabric Migrate).
  absl::StatusOr<uint64_t> Receive(absl::FunctionRef<bool(fabric::v1::MigrateChunk*)> next);
  // A replicated delete arrived: remembered while the partition fills, so that the fill's
  // older copy of the record does not bring it back.
  void NoteDelete(std::string_view ns, uint32_t partition, const base::Digest& digest);

 private:
  // kHandoff: nothing to send, but this node still acts as master of a partition it does not
  // own until the principal hands it to a filled owner; it counts as remaining.
  enum class Kind { kFill, kMerge, kDrop, kHandoff };
  struct Task {
    Kind kind;
    size_t ns;
    uint32_t partition;
    int target;  // member index (fill, merge)
    // A fill the target merges rather than replaces its copy with: its copy may hold writes
    // the acting master lacks (diverged lineage, or a partition nobody held whole).
    bool merge_fill = false;
  };

  void Loop();
  std::vector<Task> Plan(const View& v);
  // Cancels the stream in flight if the view no longer has its target or its key.
  void CancelStaleSend();
  absl::Status Send(const View& v, const Task& t);

  const base::ClusterConfig config_;
  Membership& membership_;
  Holdings& holdings_;
  FabricClient& fabric_;
  LocalData& data_;
  ReplicateFn replicate_;
  std::atomic<uint32_t> fill_delay_sec_;
  std::atomic<uint32_t> max_records_per_sec_;

  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  // Streams in flight: target node id and cluster key of each. Also guards filled_ and
  // merged_ while streams run (Plan reads them between batches).
  absl::Mutex send_mu_;
  std::map<grpc::ClientContext*, std::pair<uint64_t, uint64_t>> sending_ ABSL_GUARDED_BY(send_mu_);
  // Fills done under the current key: (ns, partition, member id) → when.
  uint64_t done_key_ = 0;
  std::map<std::tuple<size_t, uint32_t, uint64_t>, int64_t> filled_;
  std::set<std::pair<size_t, uint32_t>> merged_;
  int64_t key_since_ns_ = 0;

  absl::Mutex fill_mu_;
  std::map<std::pair<size_t, uint32_t>, std::set<base::Digest>> filling_ ABSL_GUARDED_BY(fill_mu_);

  std::atomic<uint32_t> remaining_{0};
  std::atomic<uint64_t> records_sent_{0};
  std::atomic<uint64_t> records_received_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tern::cluster
