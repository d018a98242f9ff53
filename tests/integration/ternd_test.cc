// ternd as a user runs it: a real process on a loopback address, probed over HTTP.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_node.h"

namespace tern::testing {
namespace {

using nlohmann::json;

std::filesystem::path TestDir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("tern-it-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}

const char* kNamespaces = R"(  - name: test
    storage: memory
  - name: bar
    storage: flash
    sets:
      - name: demo
        default_ttl: 60
)";

class TerndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    node_ = new TestNode("127.0.0.21", TestDir("ternd"));
    node_->Start(kNamespaces);
    ASSERT_TRUE(node_->WaitReady()) << node_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(node_->Stop(), 0) << node_->log();  // SIGTERM is a clean shutdown
    std::filesystem::remove_all(node_->dir());
    delete node_;
  }
  static TestNode* node_;
};
TestNode* TerndTest::node_ = nullptr;

TEST_F(TerndTest, HealthAndReadiness) {
  HttpResponse h = node_->Get("/v1/health");
  ASSERT_EQ(h.status, 200);
  json body = json::parse(h.body);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_FALSE(body["node"].get<std::string>().empty());
  EXPECT_EQ(node_->Get("/v1/ready").status, 200);
}

TEST_F(TerndTest, NamespacesListsConfiguredOnes) {
  HttpResponse r = node_->Get("/v1/namespaces");
  ASSERT_EQ(r.status, 200);
  json all = json::parse(r.body);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["name"], "test");
  EXPECT_EQ(all[0]["storage"], "memory");
  EXPECT_EQ(all[1]["name"], "bar");
  EXPECT_EQ(all[1]["storage"], "flash");
  EXPECT_EQ(all[1]["sets"][0]["name"], "demo");
  EXPECT_EQ(all[1]["sets"][0]["default_ttl"], 60);
  EXPECT_EQ(node_->Get("/v1/namespaces/nope").status, 404);
}

TEST_F(TerndTest, InfoAnswersAsTheInfoProtocol) {
  HttpResponse r = node_->Get("/v1/info/namespaces");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "test;bar");
  EXPECT_EQ(node_->Get("/v1/info/status").body, "ok");
  EXPECT_EQ(node_->Get("/v1/info/bogus-command").body, "ERROR:4:unrecognized command");
  EXPECT_NE(node_->Get("/v1/info/namespace%2Fbar").body.find("storage-engine=flash"),
            std::string::npos);
  // A live change through set-config shows in get-config.
  EXPECT_EQ(node_->Get("/v1/info/set-config:context=namespace;id=test;default-ttl=77").body, "ok");
  EXPECT_NE(node_->Get("/v1/info/get-config:context=namespace;id=test").body.find("default-ttl=77"),
            std::string::npos);
  EXPECT_EQ(node_->Get("/v1/info/set-config:context=namespace;id=test;default-ttl=-3")
                .body.rfind("ERROR:4:", 0),
            0u);
}

