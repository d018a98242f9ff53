// Background scan/query jobs (apply a UDF or operations to every matching record): a queue
// run by one worker thread, and the status table that `query-show` reads. What a job does is
// given by its owner as a function; the manager schedules it, reports progress and aborts it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace tern::query {

struct JobProgress {
  std::atomic<uint32_t> partitions_done{0};
  std::atomic<uint64_t> records_read{0};
  std::atomic<uint64_t> succeeded{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<bool> abort{false};
};

struct JobInfo {
  uint64_t id = 0;
  std::string ns;
  std::string set;
  std::string module;  // "scan" / "query" as clients list them
  enum class State { kQueued, kRunning, kDone, kAborted } state = State::kQueued;
  uint32_t partitions_done = 0;
  uint64_t records_read = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

class JobManager {
 public:
  using Work = std::function<void(JobProgress& progress)>;

  JobManager();
  ~JobManager();

  // Queues a job under the client's task id; false if that id is already known.
  bool Submit(uint64_t id, std::string ns, std::string set, Work work);
  std::optional<JobInfo> Get(uint64_t id) const;
  // Asks a queued or running job to stop; false when no such job is active.
  bool Abort(uint64_t id);

 private:
  struct Job {
    JobInfo info;
    JobProgress progress;
    Work work;
  };
  void Run(std::stop_token stop);
  static JobInfo Snapshot(const Job& j);

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<uint64_t, std::shared_ptr<Job>> jobs_;  // finished ones are kept for query-show
  std::deque<std::shared_ptr<Job>> queue_;
  std::jthread worker_;
};

}  // namespace tern::query
