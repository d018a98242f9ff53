#include "txn/metrics.h"

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace tern::txn {

const char* OpKindName(OpKind k) {
  static constexpr const char* kNames[kOpKinds] = {"read",   "exists", "write", "touch", "operate",
                                                   "delete", "batch",  "scan",  "udf"};
  return kNames[static_cast<size_t>(k)];
}

TxnMetrics::TxnMetrics(prometheus::Registry& registry, const std::vector<std::string>& namespaces)
    : ns_names_(namespaces) {
  ns_names_.push_back("unknown");
  ops_ = &prometheus::BuildCounter()
              .Name("tern_ops_total")
              .Help("Record operations by namespace, operation and Aerospike result code name")
              .Register(registry);
  latency_ = &prometheus::BuildHistogram()
                  .Name("tern_op_latency_seconds")
                  .Help("Server-side latency of record operations")
                  .Register(registry);
  const size_t n = ns_names_.size() * kOpKinds * 256;
  counters_.reset(new std::atomic<prometheus::Counter*>[n]);
  for (size_t i = 0; i < n; ++i) counters_[i].store(nullptr, std::memory_order_relaxed);
  // 25 µs .. ~1.6 s, doubling.
  prometheus::Histogram::BucketBoundaries bounds;
  for (double b = 25e-6; b < 2.0; b *= 2) bounds.push_back(b);
  for (const auto& ns : ns_names_) {
    for (size_t op = 0; op < kOpKinds; ++op) {
      histograms_.push_back(
          &latency_->Add({{"ns", ns}, {"op", OpKindName(static_cast<OpKind>(op))}}, bounds));
    }
  }
}

TxnMetrics::~TxnMetrics() = default;

prometheus::Counter& TxnMetrics::CounterFor(size_t ns_index, OpKind op, base::ResultCode result) {
  size_t slot = (ns_index * kOpKinds + static_cast<size_t>(op)) * 256 + static_cast<size_t>(result);
  if (auto* c = counters_[slot].load(std::memory_order_acquire)) return *c;
  std::lock_guard lock(mu_);
  auto* c = &ops_->Add({{"ns", ns_names_[ns_index]},
                        {"op", OpKindName(op)},
                        {"result", std::string(base::ResultCodeName(result))}});
  counters_[slot].store(c, std::memory_order_release);
  return *c;
}

void TxnMetrics::Record(size_t ns_index, OpKind op, base::ResultCode result, int64_t latency_ns) {
  if (ns_index >= ns_names_.size()) ns_index = ns_names_.size() - 1;
  CounterFor(ns_index, op, result).Increment();
  histograms_[ns_index * kOpKinds + static_cast<size_t>(op)]->Observe(latency_ns / 1e9);
}

}  // namespace tern::txn
