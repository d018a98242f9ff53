// Prometheus metrics under controller-runtime's names, so existing operator dashboards work.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "kube/work_queue.h"

namespace tern::op {

class Metrics {
 public:
  Metrics();
  std::shared_ptr<prometheus::Registry> registry() { return registry_; }

  // workqueue_* with label name=<controller>.
  std::unique_ptr<kube::QueueObserver> QueueObserverFor(const std::string& name);
  void ReconcileDone(const std::string& controller, const std::string& result, double seconds);
  void ReconcileError(const std::string& controller);
  void SetLeader(bool leader);
  void SetActiveWorkers(const std::string& controller, int n);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& reconcile_total_;
  prometheus::Family<prometheus::Counter>& reconcile_errors_;
  prometheus::Family<prometheus::Histogram>& reconcile_time_;
  prometheus::Family<prometheus::Gauge>& active_workers_;
  prometheus::Family<prometheus::Gauge>& depth_;
  prometheus::Family<prometheus::Counter>& adds_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Histogram>& queue_duration_;
  prometheus::Family<prometheus::Histogram>& work_duration_;
  prometheus::Family<prometheus::Gauge>& leader_;
};

}  // namespace tern::op
