#include "kube/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace tern::kube {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(WorkQueue, AddingAWaitingKeyTwiceQueuesItOnce) {
  WorkQueue q;
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(0ms), "a");
  EXPECT_EQ(q.Get(0ms), "b");
  EXPECT_EQ(q.Get(0ms), std::nullopt);
}

TEST(WorkQueue, AKeyBeingProcessedIsNotHandedOutAgainUntilDone) {
  WorkQueue q;
  q.Add("a");
  ASSERT_EQ(q.Get(0ms), "a");
  q.Add("a");  // changed while a worker has it: dirty, not queued
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.Get(10ms), std::nullopt);
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(0ms), "a");
  q.Done("a");
  EXPECT_EQ(q.Get(0ms), std::nullopt);  // processed once more, not twice more
}

TEST(WorkQueue, ConcurrentWorkersNeverShareAKey) {
  WorkQueue q;
  std::mutex mu;
  std::map<std::string, int> active;
  std::atomic<int> overlaps{0}, processed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto k = q.Get()) {
        {
          std::lock_guard l(mu);
          if (active[*k]++ > 0) ++overlaps;
        }
        std::this_thread::sleep_for(200us);
        {
          std::lock_guard l(mu);
          --active[*k];
        }
        ++processed;
        q.Done(*k);
      }
    });
  }
  std::thread producer([&] {
    for (int i = 0; i < 3000; ++i) q.Add("k" + std::to_string(i % 3));
    stop = true;
  });
  producer.join();
  while (q.Len() > 0) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(processed.load(), 3);
}

TEST(WorkQueue, AddAfterHoldsTheKeyBackUntilDue) {
  WorkQueue q;
  auto start = Clock::now();
  q.AddAfter("a", 300ms);
  EXPECT_EQ(q.Get(20ms), std::nullopt);
  auto k = q.Get(3000ms);
  ASSERT_EQ(k, "a");
  EXPECT_GE(Clock::now() - start, 300ms);
}

TEST(WorkQueue, AddAfterKeepsTheEarliestRequest) {
  WorkQueue q;
  auto start = Clock::now();
  q.AddAfter("a", 5000ms);
  q.AddAfter("a", 30ms);
  ASSERT_EQ(q.Get(2000ms), "a");
  EXPECT_LT(Clock::now() - start, 2000ms);
  q.Done("a");
}

TEST(WorkQueue, PerItemBackoffDoublesAndForgetResetsIt) {
  WorkQueue q(WorkQueueOptions{5ms, 100ms, 1e6, 1000000});
  EXPECT_EQ(q.NextDelay("a"), 5ms);
  EXPECT_EQ(q.NextDelay("a"), 10ms);
  EXPECT_EQ(q.NextDelay("a"), 20ms);
  EXPECT_EQ(q.NextDelay("b"), 5ms);  // per item
  EXPECT_EQ(q.NumRequeues("a"), 3);
  for (int i = 0; i < 10; ++i) q.NextDelay("a");
  EXPECT_EQ(q.NextDelay("a"), 100ms);  // capped
  q.Forget("a");
  EXPECT_EQ(q.NumRequeues("a"), 0);
  EXPECT_EQ(q.NextDelay("a"), 5ms);
}

TEST(WorkQueue, OverallTokenBucketSpacesRetriesOnceTheBurstIsUsed) {
  // One token a second: the refill during the test itself (milliseconds) stays in the slack.
  WorkQueue q(WorkQueueOptions{0ms, 0ms, 1, 2});
  EXPECT_EQ(q.NextDelay("a"), 0ms);
  EXPECT_EQ(q.NextDelay("b"), 0ms);
  auto third = q.NextDelay("c");
  auto fourth = q.NextDelay("d");
  EXPECT_GE(third, 800ms);
  EXPECT_LE(third, 1000ms);
  EXPECT_GE(fourth, 1800ms);
  EXPECT_LE(fourth, 2000ms);
}

TEST(WorkQueue, AddRateLimitedRequeuesAfterTheBackoff) {
  WorkQueue q(WorkQueueOptions{300ms, 1000ms, 1e6, 1000000});
  q.AddRateLimited("a");
  EXPECT_EQ(q.Get(10ms), std::nullopt);
  EXPECT_EQ(q.Get(3000ms), "a");
}

TEST(WorkQueue, ShutDownWakesABlockedGet) {
  WorkQueue q;
  std::optional<std::string> got = "x";
  std::thread t([&] { got = q.Get(); });
  std::this_thread::sleep_for(20ms);
  q.ShutDown();
  t.join();
  EXPECT_EQ(got, std::nullopt);
}

struct CountingObserver : QueueObserver {
  int adds = 0, retries = 0, queued = 0, worked = 0;
  size_t depth = 0;
  void Depth(size_t n) override { depth = n; }
  void Added() override { ++adds; }
  void Retried() override { ++retries; }
  void Queued(double) override { ++queued; }
  void Worked(double) override { ++worked; }
};

TEST(WorkQueue, ReportsMetrics) {
  CountingObserver o;
  WorkQueue q(WorkQueueOptions{}, &o);
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(o.adds, 2);
  EXPECT_EQ(o.depth, 2u);
  auto k = q.Get(0ms);
  EXPECT_EQ(o.queued, 1);
  q.Done(*k);
  EXPECT_EQ(o.worked, 1);
  q.AddRateLimited("c");
  EXPECT_EQ(o.retries, 1);
}

}  // namespace
}  // namespace tern::kube
