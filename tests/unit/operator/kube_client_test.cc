#include <gtest/gtest.h>

#include "fake_transport.h"
#include "kube/client.h"

namespace tern::kube {
namespace {

using namespace std::chrono_literals;

RetryPolicy Fast() { return RetryPolicy{4, 1ms, 2ms}; }

TEST(ResourcePath, CoreGroupsNamespacesAndSubresources) {
  EXPECT_EQ(ResourcePath(resources::kPods, "a"), "/api/v1/namespaces/a/pods");
  EXPECT_EQ(ResourcePath(resources::kPods, ""), "/api/v1/pods");
  EXPECT_EQ(ResourcePath(resources::kStatefulSets, "a", "web", "scale"),
            "/apis/apps/v1/namespaces/a/statefulsets/web/scale");
  EXPECT_EQ(ResourcePath(resources::kTernClusters, "x", "c", "status"),
            "/apis/tern.dev/v1alpha1/namespaces/x/ternclusters/c/status");
  EXPECT_EQ(ResourcePath(resources::kLeases, "kube-system", "l"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l");
}

std::string Status(int code, const std::string& reason) {
  return json{{"kind", "Status"}, {"code", code}, {"reason", reason}, {"message", "m"}}.dump();
}

TEST(Client, ErrorsAreTypedByStatus) {
  auto t = std::make_shared<FakeTransport>();
  Client c(t, Fast());
  t->Queue("GET /api/v1/namespaces/a/pods/p", {404, Status(404, "NotFound")});
  EXPECT_THROW(c.Get(resources::kPods, "a", "p"), NotFoundError);
  t->Queue("PUT", {409, Status(409, "Conflict")});
  EXPECT_THROW(c.Update(resources::kPods, "a", "p", json::object()), ConflictError);
  t->Queue("POST", {422, Status(422, "Invalid")});
  try {
    c.Create(resources::kPods, "a", json::object());
    FAIL() << "no error";
  } catch (const InvalidError& e) {
    EXPECT_EQ(e.code(), 422);
    EXPECT_EQ(e.reason(), "Invalid");
  }
  t->Queue("GET /api/v1/namespaces/a/pods/gone", {410, Status(410, "Gone")});
  EXPECT_THROW(c.Get(resources::kPods, "a", "gone"), GoneError);
  t->Queue("GET /api/v1/namespaces/a/pods/q", {404, Status(404, "NotFound")});
  EXPECT_EQ(c.GetIfExists(resources::kPods, "a", "q"), std::nullopt);
}

TEST(Client, RetriesTooManyRequestsThenSucceeds) {
  auto t = std::make_shared<FakeTransport>();
  Client c(t, Fast());
  t->Queue("GET", {429, Status(429, "TooManyRequests"), {}, {{"retry-after", "0"}}});
  t->Queue("GET", {503, "busy"});
  t->Queue("GET", {200, R"({"metadata":{"name":"p"}})"});
  EXPECT_EQ(c.Get(resources::kPods, "a", "p")["metadata"]["name"], "p");
  EXPECT_EQ(t->requests().size(), 3u);
}

TEST(Client, GivesUpOnTooManyRequestsAfterItsAttempts) {
  auto t = std::make_shared<FakeTransport>();
  Client c(t, Fast());
  for (int i = 0; i < 4; ++i) {
    t->Queue("GET", {429, Status(429, "TooManyRequests"), {}, {{"retry-after", "0"}}});
  }
  EXPECT_THROW(c.Get(resources::kPods, "a", "p"), TooManyRequestsError);
}

TEST(Client, PatchesCarryTheirContentTypes) {
  auto t = std::make_shared<FakeTransport>();
  Client c(t, Fast());
  t->Queue("PATCH", {200, "{}"});
  t->Queue("PATCH", {200, "{}"});
  c.MergePatch(resources::kTernClusters, "a", "c", {{"status", {{"phase", "Running"}}}}, "status");
  c.JsonPatch(resources::kTernUdfs, "a", "u", json::array({{{"op", "remove"}, {"path", "/x"}}}));
  auto reqs = t->requests();
  EXPECT_EQ(reqs[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(reqs[0].path, "/apis/tern.dev/v1alpha1/namespaces/a/ternclusters/c/status");
  EXPECT_EQ(reqs[1].content_type, "application/json-patch+json");
}

TEST(Client, ListFollowsContinueAndStampsKinds) {
  auto t = std::make_shared<FakeTransport>();
  Client c(t, Fast());
  t->Queue("GET /api/v1/namespaces/a/configmaps?limit=500&continue=",
           {200, R"({"metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"y"}}]})"});
  t->Queue("GET /api/v1/namespaces/a/configmaps",
           {200, R"({"metadata":{"continue":"tok","resourceVersion":"7"},
                     "items":[{"metadata":{"name":"x"}}]})"});
  json l = c.List(resources::kConfigMaps, "a");
  ASSERT_EQ(l["items"].size(), 2u);
  EXPECT_EQ(l["items"][1]["metadata"]["name"], "y");
  EXPECT_EQ(l["items"][0]["kind"], "ConfigMap");
  EXPECT_EQ(l["items"][0]["apiVersion"], "v1");
  EXPECT_EQ(l["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(t->requests()[1].path, "/api/v1/namespaces/a/configmaps?limit=500&continue=tok");
}

TEST(Client, WatchStreamsEventsAndTurnsAnExpiredErrorEventIntoGone) {
  auto t = std::make_shared<FakeTransport>();
  Client c(t, Fast());
  FakeTransport::Answer a;
  a.lines = {R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})", "not json",
             R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})",
             R"({"type":"ADDED","object":{"metadata":{"name":"never"}}})"};
  t->Queue("GET", a);
  std::vector<std::string> seen;
  EXPECT_THROW(c.Watch(resources::kPods, "a", WatchOptions{"5", "x=y", 60, true},
                       [&](const std::string& type, const json& o) {
                         seen.push_back(type + ":" + o["metadata"]["name"].get<std::string>());
                         return true;
                       }),
               GoneError);
  EXPECT_EQ(seen, std::vector<std::string>{"ADDED:a"});
  EXPECT_EQ(t->requests()[0].path,
            "/api/v1/namespaces/a/pods?watch=1&resourceVersion=5&labelSelector=x%3Dy&"
            "allowWatchBookmarks=true&timeoutSeconds=60");
}

}  // namespace
}  // namespace tern::kube
