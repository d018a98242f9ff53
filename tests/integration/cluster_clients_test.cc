// Both smart clients against two real ternd nodes (127.0.0.65, .66, replication factor 2):
// tern::wire::ClusterClient (Aerospike wire protocol) and libternclient (gRPC) each learn both
// nodes from one seed, send every key to its master (no node proxies a single command), and
// keep working when a node leaves; libternclient's batches (sync and async) span both nodes. Plus
// the peers-clear-std parser.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tern/client.h"
#include "tern/wire/cluster_client.h"
#include "test_node.h"

namespace tern::testing {
namespace {

using record::Value;
using wire::Key;

constexpr const char* kAddresses[] = {"127.0.0.65", "127.0.0.66"};

TEST(ParsePeersTest, EveryFormTheServersSend) {
  auto peers = wire::ParsePeers("7,3000,[[BB9,,[127.0.0.12:3000]],[AA1,tls,[10.0.0.1,10.0.0.2]]]");
  ASSERT_TRUE(peers.ok()) << peers.status();
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_EQ((*peers)[0].name, "BB9");
  EXPECT_EQ((*peers)[0].host, "127.0.0.12");
  EXPECT_EQ((*peers)[0].port, 3000);
  EXPECT_EQ((*peers)[1].host, "10.0.0.1");  // no port: the default one
  EXPECT_EQ((*peers)[1].port, 3000);
  auto none = wire::ParsePeers("1,3000,[]");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  for (const char* bad : {"", "1,3000", "1,x,[]", "1,3000,[[BB9,,[127.0.0.1:3000]]",
                          "1,3000,[[,,[127.0.0.1:3000]]]", "1,0,[[A,,[h]]]"}) {
    EXPECT_FALSE(wire::ParsePeers(bad).ok()) << bad;
  }
}

class ClusterClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-it-cluster-clients-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    for (const char* a : kAddresses) {
      auto node = std::make_unique<TestNode>(a, dir_ / a);
      std::filesystem::create_directories(node->dir());
      std::ofstream f(node->config_path());
      f << "node:\n  address: " << a << "\n  data_dir: " << (node->dir() / "data").string()
        << "\n  cluster_name: wire-cluster-test\ncluster:\n  seeds: [" << kAddresses[0] << ":3001, "
        << kAddresses[1] << ":3001]\n  heartbeat_interval_ms: 100\n"
        << "namespaces:\n  - name: test\n    storage: memory\n    replication_factor: 2\n";
      f.close();
      node->StartWithArgs({"--config", node->config_path().string()});
      nodes_.push_back(std::move(node));
    }
    for (auto& n : nodes_) ASSERT_TRUE(n->WaitReady()) << n->log();
    ASSERT_TRUE(WaitStable(2)) << nodes_[0]->log();
  }
  void TearDown() override {
    for (auto& n : nodes_) n->Stop();
    std::filesystem::remove_all(dir_);
  }

