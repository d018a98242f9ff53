// A rate-limited work queue with client-go's guarantees: a key waiting twice is queued once,
// and a key being processed is never handed to a second worker; adding it meanwhile marks it
// dirty so it comes back once Done.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace tern::kube {

// Hooks for workqueue_* metrics; all optional.
struct QueueObserver {
  virtual ~QueueObserver() = default;
  virtual void Depth(size_t) {}
  virtual void Added() {}
  virtual void Retried() {}
  virtual void Queued(double seconds) {}  // time from Add to Get
  virtual void Worked(double seconds) {}  // time from Get to Done
};

struct WorkQueueOptions {
  std::chrono::milliseconds base_delay{5};  // per-item backoff: base * 2^failures
  std::chrono::milliseconds max_delay{std::chrono::seconds(1000)};
  double qps = 10;  // overall token bucket
  int burst = 100;
};

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using Options = WorkQueueOptions;

  explicit WorkQueue(Options opt = {}, QueueObserver* observer = nullptr);

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // After a failure: waits the larger of the key's backoff and the overall rate limit.
  void AddRateLimited(const std::string& key);
  std::chrono::milliseconds NextDelay(const std::string& key);  // what AddRateLimited waits
  void Forget(const std::string& key);                          // success: reset the key's backoff
  int NumRequeues(const std::string& key);

  // Blocks for the next key; nullopt once shut down (or after `timeout` when given).
  std::optional<std::string> Get(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  void Done(const std::string& key);
  void ShutDown();
  size_t Len();

 private:
  void AddLocked(const std::string& key);
  void PromoteDueLocked(Clock::time_point now);

  const Options opt_;
  QueueObserver* observer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;
  std::set<std::string> processing_;
  std::map<std::string, Clock::time_point> added_at_;
  std::map<std::string, Clock::time_point> started_at_;
  std::map<std::string, Clock::time_point> waiting_;  // delayed keys and when they are due
  std::map<std::string, int> failures_;
  double tokens_;
  Clock::time_point tokens_at_;
  bool shutdown_ = false;
};

}  // namespace tern::kube
