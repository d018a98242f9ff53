// The info commands about the cluster (partition ownership, peers, stability, quiesce) as
// the Aerospike clients and the operator ask them. Without a cluster (tests, tools) the node
// answers as a cluster of one that owns every partition.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster.h"
#include "ns/catalog.h"

namespace tern::api {

class ClusterInfo {
 public:
  using Params = std::map<std::string, std::string, std::less<>>;

  ClusterInfo(const ns::Catalog& catalog, cluster::Cluster* cluster)
      : catalog_(&catalog), cluster_(cluster) {}

  // `replicas` (with regime) / `replicas-all` (without); at most `max_columns` columns.
  std::string Replicas(bool with_regime, uint32_t max_columns) const;
  std::string ReplicasMaster() const;
  // peers-clear-std: `<generation>,<default port>,[[<node>,,[<host:port>]],...]`.
  std::string Peers() const;
  std::string Services() const;  // host:port;host:port of the other members
  uint64_t Generation() const;   // partition-generation and peers-generation
  // `cluster_size=..;cluster_key=..;...` for `statistics`.
  std::string StatisticsFields() const;
  uint32_t Size() const;
  // The current view; null without a cluster (a cluster of one) or before this node joined.
  cluster::Cluster* get() const { return cluster_; }  // null without a cluster
  std::shared_ptr<const cluster::View> View() const {
    return cluster_ ? cluster_->view() : nullptr;
  }
  std::string ClusterStable(const Params& p) const;
  std::string Quiesce(bool on);
  std::string Recluster();
  std::string Tip(const Params& p);
  std::string ForgetDeparted();
  // get-config / set-config with context=service: the live migration settings
  // (migrate-fill-delay, migrate-max-records-per-sec). Every value is checked before any is set.
  std::string ServiceConfig() const;
  std::string SetServiceConfig(const Params& p);

 private:
  // This node's replica columns for `ns` (column 0 = partitions it masters), at most
  // `max_columns` of them.
  std::vector<cluster::PartitionBits> Columns(std::string_view ns, uint32_t max_columns) const;

  const ns::Catalog* catalog_;
  cluster::Cluster* cluster_;
};

}  // namespace tern::api