TEST_F(TerndTest, PolicyChangesLiveAndRejectsBadValuesWhole) {
  HttpResponse ok =
      HttpRequest(node_->address(), 8080, "PATCH", "/v1/namespaces/test/policy",
                  R"({"default_ttl": 3600, "sets": {"users": {"stop_writes_count": 10}}})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["default_ttl"], 3600);
  HttpResponse bad = HttpRequest(node_->address(), 8080, "PATCH", "/v1/namespaces/test/policy",
                                 R"({"default_ttl": 5, "stop_writes_pct": 400})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("stop_writes_pct"), std::string::npos);
  // the good half of a bad request was not applied
  EXPECT_EQ(json::parse(node_->Get("/v1/namespaces/test/policy").body)["default_ttl"], 3600);
  EXPECT_EQ(
      HttpRequest(node_->address(), 8080, "PATCH", "/v1/namespaces/test/policy", "not json").status,
      400);
  EXPECT_EQ(HttpRequest(node_->address(), 8080, "DELETE", "/v1/health").status, 405);
  EXPECT_EQ(node_->Get("/v2/nothing").status, 404);
}

TEST_F(TerndTest, MetricsExposeNamespaceGaugesAndPassPromtool) {
  HttpResponse m = node_->Get("/metrics", 9145);
  ASSERT_EQ(m.status, 200);
  for (const char* name :
       {"tern_namespace_objects{ns=\"test\"}", "tern_namespace_memory_bytes{ns=\"bar\"}",
        "tern_namespace_index_bytes{ns=\"test\"}", "tern_namespace_disk_bytes{ns=\"bar\"}",
        "# TYPE tern_op_latency_seconds histogram", "tern_cluster_size 1",
        "tern_migrate_partitions_remaining 0", "# TYPE tern_proxy_total counter",
        "# TYPE tern_replication_latency_seconds histogram"}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
  }
  auto file = node_->dir() / "metrics.txt";
  std::ofstream(file) << m.body;
  std::string cmd = "promtool check metrics < " + file.string() + " > " +
                    (node_->dir() / "promtool.out").string() + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream out(node_->dir() / "promtool.out");
  std::string text((std::istreambuf_iterator<char>(out)), {});
  EXPECT_EQ(rc, 0) << text;
}

TEST(TerndConfigTest, BadConfigStopsStartupNamingKeyAndLine) {
  auto dir = TestDir("badconfig");
  TestNode node("127.0.0.22", dir);
  std::filesystem::create_directories(dir);
  std::ofstream(node.config_path()) << "node:\n  address: 127.0.0.22\nnamespaces:\n  - name: "
                                       "test\n    replication_factor: many\n";
  node.StartWithArgs({"--config", node.config_path().string()});
  EXPECT_EQ(node.WaitExit(), 1);
  EXPECT_NE(node.log().find(":5:"), std::string::npos) << node.log();
  EXPECT_NE(node.log().find("replication_factor"), std::string::npos) << node.log();
  std::filesystem::remove_all(dir);
}

TEST(TerndConfigTest, EmbeddedDefaultConfigPrintsAndParses) {
  auto dir = TestDir("default");
  TestNode node("127.0.0.1", dir);
  node.StartWithArgs({"--print-default-config"});
  EXPECT_EQ(node.WaitExit(), 0);
  EXPECT_NE(node.log().find("name: test"), std::string::npos);
  EXPECT_NE(node.log().find("name: bar"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tern::testing

namespace tern::testing {
namespace {

// Behind NAT or in a Kubernetes pod a node listens on one address and is reached at another:
// --advertise-address (or node.advertise_address) is what clients and peers are told.
TEST(TerndConfigTest, AdvertisedAddressIsWhatClientsAreTold) {
  auto dir = TestDir("advertise");
  TestNode node("127.0.0.25", dir);
  std::filesystem::create_directories(dir);
  std::ofstream(node.config_path())
      << "node:\n  address: 127.0.0.25\n  data_dir: " << (dir / "data").string()
      << "\nnamespaces:\n  - name: test\n    storage: memory\n";
  node.StartWithArgs(
      {"--config", node.config_path().string(), "--advertise-address", "127.0.0.26"});
  ASSERT_TRUE(node.WaitReady()) << node.log();
  EXPECT_EQ(node.Get("/v1/info/service-clear-std").body, "127.0.0.26:3000");
  EXPECT_EQ(node.Stop(), 0);
  // A wildcard cannot be advertised: ternd says so and exits.
  node.StartWithArgs({"--config", node.config_path().string(), "--advertise-address", "0.0.0.0"});
  EXPECT_EQ(node.WaitExit(), 1);
  EXPECT_NE(node.log().find("cannot be a wildcard"), std::string::npos) << node.log();
  std::filesystem::remove_all(dir);
}

TEST(TerndUdfTest, ModulesAreManagedOverRestAndSurviveRestart) {
  auto dir = TestDir("udf");
  TestNode node("127.0.0.24", dir);
  node.Start("  - name: test\n    storage: memory\n");
  ASSERT_TRUE(node.WaitReady()) << node.log();
  const std::string src = "function hello(rec, who)\n  return 'hello ' .. who\nend\n";
  HttpResponse put = HttpRequest(node.address(), 8080, "PUT", "/v1/udf/greet.lua", src);
  ASSERT_EQ(put.status, 200) << put.body;
  const std::string hash = json::parse(put.body)["hash"];
  EXPECT_EQ(hash.size(), 40u);
  // A module that does not compile is refused whole, with the line of the error.
  HttpResponse bad =
      HttpRequest(node.address(), 8080, "PUT", "/v1/udf/broken.lua", "x = 1\ny = = 2\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["line"], 2);
  EXPECT_EQ(node.Get("/v1/udf/broken.lua").status, 404);
  EXPECT_NE(node.Get("/v1/info/udf-list").body.find("filename=greet.lua,hash=" + hash),
            std::string::npos);

  // A restarted node has its modules at once (system metadata is persisted).
  EXPECT_EQ(node.Stop(), 0);
  node.StartWithArgs({"--config", node.config_path().string()});
  ASSERT_TRUE(node.WaitReady()) << node.log();
  HttpResponse list = node.Get("/v1/udf");
  ASSERT_EQ(list.status, 200);
  json modules = json::parse(list.body);
  ASSERT_EQ(modules.size(), 1u);
  EXPECT_EQ(modules[0]["filename"], "greet.lua");
  EXPECT_EQ(modules[0]["hash"], hash);
  EXPECT_EQ(json::parse(node.Get("/v1/udf/greet.lua").body)["source"], src);
  EXPECT_EQ(HttpRequest(node.address(), 8080, "DELETE", "/v1/udf/greet.lua").status, 200);
  EXPECT_EQ(node.Get("/v1/info/udf-list").body, "");
  EXPECT_EQ(node.Stop(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tern::testing
