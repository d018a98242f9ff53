#include "api/metrics_exposer.h"

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
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

MetricsExposer::MetricsExposer(std::shared_ptr<prometheus::Registry> registry,
                               const ns::Catalog& catalog)
    : registry_(std::move(registry)), namespaces_(std::make_shared<NamespaceCollector>(catalog)) {}

MetricsExposer::~MetricsExposer() = default;

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
  base::Logger("api")->info("Prometheus metrics on http://{}/metrics", bind);
  return absl::OkStatus();
}

}  // namespace tern::api
