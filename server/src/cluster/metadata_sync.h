// System metadata across the cluster: each change this node makes is pushed to every live peer
// before the call that made it returns (bounded by the replication timeout), and a peer whose
// heartbeat shows a different metadata digest — one that was down, cut off or new — gets a
// full exchange, both sides merging (smd::MetadataStore::Merge keeps the newest change per
// key, so the order and repetition of exchanges do not matter).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "base/config.h"
#include "cluster/fabric_client.h"
#include "cluster/membership.h"
#include "smd/metadata_store.h"

namespace tern::cluster {

class MetadataSync {
 public:
  MetadataSync(const base::ClusterConfig& config, Membership& membership, FabricClient& fabric,
               smd::MetadataStore& store);
  ~MetadataSync() { Stop(); }

  void Start();
  void Stop();

  // The fabric Smd call: merges what a peer sent; answers with everything if it asks.
  fabric::v1::SmdExchange OnExchange(const fabric::v1::SmdExchange& req);

  uint64_t exchanges() const { return exchanges_.load(); }

 private:
  void Push(const std::string& module, const smd::Item& item);
  void Loop();
  void RepairRound();

  const base::ClusterConfig config_;
  Membership& membership_;
  FabricClient& fabric_;
  smd::MetadataStore& store_;

  std::atomic<uint64_t> exchanges_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tern::cluster
