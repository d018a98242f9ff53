#include "kube/informer.h"

#include <gtest/gtest.h>

#include "fake_transport.h"

namespace tern::kube {
namespace {

using namespace std::chrono_literals;

json Pod(const std::string& name, const std::string& rv, const std::string& owner = "") {
  json p = {{"metadata", {{"name", name}, {"namespace", "a"}, {"resourceVersion", rv}}}};
  if (!owner.empty()) p["metadata"]["ownerReferences"] = json::array({{{"uid", owner}}});
  return p;
}

std::string List(const std::string& rv, std::vector<json> items) {
  return json{{"metadata", {{"resourceVersion", rv}}}, {"items", items}}.dump();
}

std::string Event(const std::string& type, const json& obj) {
  return json{{"type", type}, {"object", obj}}.dump();
}

struct Recorder {
  std::vector<std::string> log;
  EventHandlers Handlers() {
    return {[this](const json& o) { log.push_back("add " + ObjectKey(o)); },
            [this](const json&, const json& o) { log.push_back("update " + ObjectKey(o)); },
            [this](const json& o) { log.push_back("delete " + ObjectKey(o)); }};
  }
};

class InformerTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeTransport> t = std::make_shared<FakeTransport>();
  Client client{t, RetryPolicy{1, 1ms, 1ms}};
  Informer inf{client, resources::kPods, "a", "app=x", 60};
  Recorder rec;
  void SetUp() override { inf.AddHandlers(rec.Handlers()); }
};

TEST_F(InformerTest, ListsThenWatchesFromTheListsVersionWithBookmarks) {
  t->Queue("GET /api/v1/namespaces/a/pods?labelSelector",
           {200, List("10", {Pod("p1", "8", "u1"), Pod("p2", "9", "u1")})});
  FakeTransport::Answer w;
  w.lines = {Event("ADDED", Pod("p3", "11")), Event("MODIFIED", Pod("p1", "12", "u2")),
             Event("DELETED", Pod("p2", "13")),
             Event("BOOKMARK", {{"metadata", {{"resourceVersion", "20"}}}})};
  t->Queue("GET /api/v1/namespaces/a/pods?watch=1", w);
  EXPECT_FALSE(inf.HasSynced());
  inf.Step();
  EXPECT_TRUE(inf.HasSynced());
  EXPECT_EQ(rec.log, (std::vector<std::string>{"add a/p1", "add a/p2", "add a/p3", "update a/p1",
                                               "delete a/p2"}));
  auto reqs = t->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_NE(reqs[1].path.find("resourceVersion=10"), std::string::npos);
  EXPECT_NE(reqs[1].path.find("allowWatchBookmarks=true"), std::string::npos);
  EXPECT_NE(reqs[1].path.find("labelSelector=app%3Dx"), std::string::npos);
  EXPECT_EQ(inf.resource_version(), "20");  // from the bookmark
  EXPECT_TRUE(inf.Get("a", "p1"));
  EXPECT_FALSE(inf.Get("a", "p2"));
  // The owner index follows the update: p1 moved from u1 to u2.
  EXPECT_TRUE(inf.ByOwner("u1").empty());
  ASSERT_EQ(inf.ByOwner("u2").size(), 1u);

  // The watch ended (timeout): the next step watches again from the bookmark, no relist.
  t->Queue("GET /api/v1/namespaces/a/pods?watch=1", {});
  inf.Step();
  EXPECT_EQ(inf.lists(), 1u);
  EXPECT_NE(t->requests().back().path.find("resourceVersion=20"), std::string::npos);
}

TEST_F(InformerTest, GoneRelistsAndSynthesizesDeletesForWhatVanished) {
  t->Queue("GET /api/v1/namespaces/a/pods?labelSelector",
           {200, List("10", {Pod("p1", "1"), Pod("p2", "2"), Pod("p3", "3")})});
  t->Queue("GET /api/v1/namespaces/a/pods?watch=1", {410, R"({"kind":"Status","code":410})"});
  EXPECT_THROW(inf.Step(), GoneError);
  EXPECT_EQ(inf.resource_version(), "");
  rec.log.clear();
  // While we were away p2 and p3 were deleted and p4 created.
  t->Queue("GET /api/v1/namespaces/a/pods?labelSelector",
           {200, List("30", {Pod("p1", "25"), Pod("p4", "28")})});
  t->Queue("GET /api/v1/namespaces/a/pods?watch=1", {});
  inf.Step();
  EXPECT_EQ(inf.lists(), 2u);
  EXPECT_EQ(rec.log,
            (std::vector<std::string>{"update a/p1", "add a/p4", "delete a/p2", "delete a/p3"}));
  EXPECT_EQ(inf.List("a").size(), 2u);
}

TEST_F(InformerTest, AnExpiredErrorEventInTheStreamAlsoRelists) {
  t->Queue("GET /api/v1/namespaces/a/pods?labelSelector",
           {200, List("10", {Pod("p1", "1"), Pod("p2", "2")})});
  FakeTransport::Answer w;
  w.lines = {Event("ADDED", Pod("p3", "11")),
             Event("ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}})};
  t->Queue("GET /api/v1/namespaces/a/pods?watch=1", w);
  EXPECT_THROW(inf.Step(), GoneError);
  rec.log.clear();
  t->Queue("GET /api/v1/namespaces/a/pods?labelSelector", {200, List("40", {Pod("p3", "11")})});
  t->Queue("GET /api/v1/namespaces/a/pods?watch=1", {});
  inf.Step();
  EXPECT_EQ(rec.log, (std::vector<std::string>{"update a/p3", "delete a/p1", "delete a/p2"}));
}

TEST_F(InformerTest, RunKeepsWatchingAndRecoversFromGoneOnItsOwn) {
  t->Queue("GET /api/v1/namespaces/a/pods?labelSelector", {200, List("10", {Pod("p1", "1")})});
  t->Queue("GET /api/v1/namespaces/a/pods?watch=1", {410, "{}"});
  t->Queue("GET /api/v1/namespaces/a/pods?labelSelector", {200, List("50", {})});
  for (int i = 0; i < 100; ++i) t->Queue("GET /api/v1/namespaces/a/pods?watch=1", {});
  inf.Start();
  for (int i = 0; i < 200 && inf.lists() < 2; ++i) std::this_thread::sleep_for(10ms);
  inf.Stop();
  EXPECT_EQ(inf.lists(), 2u);
  EXPECT_TRUE(inf.List().empty());
  EXPECT_EQ(rec.log.back(), "delete a/p1");
}

}  // namespace
}  // namespace tern::kube
