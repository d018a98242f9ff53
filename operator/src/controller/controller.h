// A named controller: a rate-limited work queue of object keys and workers that reconcile.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/metrics.h"
#include "kube/work_queue.h"

namespace tern::op {

struct Result {
  bool requeue = false;                        // again, with backoff
  std::chrono::milliseconds requeue_after{0};  // again after this, no backoff
};

class Controller {
 public:
  using Reconcile = std::function<Result(const std::string& key)>;
  Controller(std::string name, Reconcile reconcile, Metrics* metrics, int workers = 1);
  ~Controller();

  kube::WorkQueue& queue() { return *queue_; }
  const std::string& name() const { return name_; }
  // Workers take keys only while `active()` is true (leadership); keys wait meanwhile.
  void Start(std::function<bool()> active);
  void Stop();
  // Runs one queued key through reconcile (tests and the worker loop).
  bool ProcessNext(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

 private:
  std::string name_;
  Reconcile reconcile_;
  Metrics* metrics_;
  int workers_;
  std::unique_ptr<kube::QueueObserver> observer_;
  std::unique_ptr<kube::WorkQueue> queue_;
  std::function<bool()> active_;
  std::atomic<bool> stop_{false};
  std::atomic<int> busy_{0};
  std::vector<std::thread> threads_;
};

}  // namespace tern::op
