#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include <thread>

#include "fake_api.h"

namespace tern::kube {
namespace {

using namespace std::chrono_literals;

const std::string kLease = "/apis/coordination.k8s.io/v1/namespaces/ops/leases/op";

class LeaderElectionTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeApi> api = std::make_shared<FakeApi>();
  Client client{api, RetryPolicy{1, 1ms, 1ms}};
  LeaderElector Elector(const std::string& id, std::chrono::seconds lease = 15s) {
    return LeaderElector(client, {"ops", "op", id, lease, 10s, 2s});
  }
};

TEST_F(LeaderElectionTest, OneHolderAtATimeAndAReleasedLeaseIsTakenAtOnce) {
  auto a = Elector("a"), b = Elector("b");
  EXPECT_TRUE(a.TryAcquireOrRenew());
  EXPECT_EQ(api->objects[kLease]["spec"]["holderIdentity"], "a");
  EXPECT_FALSE(b.TryAcquireOrRenew());
  const std::string renewed = api->objects[kLease]["spec"]["renewTime"];
  std::this_thread::sleep_for(2ms);
  EXPECT_TRUE(a.TryAcquireOrRenew());  // renews
  EXPECT_NE(api->objects[kLease]["spec"]["renewTime"], renewed);
  EXPECT_FALSE(b.TryAcquireOrRenew());
  a.Release();
  EXPECT_EQ(api->objects[kLease]["spec"]["holderIdentity"], "");
  EXPECT_TRUE(b.TryAcquireOrRenew());
  EXPECT_EQ(api->objects[kLease]["spec"]["holderIdentity"], "b");
  EXPECT_EQ(api->objects[kLease]["spec"]["leaseTransitions"], 1);
}

TEST_F(LeaderElectionTest, AnUnrenewedLeaseIsTakenOverAfterItsDurationOnOurClock) {
  auto a = Elector("a", 2s), c = Elector("c", 2s);
  EXPECT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(c.TryAcquireOrRenew());  // first sight of a's record: its clock starts now
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(c.TryAcquireOrRenew());
  std::this_thread::sleep_for(2000ms);
  EXPECT_TRUE(c.TryAcquireOrRenew());  // a stopped renewing 2.2 s ago
  EXPECT_EQ(api->objects[kLease]["spec"]["holderIdentity"], "c");
}

TEST_F(LeaderElectionTest, RunCallsBackAndReleasesOnStop) {
  auto a = Elector("a");
  std::atomic<bool> stop{false};
  std::atomic<int> started{0}, stopped{0};
  std::thread t([&] {
    a.Run(
        stop, [&] { ++started; }, [&] { ++stopped; });
  });
  for (int i = 0; i < 100 && !started; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(started.load(), 1);
  EXPECT_TRUE(a.IsLeader());
  stop = true;
  t.join();
  EXPECT_EQ(stopped.load(), 1);
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(api->objects[kLease]["spec"]["holderIdentity"], "");
}

}  // namespace
}  // namespace tern::kube
