#include "controller/controller.h"

#include <spdlog/spdlog.h>

namespace tern::op {

Controller::Controller(std::string name, Reconcile reconcile, Metrics* metrics, int workers)
    : name_(std::move(name)),
      reconcile_(std::move(reconcile)),
      metrics_(metrics),
      workers_(workers) {
  if (metrics_) observer_ = metrics_->QueueObserverFor(name_);
  queue_ = std::make_unique<kube::WorkQueue>(kube::WorkQueue::Options{}, observer_.get());
}

Controller::~Controller() { Stop(); }

bool Controller::ProcessNext(std::optional<std::chrono::milliseconds> timeout) {
  auto key = queue_->Get(timeout);
  if (!key) return false;
  if (active_ && !active_()) {
    // Not the leader (any more): leave the key for whoever leads next, or for us later.
    queue_->Done(*key);
    queue_->AddAfter(*key, std::chrono::seconds(1));
    return true;
  }
  if (metrics_) metrics_->SetActiveWorkers(name_, ++busy_);
  auto start = std::chrono::steady_clock::now();
  std::string result;
  try {
    Result r = reconcile_(*key);
    if (r.requeue_after.count() > 0) {
      queue_->Forget(*key);
      queue_->AddAfter(*key, r.requeue_after);
      result = "requeue_after";
    } else if (r.requeue) {
      queue_->AddRateLimited(*key);
      result = "requeue";
    } else {
      queue_->Forget(*key);
      result = "success";
    }
  } catch (const std::exception& e) {
    spdlog::warn("{}: reconcile {} failed: {}", name_, *key, e.what());
    if (metrics_) metrics_->ReconcileError(name_);
    queue_->AddRateLimited(*key);
    result = "error";
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (metrics_) {
    metrics_->ReconcileDone(name_, result, secs);
    metrics_->SetActiveWorkers(name_, --busy_);
  }
  queue_->Done(*key);
  return true;
}

void Controller::Start(std::function<bool()> active) {
  active_ = std::move(active);
  stop_ = false;
  for (int i = 0; i < workers_; ++i) {
    threads_.emplace_back([this] {
      while (!stop_) {
        if (active_ && !active_()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          continue;
        }
        if (!ProcessNext(std::chrono::milliseconds(500)) && stop_) break;
      }
    });
  }
}

void Controller::Stop() {
  stop_ = true;
  queue_->ShutDown();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace tern::op
