#include "api/metrics_exposer.h"

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "cluster/cluster.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace tern::api {

// Gauges read from the namespaces when Prometheus scrapes, so the request path never updates
// them: tern_namespace_{objects,memory_bytes,index_bytes,disk_bytes,...}{ns}.
class NamespaceCollector : public prometheus::Collectable {
 public:
  explicit NamespaceCollector(const ns::Catalog& catalog) : catalog_(catalog) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    struct Gauge {
      const char* name;
      const char* help;
      prometheus::MetricType type;
      double (*read)(const ns::Namespace&);
    };
    static const Gauge kGauges[] = {
        {"tern_namespace_objects",
         "Records in the namespace (including not yet swept expired ones)",
         prometheus::MetricType::Gauge,
         [](const ns::Namespace& n) { return double(n.index().size()); }},
        {"tern_namespace_memory_bytes",
         "RAM used by the namespace: primary index plus in-memory record data",
         prometheus::MetricType::Gauge,
         [](const ns::Namespace& n) { return double(n.memory_used_bytes()); }},
        {"tern_namespace_index_bytes", "Primary-index arena bytes in use",
         prometheus::MetricType::Gauge,
         [](const ns::Namespace& n) { return double(n.index().ArenaBytesInUse()); }},
        {"tern_namespace_disk_bytes", "Bytes of record data on the flash device",
         prometheus::MetricType::Gauge,
         [](const ns::Namespace& n) { return double(n.disk_used_bytes()); }},
        {"tern_namespace_stop_writes", "1 while the namespace refuses writes (stop-writes)",
         prometheus::MetricType::Gauge,
         [](const ns::Namespace& n) { return n.StopWrites() ? 1.0 : 0.0; }},
        {"tern_namespace_expired_objects_total", "Records removed by expiration",
         prometheus::MetricType::Counter,
         [](const ns::Namespace& n) { return double(n.expired_total()); }},
        {"tern_namespace_evicted_objects_total", "Records removed by eviction",
         prometheus::MetricType::Counter,
         [](const ns::Namespace& n) { return double(n.evicted_total()); }},
    };
    std::vector<prometheus::MetricFamily> out;
    for (const Gauge& g : kGauges) {
      prometheus::MetricFamily f;
      f.name = g.name;
      f.help = g.help;
      f.type = g.type;
      for (const auto& n : catalog_.namespaces()) {
        prometheus::ClientMetric m;
        m.label.push_back({"ns", n->name()});
        if (g.type == prometheus::MetricType::Counter) {
          m.counter.value = g.read(*n);
        } else {
          m.gauge.value = g.read(*n);
        }
        f.metric.push_back(std::move(m));
      }
      out.push_back(std::move(f));
    }
    return out;
  }

 private:
  const ns::Catalog& catalog_;
};

// This node's view of the cluster, read at scrape time.
class ClusterCollector : public prometheus::Collectable {
 public:
  explicit ClusterCollector(const cluster::Cluster& cluster) : cluster_(cluster) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    const cluster::ClusterStats s = cluster_.Stats();
    std::vector<prometheus::MetricFamily> out;
    auto add = [&](const char* name, const char* help, prometheus::MetricType type, double v) {
      prometheus::MetricFamily f;
      f.name = name;
      f.help = help;
      f.type = type;
      prometheus::ClientMetric m;
      if (type == prometheus::MetricType::Counter) {
        m.counter.value = v;
      } else {
        m.gauge.value = v;
      }
      f.metric.push_back(std::move(m));
      out.push_back(std::move(f));
    };
    using prometheus::MetricType;
    add("tern_cluster_size", "Nodes in this node's cluster view", MetricType::Gauge, s.size);
    add("tern_cluster_integrity", "1 when every live node has adopted this node's cluster key",
        MetricType::Gauge, s.integrity ? 1 : 0);
    add("tern_migrate_partitions_remaining",
        "Partitions this node still has to send, drop or hand over", MetricType::Gauge,
        s.migrations_remaining);
    add("tern_proxy_total", "Requests this node forwarded to the partition's acting master",
        MetricType::Counter, double(s.proxies));
    add("tern_replica_writes_total", "Writes this node replicated to its partitions' replicas",
        MetricType::Counter, double(s.replica_writes));
    add("tern_migrate_records_sent_total", "Records sent by migrations", MetricType::Counter,
        double(s.migrate_records_sent));
    add("tern_migrate_records_received_total", "Records applied from migrations",
        MetricType::Counter, double(s.migrate_records_received));
    return out;
  }

 private:
  const cluster::Cluster& cluster_;
};

MetricsExposer::MetricsExposer(std::shared_ptr<prometheus::Registry> registry,
                               const ns::Catalog& catalog)
    : registry_(std::move(registry)), namespaces_(std::make_shared<NamespaceCollector>(catalog)) {}

MetricsExposer::~MetricsExposer() = default;

void MetricsExposer::AttachCluster(cluster::Cluster* cluster) {
  cluster_ = std::make_shared<ClusterCollector>(*cluster);
  auto& latency = prometheus::BuildHistogram()
                      .Name("tern_replication_latency_seconds")
                      .Help("Time from a master's local commit until every replica confirmed")
                      .Register(*registry_)
                      .Add({}, prometheus::Histogram::BucketBoundaries{
                                   0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1, 0.25, 0.5, 1, 2.5});
  cluster->OnReplicated([&latency](double seconds) { latency.Observe(seconds); });
}

absl::Status MetricsExposer::Start(const std::string& address, uint16_t port) {
  std::string bind = absl::StrCat(address, ":", port);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(bind, 1);
  } catch (const std::exception& e) {
    return base::MakeError(base::ResultCode::kServerError,
                           absl::StrCat("metrics cannot listen on ", bind, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(namespaces_);
  if (cluster_) exposer_->RegisterCollectable(cluster_);
  base::Logger("api")->info("Prometheus metrics on http://{}/metrics", bind);
  return absl::OkStatus();
}

}  // namespace tern::api
