// Membership: mesh heartbeats over the fabric. Every node beats to every node it knows (its
// seeds and the peers they told it of) each interval; a node silent for `timeout_beats`
// intervals is gone. The principal (highest node id among the nodes past their start-up
// wait) publishes the view — succession list, cluster key, acting masters — in its beats and
// every node adopts it. A node that restarts rejoins by beating again.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/config.h"
#include "cluster/fabric_client.h"
#include "cluster/holdings.h"
#include "cluster/view.h"

namespace tern::cluster {

struct SelfInfo {
  uint64_t id = 0;
  std::string cluster_name;
  uint32_t rack = 0;
  MemberAddresses addresses;
};

struct NamespaceSpec {
  std::string name;
  uint32_t replication_factor = 1;
};

// What one peer last said, for status pages and the migration planner.
struct PeerStatus {
  uint64_t id = 0;
  MemberAddresses addresses;
  uint64_t cluster_key = 0;
  uint32_t migrations_remaining = 0;
  uint64_t smd_digest = 0;
  bool alive = false;
};

class Membership {
 public:
  Membership(SelfInfo self, const base::ClusterConfig& config, std::vector<NamespaceSpec> ns,
             Holdings& holdings, FabricClient& fabric);
  ~Membership();

  void Start();
  void Stop();

  // A beat arrived (fabric Heartbeat); returns ours.
  fabric::v1::Beat OnBeat(const fabric::v1::Beat& beat);

  std::shared_ptr<const View> view() const { return std::atomic_load(&view_); }
  // Called (on the heartbeat thread) after a new view is adopted.
  void OnViewChange(std::function<void(std::shared_ptr<const View>)> fn) {
    on_change_ = std::move(fn);
  }

  // What our beats carry as the system-metadata digest; set before Start.
  void SetMetadataDigest(std::function<uint64_t()> fn) { smd_digest_ = std::move(fn); }

  // Complete-copy bitmaps other nodes last announced (node id → per-namespace bits); none for
  // a namespace the node does not have (it is being added to the cluster one node at a time).
  std::map<uint64_t, std::vector<std::optional<PartitionBits>>> PeerHoldings() const;
  std::vector<PeerStatus> Peers() const;
  bool integrity() const;  // every live node has adopted our cluster key
  uint64_t principal() const;
  uint64_t peers_generation() const { return peers_generation_.load(); }

  void SetQuiesced(bool on) { quiesced_.store(on); }
  bool quiesced() const { return quiesced_.load(); }
  // Forms a new view (new key) after two heartbeat intervals: a `quiesce:` sent to another
  // node just before has reached this one by then.
  void Recluster();
  void SetMigrationsRemaining(uint32_t n) { migrations_remaining_.store(n); }
  void ForgetDeparted();  // services-alumni-reset / tip-clear: drop learned peer addresses
  void AddSeed(const std::string& address);  // tip:host=..;port=..

 private:
  struct Peer {
    fabric::v1::Beat beat;
    int64_t last_ns = 0;
  };

  void Loop();
  void Tick();
  fabric::v1::Beat MakeBeat() const;
  void Absorb(const fabric::v1::Beat& beat) ABSL_LOCKS_EXCLUDED(mu_);
  void SendBeats();
  // Principal: forms (or refreshes) the view from the live members. Under mu_.
  std::shared_ptr<View> FormView(const std::vector<const Peer*>& live, bool new_key);
  std::shared_ptr<View> FromProto(const fabric::v1::View& v) const;
  void Adopt(std::shared_ptr<View> v);
  std::vector<const Peer*> LivePeers(int64_t now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SelfInfo self_;
  const base::ClusterConfig config_;
  const std::vector<NamespaceSpec> ns_;
  Holdings& holdings_;
  FabricClient& fabric_;
  const int64_t started_ns_;

  mutable absl::Mutex mu_;
  std::map<uint64_t, Peer> peers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);  // fabric addresses to beat to
  fabric::v1::View published_ ABSL_GUARDED_BY(mu_);        // as principal: what we publish
  bool joined_ ABSL_GUARDED_BY(mu_) = false;

  std::shared_ptr<const View> view_;
  std::function<void(std::shared_ptr<const View>)> on_change_;
  std::function<uint64_t()> smd_digest_;
  std::atomic<bool> quiesced_{false};
  std::atomic<int64_t> recluster_at_ns_{0};  // 0 = none asked for
  std::atomic<uint32_t> migrations_remaining_{0};
  std::atomic<uint64_t> peers_generation_{1};

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tern::cluster
