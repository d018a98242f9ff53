// Prometheus metrics on port 9145 (prometheus-cpp pull): the txn counters and histograms from
// the shared registry, plus namespace gauges computed at scrape time.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ns/catalog.h"

namespace tern::cluster {
class Cluster;
}

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace tern::api {

class NamespaceCollector;
class ClusterCollector;

class MetricsExposer {
 public:
  MetricsExposer(std::shared_ptr<prometheus::Registry> registry, const ns::Catalog& catalog);
  ~MetricsExposer();

  // Adds the cluster gauges and counters (tern_cluster_size, tern_migrate_partitions_remaining,
  // tern_proxy_total, ...) and the replication latency histogram. Before Start.
  void AttachCluster(cluster::Cluster* cluster);

  absl::Status Start(const std::string& address, uint16_t port);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<NamespaceCollector> namespaces_;
  std::shared_ptr<ClusterCollector> cluster_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace tern::api
