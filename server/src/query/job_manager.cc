#include "query/job_manager.h"

#include "base/clock.h"

namespace tern::query {

namespace {
constexpr size_t kKeepFinished = 1000;  // finished jobs remembered for query-show
}

JobManager::JobManager() : worker_([this](std::stop_token st) { Run(st); }) {}

JobManager::~JobManager() {
  {
    std::lock_guard lock(mu_);
    for (auto& [id, j] : jobs_) j->progress.abort = true;
  }
  worker_.request_stop();
  cv_.notify_all();
}

bool JobManager::Submit(uint64_t id, std::string ns, std::string set, Work work) {
  auto job = std::make_shared<Job>();
  job->info.id = id;
  job->info.ns = std::move(ns);
  job->info.set = std::move(set);
  job->info.module = "scan";
  job->info.start_ms = base::NowUnixMs();
  job->work = std::move(work);
  {
    std::lock_guard lock(mu_);
    if (jobs_.contains(id)) return false;
    if (jobs_.size() >= kKeepFinished) {
      for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
        if (it->second->info.state == JobInfo::State::kDone ||
            it->second->info.state == JobInfo::State::kAborted) {
          jobs_.erase(it);
          break;
        }
      }
    }
    jobs_.emplace(id, job);
    queue_.push_back(job);
  }
  cv_.notify_all();
  return true;
}

JobInfo JobManager::Snapshot(const Job& j) {
  JobInfo info = j.info;
  info.partitions_done = j.progress.partitions_done.load();
  info.records_read = j.progress.records_read.load();
  info.succeeded = j.progress.succeeded.load();
  info.failed = j.progress.failed.load();
  return info;
}

std::optional<JobInfo> JobManager::Get(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return Snapshot(*it->second);
}

bool JobManager::Abort(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return false;
  const auto state = it->second->info.state;
  if (state != JobInfo::State::kQueued && state != JobInfo::State::kRunning) return false;
  it->second->progress.abort = true;
  return true;
}

void JobManager::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [&] { return !queue_.empty(); });
      if (stop.stop_requested()) return;
      job = queue_.front();
      queue_.pop_front();
      job->info.state = JobInfo::State::kRunning;
    }
    if (!job->progress.abort) job->work(job->progress);
    std::lock_guard lock(mu_);
    job->info.state = job->progress.abort ? JobInfo::State::kAborted : JobInfo::State::kDone;
    job->info.end_ms = base::NowUnixMs();
  }
}

}  // namespace tern::query
