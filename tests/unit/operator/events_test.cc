#include "kube/events.h"

#include <gtest/gtest.h>

#include "fake_api.h"
#include "fake_transport.h"

namespace tern::kube {
namespace {

using namespace std::chrono_literals;

TEST(EventRecorder, PostsAnEventAndCountsRepeats) {
  auto api = std::make_shared<FakeApi>();
  Client client(api, RetryPolicy{1, 1ms, 1ms});
  EventRecorder rec(client, "tern-operator");
  json tc = {{"apiVersion", "tern.dev/v1alpha1"},
             {"kind", "TernCluster"},
             {"metadata", {{"name", "db"}, {"namespace", "prod"}, {"uid", "u1"}}}};
  rec.Record(tc, "Warning", "RefusedScaleDown", "namespace test has replicationFactor 2");
  rec.Record(tc, "Warning", "RefusedScaleDown", "namespace test has replicationFactor 2");
  rec.Record(tc, "Normal", "ScalingUp", "3 to 4");
  std::vector<json> events;
  for (const auto& [p, o] : api->objects) {
    if (p.rfind("/api/v1/namespaces/prod/events/", 0) == 0) events.push_back(o);
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(api->Count("POST /api/v1/namespaces/prod/events"), 2u);
  EXPECT_EQ(api->Count("PATCH /api/v1/namespaces/prod/events/db."), 1u);
  for (const auto& e : events) {
    EXPECT_EQ(e["involvedObject"]["kind"], "TernCluster");
    EXPECT_EQ(e["involvedObject"]["uid"], "u1");
    EXPECT_EQ(e["source"]["component"], "tern-operator");
    if (e["reason"] == "RefusedScaleDown") {
      EXPECT_EQ(e["count"], 2);
      EXPECT_EQ(e["type"], "Warning");
    } else {
      EXPECT_EQ(e["count"], 1);
    }
  }
}

TEST(EventRecorder, NeverThrowsWhenTheApiFails) {
  auto t = std::make_shared<FakeTransport>();  // nothing scripted: every call fails
  Client client(t, RetryPolicy{1, 1ms, 1ms});
  EventRecorder rec(client, "x");
  json obj = {{"metadata", {{"name", "db"}, {"namespace", "a"}}}};
  EXPECT_NO_THROW(rec.Record(obj, "Normal", "R", "m"));
  t->Queue("POST", {500, "boom"});
  EXPECT_NO_THROW(rec.Record(obj, "Normal", "R2", "m"));
  EXPECT_EQ(t->requests().size(), 2u);
}

}  // namespace
}  // namespace tern::kube
