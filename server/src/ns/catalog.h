// All namespaces of the node, opened from the config (flash namespaces sharing a data
// directory share one RocksDB), and the background sweeper that expires, reclaims truncated
// records and evicts, each namespace on its own nsup period.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "base/config.h"
#include "ns/namespace.h"

namespace tern::ns {

class Catalog {
 public:
  // Opens every namespace (cold start for flash ones). Does not start the sweeper.
  static absl::StatusOr<std::unique_ptr<Catalog>> Open(const base::Config& config);
  ~Catalog();

  Namespace* Find(std::string_view name) const;
  const std::vector<std::unique_ptr<Namespace>>& namespaces() const { return namespaces_; }
  // Position of a namespace in namespaces() (metrics index by it).
  size_t IndexOf(const Namespace* ns) const;

  void StartSweeper();
  // Runs a sweep of `ns` soon (after a truncate), without waiting for its period.
  void WakeSweeper();

 private:
  Catalog() = default;
  void SweepLoop(std::stop_token stop);

  std::vector<std::shared_ptr<void>> flash_dbs_;  // kept alive for their engines
  std::vector<std::unique_ptr<Namespace>> namespaces_;
  std::mutex mu_;
  std::condition_variable_any wake_;
  bool wake_requested_ = false;
  std::jthread sweeper_;
};

}  // namespace tern::ns
