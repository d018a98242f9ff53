// Prometheus metrics on port 9145 (prometheus-cpp pull): the txn counters and histograms from
// the shared registry, plus namespace gauges computed at scrape time.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ns/catalog.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace tern::api {

class NamespaceCollector;

class MetricsExposer {
 public:
  MetricsExposer(std::shared_ptr<prometheus::Registry> registry, const ns::Catalog& catalog);
  ~MetricsExposer();

  absl::Status Start(const std::string& address, uint16_t port);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<NamespaceCollector> namespaces_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace tern::api
