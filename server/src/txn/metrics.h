// Per-operation counters and latency histograms, recorded once per request in txn whatever
// the front door: tern_ops_total{ns,op,result} and tern_op_latency_seconds{ns,op}.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result_code.h"

namespace prometheus {
class Registry;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace tern::txn {

enum class OpKind : uint8_t {
  kRead,
  kExists,
  kWrite,
  kTouch,
  kOperate,
  kDelete,
  kBatch,
  kScan,
  kUdf
};
inline constexpr size_t kOpKinds = 9;
const char* OpKindName(OpKind k);

class TxnMetrics {
 public:
  TxnMetrics(prometheus::Registry& registry, const std::vector<std::string>& namespaces);
  ~TxnMetrics();

  // `ns_index` is the namespace's position in the catalog; one past the end = unknown.
  void Record(size_t ns_index, OpKind op, base::ResultCode result, int64_t latency_ns);

 private:
  prometheus::Counter& CounterFor(size_t ns_index, OpKind op, base::ResultCode result);

  std::vector<std::string> ns_names_;  // + "unknown"
  prometheus::Family<prometheus::Counter>* ops_;
  prometheus::Family<prometheus::Histogram>* latency_;
  // Resolved once so the hot path is two atomic loads: [ns][op][result code].
  std::unique_ptr<std::atomic<prometheus::Counter*>[]> counters_;
  std::vector<prometheus::Histogram*> histograms_;  // [ns][op]
  std::mutex mu_;
};

}  // namespace tern::txn
