// This node's part in the cluster: membership (heartbeats, the view), the partition table,
// synchronous replication, proxying and migrations, behind the fabric gRPC service on
// ports.fabric. The transaction engine asks it where each request runs and hands it every
// write for the replicas.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "base/config.h"
#include "base/digest.h"
#include "cluster/fabric_client.h"
#include "cluster/holdings.h"
#include "cluster/local_data.h"
#include "cluster/membership.h"
#include "cluster/metadata_sync.h"
#include "cluster/migrator.h"
#include "grpcpp/support/status.h"

namespace grpc {
class Server;
}

namespace tern::cluster {

class FabricService;

// Where a request runs.
struct Route {
  enum Kind { kLocal, kProxy, kUnavailable } kind = kLocal;
  std::string fabric_address;  // kProxy: the acting master's fabric
};

struct ClusterStats {
  uint32_t size = 0;
  uint64_t key = 0;
  bool integrity = false;
  uint64_t principal = 0;
  uint32_t migrations_remaining = 0;  // this node's
  uint64_t proxies = 0;
  uint64_t replica_writes = 0;
  uint64_t migrate_records_sent = 0;
  uint64_t migrate_records_received = 0;
};

class Cluster {
 public:
  Cluster(SelfInfo self, const base::Config& config);
  ~Cluster();

  // The engine that stores replicated and migrated records; set before Start.
  void Attach(LocalData* data) { data_ = data; }
  // The system metadata kept identical on every node; set before Start.
  void AttachMetadata(smd::MetadataStore* store);
  absl::Status Start(const std::string& address, uint16_t fabric_port);
  void Stop();

  Route RouteOf(std::string_view ns, uint32_t partition, bool write) const;
  // Whether a scan or query of `partition` may run here (this node holds a complete copy and
  // masters it or owns it).
  bool Serves(std::string_view ns, uint32_t partition) const;

  // Sends a stored record (image; empty = delete) to the partition's other owners and waits
  // for all of them (commit level all). Replicas that have left the view are skipped.
  absl::Status Replicate(std::string_view ns, uint32_t partition, const base::Digest& digest,
                         std::string_view image);
  absl::Status Proxy(const std::string& fabric_address, const fabric::v1::ProxyRequest& req,
                     fabric::v1::ProxyReply* reply);

  std::shared_ptr<const View> view() const { return membership_->view(); }
  Membership& membership() { return *membership_; }
  Migrator& migrator() { return *migrator_; }  // after Start
  const Migrator& migrator() const { return *migrator_; }
  const Membership& membership() const { return *membership_; }
  ClusterStats Stats() const;
  uint64_t self_id() const { return self_.id; }
  // Replication latency observer (metrics): seconds per replicated write.
  void OnReplicated(std::function<void(double)> fn) { on_replicated_ = std::move(fn); }

  // SQL statements run over the whole cluster: `handler` runs another node's share here (set
  // by the gRPC front door, which owns the executor; an empty one detaches it and waits for a
  // running share). ShareSql sends a share to every other member of the view and waits for
  // all answers, in the view's order.
  using SqlHandler = std::function<void(const fabric::v1::SqlShare&, fabric::v1::SqlShareReply*)>;
  void SetSqlHandler(SqlHandler handler);
  std::vector<Answer<fabric::v1::SqlShareReply>> ShareSql(const fabric::v1::SqlShare& share,
                                                          std::chrono::milliseconds timeout);

 private:
  friend class FabricService;
  // Sends one replica write to each target in parallel and waits for every answer.
  std::vector<Answer<fabric::v1::ReplicateReply>> SendReplicas(const View& v,
                                                               const std::vector<uint8_t>& targets,
                                                               std::string_view ns,
                                                               const base::Digest& digest,
                                                               std::string_view image);
  absl::Status ApplyReplica(const fabric::v1::ReplicateRequest& req);

  const SelfInfo self_;
  const base::ClusterConfig config_;
  Holdings holdings_;
  FabricClient fabric_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<Migrator> migrator_;
  std::unique_ptr<MetadataSync> metadata_sync_;
  std::unique_ptr<FabricService> service_;
  std::unique_ptr<grpc::Server> server_;
  LocalData* data_ = nullptr;
  std::function<void(double)> on_replicated_;
  std::shared_mutex sql_mu_;  // held shared while a share runs
  SqlHandler sql_handler_;
  mutable std::atomic<uint64_t> proxies_{0};
  std::atomic<uint64_t> replica_writes_{0};
};

}  // namespace tern::cluster