  // Every node up answers cluster-stable for `size` nodes.
  bool WaitStable(int size) {
    for (int i = 0; i < 200; ++i) {
      bool all = true;
      for (auto& n : nodes_) {
        if (n->pid() < 0) continue;
        auto r = n->Get("/v1/info/cluster-stable:size=" + std::to_string(size));
        all = all && r.status == 200 && r.body.find("ERROR") == std::string::npos;
      }
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  uint64_t Stat(TestNode& n, const std::string& name) {
    auto r = n.Get("/v1/info/statistics");
    for (auto kv : absl::StrSplit(r.body, ';')) {
      std::vector<std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      uint64_t v = 0;
      if (p.size() == 2 && p[0] == name && absl::SimpleAtoi(p[1], &v)) return v;
    }
    ADD_FAILURE() << "no " << name << " in " << r.body;
    return 0;
  }

  std::filesystem::path dir_;
  std::vector<std::unique_ptr<TestNode>> nodes_;
};

TEST_F(ClusterClientsTest, WireClientRoutesEveryKeyToItsMasterAndFollowsAChange) {
  auto c = wire::ClusterClient::Connect({.seeds = {std::string(kAddresses[1]) + ":3000"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->node_count(), 2u);
  const uint64_t proxies_before = Stat(*nodes_[0], "proxy_total") + Stat(*nodes_[1], "proxy_total");
  int on_first = 0;
  for (int i = 0; i < 400; ++i) {
    Key k = Key::Int("test", "wc", i);
    on_first += (*c)->AddressFor(k) == std::string(kAddresses[0]) + ":3000";
    auto w = (*c)->Put(k, {{"v", Value::Integer(i)}});
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_EQ(w->result, 0);
    auto r = (*c)->Get(k);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->result, 0);
  }
  // Both nodes master some keys, and none was proxied: each went to its master.
  EXPECT_GT(on_first, 100);
  EXPECT_LT(on_first, 300);
  EXPECT_EQ(Stat(*nodes_[0], "proxy_total") + Stat(*nodes_[1], "proxy_total"), proxies_before);

  // The second node leaves: the client reads the new map and finds every record on the first.
  ASSERT_EQ(nodes_[1]->Stop(), 0);
  ASSERT_TRUE(WaitStable(1));
  for (int i = 0; i < 400; ++i) {
    auto r = (*c)->Get(Key::Int("test", "wc", i));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    ASSERT_EQ(r->result, 0) << i;
    EXPECT_EQ(r->Find("v")->integer(), i);
  }
  EXPECT_EQ((*c)->node_count(), 1u);
}

TEST_F(ClusterClientsTest, TernClientRoutesEveryKeyToItsMasterAndFollowsAChange) {
  auto c = tern::Client::Connect({.seeds = {std::string(kAddresses[0]) + ":3100"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ((*c)->Nodes().size(), 2u);
  const uint64_t proxies_before = Stat(*nodes_[0], "proxy_total") + Stat(*nodes_[1], "proxy_total");
  int on_first = 0;
  for (int i = 0; i < 400; ++i) {
    tern::Key k("test", "tc", int64_t{i});
    on_first += (*c)->NodeFor(k) == std::string(kAddresses[0]) + ":3100";
    auto w = (*c)->Put(k, {{"v", int64_t{i}}});
    ASSERT_TRUE(w.ok()) << w.status().message();
    auto r = (*c)->Get(k);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  EXPECT_GT(on_first, 100);
  EXPECT_LT(on_first, 300);
  EXPECT_EQ(Stat(*nodes_[0], "proxy_total") + Stat(*nodes_[1], "proxy_total"), proxies_before);

  // A module registered through one node runs on keys mastered by either.
  auto hash = (*c)->RegisterUdf("twice.lua", "function twice(rec, x) return x * 2 end");
  ASSERT_TRUE(hash.ok()) << hash.status().message();
  for (int i = 0; i < 20; ++i) {
    auto r = (*c)->ApplyUdf(tern::Key("test", "tc", int64_t{i}), "twice", "twice",
                            {tern::Value(int64_t{i})});
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
    EXPECT_EQ(r.value(), tern::Value(int64_t{2 * i}));
  }

  ASSERT_EQ(nodes_[1]->Stop(), 0);
  ASSERT_TRUE(WaitStable(1));
  for (int i = 0; i < 400; ++i) {
    auto r = (*c)->Get(tern::Key("test", "tc", int64_t{i}));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
  }
  EXPECT_EQ((*c)->Nodes().size(), 1u);
}

TEST_F(ClusterClientsTest, TernClientBatchesSpanBothNodesSyncAndAsync) {
  auto c = tern::Client::Connect({.seeds = {std::string(kAddresses[0]) + ":3100"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ((*c)->Nodes().size(), 2u);
  // One batch writes 300 records (keys of both nodes), each row its own operations.
  std::vector<tern::BatchOperation> writes;
  for (int i = 0; i < 300; ++i) {
    writes.push_back({tern::Key("test", "tb", int64_t{i}),
                      {tern::Operation::Write("v", int64_t{i}), tern::Operation::Incr("n", i % 7),
                       tern::Operation::Read("n")}});
  }
  auto written = (*c)->BatchOperate(writes);
  ASSERT_TRUE(written.ok()) << written.status().message();
  ASSERT_EQ(written->size(), 300u);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ((*written)[i].result_code, 0) << i;
    EXPECT_EQ(*(*written)[i].record.Get("n"), tern::Value(int64_t{i % 7})) << i;
  }

  std::vector<tern::Key> keys;
  for (int i = 0; i < 310; ++i) keys.emplace_back("test", "tb", int64_t{i});  // 10 missing
  auto check = [&](const tern::Result<std::vector<tern::BatchRecord>>& rows) {
    ASSERT_TRUE(rows.ok()) << rows.status().message();
    ASSERT_EQ(rows->size(), 310u);
    for (int i = 0; i < 310; ++i) {
      const tern::BatchRecord& row = (*rows)[i];
      if (i >= 300) {
        EXPECT_EQ(row.result_code, 2) << i;
        continue;
      }
      ASSERT_EQ(row.result_code, 0) << i;
      EXPECT_EQ(*row.record.Get("v"), tern::Value(int64_t{i})) << i;
      EXPECT_EQ(row.record.Get("n"), nullptr) << i;  // only the bin asked for
    }
  };
  std::promise<tern::Result<std::vector<tern::BatchRecord>>> got;
  (*c)->BatchGetAsync(keys, {"v"}, nullptr, [&](auto r) { got.set_value(std::move(r)); });
  check(got.get_future().get());

  // The async batch operate: a second increment through both nodes at once.
  std::promise<tern::Result<std::vector<tern::BatchRecord>>> bumped;
  std::vector<tern::BatchOperation> bumps;
  for (int i = 0; i < 300; ++i) {
    bumps.push_back({tern::Key("test", "tb", int64_t{i}),
                     {tern::Operation::Incr("n", 1), tern::Operation::Read("n")}});
  }
  (*c)->BatchOperateAsync(bumps, nullptr, [&](auto r) { bumped.set_value(std::move(r)); });
  auto b = bumped.get_future().get();
  ASSERT_TRUE(b.ok()) << b.status().message();
  for (int i = 0; i < 300; ++i)
    EXPECT_EQ(*(*b)[i].record.Get("n"), tern::Value(int64_t{i % 7 + 1}));

  // After the second node leaves, the rows it mastered are re-routed within the same call.
  ASSERT_EQ(nodes_[1]->Stop(), 0);
  ASSERT_TRUE(WaitStable(1));
  check((*c)->BatchGet(keys, {"v"}));
}

// SQL statements sent to one node cover the records of both: each node runs its share over
// the partitions it masters and the receiving node merges the rows.
TEST_F(ClusterClientsTest, SqlRunsOverEveryNode) {
  auto c = tern::Client::Connect({.seeds = {std::string(kAddresses[0]) + ":3100"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  int on_first = 0;
  for (int i = 0; i < 200; ++i) {
    tern::Key k("test", "sq", int64_t{i});
    on_first += (*c)->NodeFor(k) == std::string(kAddresses[0]) + ":3100";
    tern::WritePolicy wp;
    wp.send_key = true;
    ASSERT_TRUE((*c)->Put(k, {{"v", int64_t{i}}, {"even", int64_t{i % 2}}}, &wp).ok());
  }
  ASSERT_GT(on_first, 50);  // both nodes master some
  ASSERT_LT(on_first, 150);
  const std::string first = std::string(kAddresses[0]) + ":3100";
  const std::string second = std::string(kAddresses[1]) + ":3100";
  auto keys_of = [](const tern::SqlResult& r) {
    std::set<int64_t> keys;
    for (const auto& row : r.rows) keys.insert(row[0].as_int());
    return keys;
  };
  for (const std::string& node : {first, second}) {
    auto all = (*c)->Sql("SELECT * FROM test.sq", node);
    ASSERT_TRUE(all.ok()) << all.status().message();
    EXPECT_EQ(all->rows.size(), 200u) << node;  // every record once: no replica counted twice
    EXPECT_EQ(keys_of(*all).size(), 200u) << node;
    EXPECT_EQ(all->message, "200 rows");
    auto some = (*c)->Sql("SELECT v FROM test.sq LIMIT 30", node);
    ASSERT_TRUE(some.ok()) << some.status().message();
    EXPECT_EQ(some->rows.size(), 30u);
    EXPECT_EQ(some->columns, (std::vector<std::string>{"PK", "v"}));
  }
  auto created = (*c)->Sql("CREATE INDEX sq_even ON test.sq (even) NUMERIC", second);
  ASSERT_TRUE(created.ok()) << created.status().message();
  tern::Result<tern::SqlResult> evens = tern::Status();
  for (int attempt = 0; attempt < 100; ++attempt) {
    evens = (*c)->Sql("SELECT * FROM test.sq WHERE even = 0", first);
    if (evens.ok() && evens->rows.size() == 100) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(evens.ok()) << evens.status().message();
  EXPECT_EQ(evens->rows.size(), 100u);

  // EXECUTE without a key: a background job with one id on both nodes, over every record.
  auto hash = (*c)->RegisterUdf("sqbump.lua", R"(function bump(rec)
  rec['v'] = rec['v'] + 1000
  aerospike:update(rec)
end
function total(s)
  return s:map(function(r) return r['v'] end):reduce(function(a, b) return a + b end)
end
)");
  ASSERT_TRUE(hash.ok()) << hash.status().message();
  auto job = (*c)->Sql("EXECUTE sqbump.bump() ON test.sq", second);
  ASSERT_TRUE(job.ok()) << job.status().message();
  ASSERT_NE(job->job_id, 0u);
  EXPECT_EQ(job->message, "job " + std::to_string(job->job_id) + " started on 2 nodes");
  for (TestNode* n : {nodes_[0].get(), nodes_[1].get()}) {
    std::string show;
    for (int attempt = 0; attempt < 200; ++attempt) {
      show = n->Get("/v1/info/query-show:trid=" + std::to_string(job->job_id)).body;
      if (show.find("status=done") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_NE(show.find("status=done"), std::string::npos) << show;
  }
  for (int i = 0; i < 200; ++i) {
    auto r = (*c)->Get(tern::Key("test", "sq", int64_t{i}));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(*r->Get("v"), tern::Value(int64_t{i + 1000})) << i;  // once, not once per copy
  }
  // AGGREGATE: each node reduces its records, the receiving node reduces the nodes' values.
  const int64_t sum = 200 * 1000 + 199 * 200 / 2;
  for (const std::string& node : {first, second}) {
    auto total = (*c)->Sql("AGGREGATE sqbump.total() ON test.sq", node);
    ASSERT_TRUE(total.ok()) << total.status().message();
    ASSERT_EQ(total->rows.size(), 1u);
    EXPECT_EQ(total->rows[0][0], tern::Value(sum));
    auto evens_total = (*c)->Sql("AGGREGATE sqbump.total() ON test.sq WHERE even = 0", node);
    ASSERT_TRUE(evens_total.ok()) << evens_total.status().message();
    ASSERT_EQ(evens_total->rows.size(), 1u);
    EXPECT_EQ(evens_total->rows[0][0], tern::Value(int64_t{100 * 1000 + 99 * 100}));
  }
}

}  // namespace
}  // namespace tern::testing
