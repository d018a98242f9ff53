#include "kube/work_queue.h"

#include <algorithm>
#include <cmath>

namespace tern::kube {

using std::chrono::duration;
using std::chrono::milliseconds;

WorkQueue::WorkQueue(Options opt, QueueObserver* observer)
    : opt_(opt), observer_(observer), tokens_(opt.burst), tokens_at_(Clock::now()) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  if (observer_) observer_->Added();
  dirty_.insert(key);
  added_at_.emplace(key, Clock::now());
  if (processing_.count(key)) return;  // Done puts it back
  queue_.push_back(key);
  if (observer_) observer_->Depth(queue_.size());
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, milliseconds delay) {
  std::lock_guard lock(mu_);
  if (shutdown_) return;
  if (delay <= milliseconds(0)) return AddLocked(key);
  auto due = Clock::now() + delay;
  auto [it, inserted] = waiting_.emplace(key, due);
  if (!inserted && due < it->second) it->second = due;  // the earliest request wins
  cv_.notify_all();
}

milliseconds WorkQueue::NextDelay(const std::string& key) {
  std::lock_guard lock(mu_);
  int n = failures_[key]++;
  double per_item = opt_.base_delay.count() * std::pow(2.0, std::min(n, 62));
  per_item = std::min<double>(per_item, opt_.max_delay.count());
  // Token bucket: take a token now; when the bucket is empty the wait is how long the
  // missing token takes to refill.
  auto now = Clock::now();
  double elapsed = duration<double>(now - tokens_at_).count();
  tokens_ = std::min<double>(opt_.burst, tokens_ + elapsed * opt_.qps);
  tokens_at_ = now;
  tokens_ -= 1;
  double bucket = tokens_ >= 0 ? 0 : (-tokens_ / opt_.qps) * 1000.0;
  return milliseconds(static_cast<int64_t>(std::max(per_item, bucket)));
}

void WorkQueue::AddRateLimited(const std::string& key) {
  if (observer_) observer_->Retried();
  AddAfter(key, NextDelay(key));
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked(Clock::time_point now) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second <= now) {
      std::string key = it->first;
      it = waiting_.erase(it);
      AddLocked(key);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> WorkQueue::Get(std::optional<milliseconds> timeout) {
  std::unique_lock lock(mu_);
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  for (;;) {
    auto now = Clock::now();
    PromoteDueLocked(now);
    if (!queue_.empty()) break;
    if (shutdown_ || now >= deadline) return std::nullopt;
    auto wake = deadline;
    for (const auto& [k, due] : waiting_) wake = std::min(wake, due);
    if (wake == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, wake);
    }
  }
  std::string key = queue_.front();
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  auto now = Clock::now();
  if (auto it = added_at_.find(key); it != added_at_.end()) {
    if (observer_) observer_->Queued(duration<double>(now - it->second).count());
    added_at_.erase(it);
  }
  started_at_[key] = now;
  if (observer_) observer_->Depth(queue_.size());
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (auto it = started_at_.find(key); it != started_at_.end()) {
    if (observer_) observer_->Worked(duration<double>(Clock::now() - it->second).count());
    started_at_.erase(it);
  }
  if (dirty_.count(key)) {
    queue_.push_back(key);
    if (observer_) observer_->Depth(queue_.size());
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

size_t WorkQueue::Len() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace tern::kube
