#include "controller/metrics.h"

namespace tern::op {

namespace {

prometheus::Histogram::BucketBoundaries Exponential(double start, double factor, int n) {
  prometheus::Histogram::BucketBoundaries b;
  for (int i = 0; i < n; ++i, start *= factor) b.push_back(start);
  return b;
}

class Observer : public kube::QueueObserver {
 public:
  Observer(prometheus::Gauge& depth, prometheus::Counter& adds, prometheus::Counter& retries,
           prometheus::Histogram& queued, prometheus::Histogram& worked)
      : depth_(depth), adds_(adds), retries_(retries), queued_(queued), worked_(worked) {}
  void Depth(size_t n) override { depth_.Set(static_cast<double>(n)); }
  void Added() override { adds_.Increment(); }
  void Retried() override { retries_.Increment(); }
  void Queued(double s) override { queued_.Observe(s); }
  void Worked(double s) override { worked_.Observe(s); }

 private:
  prometheus::Gauge& depth_;
  prometheus::Counter& adds_;
  prometheus::Counter& retries_;
  prometheus::Histogram& queued_;
  prometheus::Histogram& worked_;
};

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      reconcile_total_(prometheus::BuildCounter()
                           .Name("controller_runtime_reconcile_total")
                           .Help("Total number of reconciliations per controller")
                           .Register(*registry_)),
      reconcile_errors_(prometheus::BuildCounter()
                            .Name("controller_runtime_reconcile_errors_total")
                            .Help("Total number of reconciliation errors per controller")
                            .Register(*registry_)),
      reconcile_time_(prometheus::BuildHistogram()
                          .Name("controller_runtime_reconcile_time_seconds")
                          .Help("Length of time per reconciliation per controller")
                          .Register(*registry_)),
      active_workers_(prometheus::BuildGauge()
                          .Name("controller_runtime_active_workers")
                          .Help("Number of currently used workers per controller")
                          .Register(*registry_)),
      depth_(prometheus::BuildGauge()
                 .Name("workqueue_depth")
                 .Help("Current depth of workqueue")
                 .Register(*registry_)),
      adds_(prometheus::BuildCounter()
                .Name("workqueue_adds_total")
                .Help("Total number of adds handled by workqueue")
                .Register(*registry_)),
      retries_(prometheus::BuildCounter()
                   .Name("workqueue_retries_total")
                   .Help("Total number of retries handled by workqueue")
                   .Register(*registry_)),
      queue_duration_(prometheus::BuildHistogram()
                          .Name("workqueue_queue_duration_seconds")
                          .Help("How long in seconds an item stays in workqueue before being "
                                "requested")
                          .Register(*registry_)),
      work_duration_(prometheus::BuildHistogram()
                         .Name("workqueue_work_duration_seconds")
                         .Help("How long in seconds processing an item from workqueue takes")
                         .Register(*registry_)),
      leader_(prometheus::BuildGauge()
                  .Name("leader_election_master_status")
                  .Help("1 while this process holds the leader lease")
                  .Register(*registry_)) {}

std::unique_ptr<kube::QueueObserver> Metrics::QueueObserverFor(const std::string& name) {
  const prometheus::Labels l{{"name", name}};
  auto b = Exponential(1e-8, 10, 10);  // client-go's buckets: 10ns .. 10s
  return std::make_unique<Observer>(depth_.Add(l), adds_.Add(l), retries_.Add(l),
                                    queue_duration_.Add(l, b), work_duration_.Add(l, b));
}

void Metrics::ReconcileDone(const std::string& controller, const std::string& result,
                            double seconds) {
  reconcile_total_.Add({{"controller", controller}, {"result", result}}).Increment();
  static const auto kBuckets = prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
      0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
      6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60};
  reconcile_time_.Add({{"controller", controller}}, kBuckets).Observe(seconds);
}

void Metrics::ReconcileError(const std::string& controller) {
  reconcile_errors_.Add({{"controller", controller}}).Increment();
}

void Metrics::SetLeader(bool leader) {
  leader_.Add({{"name", "tern-operator"}}).Set(leader ? 1 : 0);
}

void Metrics::SetActiveWorkers(const std::string& controller, int n) {
  active_workers_.Add({{"controller", controller}}).Set(n);
}

}  // namespace tern::op
