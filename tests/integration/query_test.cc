// Secondary-index queries against a real ternd (127.0.0.170): the gRPC Query stream (every
// predicate, resuming, limits, filters, projections, errors), libternclient's Client::Query,
// and `tern query` as a user runs it; then Client::Query across two nodes (.171, .172).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "grpcpp/grpcpp.h"
#include "tern/client.h"
#include "tern/v1/kv.grpc.pb.h"
#include "test_node.h"

namespace tern::testing {
namespace {

namespace v1 = tern::v1;
using nlohmann::json;

constexpr char kAddress[] = "127.0.0.170";
constexpr int kRecords = 400;

std::string Point(double lng, double lat) {
  std::ostringstream s;
  s << R"({"type":"Point","coordinates":[)" << lng << "," << lat << "]}";
  return s.str();
}

// What one Query call gave.
struct QueryRun {
  std::vector<v1::Record> records;
  std::vector<uint32_t> partitions;  // each record's
  std::set<uint32_t> done;
  grpc::Status status;
  std::string result_code;  // the tern-result-code trailer
};

class QueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("tern-it-query-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    node_ = new TestNode(kAddress, *dir_);
    node_->Start("  - name: test\n    storage: memory\n");
    ASSERT_TRUE(node_->WaitReady()) << node_->log();
    ClientConfig cfg;
    cfg.seeds = {std::string(kAddress) + ":3100"};
    auto c = Client::Connect(cfg);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = c->release();
    for (const char* stmt : {
             "CREATE INDEX q_age ON test.people (age) NUMERIC",
             "CREATE INDEX q_name ON test.people (name) STRING",
             "CREATE LIST INDEX q_tags ON test.people (tags) STRING",
             "CREATE MAPKEYS INDEX q_attr_keys ON test.people (attrs) STRING",
             "CREATE MAPVALUES INDEX q_attr_values ON test.people (attrs) NUMERIC",
             "CREATE INDEX q_loc ON test.people (loc) GEO2DSPHERE",
         }) {
      auto r = client_->Sql(stmt);
      ASSERT_TRUE(r.ok()) << stmt << ": " << r.status().ToString();
    }
    WritePolicy wp;
    wp.send_key = true;
    for (int i = 0; i < kRecords; ++i) {
      auto w = client_->Put(Key("test", "people", i),
                            {{"age", i},
                             {"name", "n" + std::to_string(i % 10)},
                             {"odd", i % 2},
                             {"tags", List{{Value(i % 2 ? "odd" : "even"), Value("all")}}},
                             {"attrs", Map{{{Value("k" + std::to_string(i % 3)), Value(i)}}}},
                             {"loc", GeoJson{Point(i / 10.0, 0)}}},
                            &wp);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
    }
    auto w = client_->Put(Key("test", "people", "zone"),
                          {{"loc", GeoJson{R"({"type":"Polygon","coordinates":)"
                                           R"([[[50,-1],[52,-1],[52,1],[50,1],[50,-1]]]})"}}},
                          &wp);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    // Indexes are built in the background: wait until the age index sees every record.
    for (int attempt = 0; attempt < 100; ++attempt) {
      v1::QueryRequest req = Request();
      req.mutable_range_begin()->set_int_value(0);
      req.mutable_range_end()->set_int_value(kRecords);
      if (Run(req).records.size() == kRecords) return;
      usleep(50 * 1000);
    }
    FAIL() << "the index never saw every record";
  }
  static void TearDownTestSuite() {
    delete client_;
    client_ = nullptr;
    EXPECT_EQ(node_->Stop(), 0) << node_->log();
    std::filesystem::remove_all(*dir_);
    delete node_;
    delete dir_;
  }

  static v1::QueryRequest Request(const std::string& bin = "age") {
    v1::QueryRequest req;
    req.set_namespace_("test");
    req.set_set("people");
    req.set_index_bin(bin);
    return req;
  }

  // Reads the whole stream (or `stop_after` records, then cancels).
  static QueryRun Run(const v1::QueryRequest& req, size_t stop_after = 0) {
    static auto channel =
        grpc::CreateChannel(std::string(kAddress) + ":3100", grpc::InsecureChannelCredentials());
    auto stub = v1::Kv::NewStub(channel);
    grpc::ClientContext ctx;
    auto reader = stub->Query(&ctx, req);
    QueryRun out;
    v1::ScanResponse msg;
    bool cancelled = false;
    while (reader->Read(&msg)) {
      for (int i = 0; i < msg.records_size(); ++i) {
        out.records.push_back(msg.records(i));
        out.partitions.push_back(msg.record_partitions(i));
      }
      out.done.insert(msg.partitions_done().begin(), msg.partitions_done().end());
      if (stop_after && out.records.size() >= stop_after) {
        ctx.TryCancel();
        cancelled = true;
        break;
      }
    }
    out.status = reader->Finish();
    if (!cancelled) {
      auto& t = ctx.GetServerTrailingMetadata();
      auto it = t.find("tern-result-code");
      if (it != t.end()) out.result_code = std::string(it->second.data(), it->second.size());
    }
    return out;
  }

  static std::set<int64_t> Ages(const QueryRun& run) {
    std::set<int64_t> out;
    for (const auto& r : run.records) out.insert(r.key().int_key());
    return out;
  }

  static CommandRun Cli(const std::string& args) {
    return RunCommand(std::string(TERN_CLI_PATH) + " --host " + kAddress + " " + args, *dir_);
  }

  static TestNode* node_;
  static std::filesystem::path* dir_;
  static Client* client_;
};
TestNode* QueryTest::node_ = nullptr;
std::filesystem::path* QueryTest::dir_ = nullptr;
Client* QueryTest::client_ = nullptr;

TEST_F(QueryTest, EqualityRangeCollectionAndGeo) {
  v1::QueryRequest eq = Request();
  eq.mutable_equal()->set_int_value(42);
  QueryRun r = Run(eq);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].key().int_key(), 42);  // stored with send_key
  EXPECT_EQ(r.records[0].key().set(), "people");
  EXPECT_EQ(r.records[0].bins_size(), 6);

  v1::QueryRequest range = Request();
  range.mutable_range_begin()->set_int_value(10);
  range.mutable_range_end()->set_int_value(19);
  r = Run(range);
  EXPECT_EQ(Ages(r), (std::set<int64_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  // Records come partition by partition, each partition marked done.
  EXPECT_TRUE(std::is_sorted(r.partitions.begin(), r.partitions.end()));
  for (uint32_t p : r.partitions) EXPECT_TRUE(r.done.count(p));
  EXPECT_EQ(r.done.size(), 4096u);

  v1::QueryRequest name = Request("name");
  name.mutable_equal()->set_string_value("n3");
  EXPECT_EQ(Run(name).records.size(), kRecords / 10u);

  v1::QueryRequest tags = Request("tags");
  tags.set_collection(v1::QueryRequest::LIST);
  tags.mutable_equal()->set_string_value("odd");
  r = Run(tags);
  EXPECT_EQ(r.records.size(), kRecords / 2u);
  for (int64_t age : Ages(r)) EXPECT_EQ(age % 2, 1);

  v1::QueryRequest keys = Request("attrs");
  keys.set_collection(v1::QueryRequest::MAP_KEYS);
  keys.mutable_equal()->set_string_value("k1");
  r = Run(keys);
  EXPECT_EQ(r.records.size(), static_cast<size_t>((kRecords + 1) / 3));
  for (int64_t age : Ages(r)) EXPECT_EQ(age % 3, 1);

  v1::QueryRequest values = Request("attrs");
  values.set_collection(v1::QueryRequest::MAP_VALUES);
  values.mutable_range_begin()->set_int_value(100);
  values.mutable_range_end()->set_int_value(104);
  EXPECT_EQ(Ages(Run(values)), (std::set<int64_t>{100, 101, 102, 103, 104}));

  // Points at longitude age/10: the box 1.05..1.45 holds ages 11 to 14.
  v1::QueryRequest within = Request("loc");
  within.set_geo_within(
      R"({"type":"Polygon","coordinates":[[[1.05,-1],[1.45,-1],[1.45,1],[1.05,1],[1.05,-1]]]})");
  EXPECT_EQ(Ages(Run(within)), (std::set<int64_t>{11, 12, 13, 14}));

  v1::QueryRequest contains = Request("loc");
  contains.set_geo_contains(Point(51.5, 0.5));
  r = Run(contains);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].key().string_key(), "zone");
}

TEST_F(QueryTest, ResumesFromACursorWithoutDuplicates) {
  v1::QueryRequest req = Request();
  req.mutable_range_begin()->set_int_value(0);
  req.mutable_range_end()->set_int_value(kRecords);
  QueryRun first = Run(req, 150);
  ASSERT_GE(first.records.size(), 150u);
  ASSERT_LT(first.records.size(), static_cast<size_t>(kRecords));
  std::set<int64_t> seen = Ages(first);
  std::map<uint32_t, std::string> last;
  for (size_t i = 0; i < first.records.size(); ++i) {
    last[first.partitions[i]] = first.records[i].key().digest();
  }
  v1::QueryRequest resume = req;
  for (uint32_t p = 0; p < 4096; ++p) {
    if (first.done.count(p)) continue;
    auto* c = resume.add_partitions();
    c->set_partition(p);
    if (last.count(p)) c->set_after_digest(last[p]);
  }
  QueryRun rest = Run(resume);
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  size_t dupes = 0;
  for (int64_t age : Ages(rest)) dupes += !seen.insert(age).second;
  EXPECT_EQ(dupes, 0u);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRecords));
}

TEST_F(QueryTest, LimitFilterProjectionAndMetadata) {
  v1::QueryRequest req = Request();
  req.mutable_range_begin()->set_int_value(0);
  req.mutable_range_end()->set_int_value(99);
  req.set_max_records(7);
  QueryRun r = Run(req);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.records.size(), 7u);

  // Filter: odd == 1 (an Aerospike expression: [EQ, [BIN, INT, "odd"], 1]).
  req.set_max_records(0);
  req.set_filter_expression(std::string("\x93\x01\x93\x51\x02\xa3odd\x01", 10));
  r = Run(req);
  EXPECT_EQ(r.records.size(), 50u);
  for (int64_t age : Ages(r)) EXPECT_EQ(age % 2, 1);

  req.clear_filter_expression();
  req.add_bins("name");
  r = Run(req);
  ASSERT_EQ(r.records.size(), 100u);
  for (const auto& rec : r.records) {
    ASSERT_EQ(rec.bins_size(), 1);
    EXPECT_EQ(rec.bins(0).name(), "name");
    EXPECT_GT(rec.generation(), 0u);
  }
  req.clear_bins();
  req.set_metadata_only(true);
  r = Run(req);
  ASSERT_EQ(r.records.size(), 100u);
  for (const auto& rec : r.records) {
    EXPECT_EQ(rec.bins_size(), 0);
    EXPECT_EQ(rec.key().digest().size(), 20u);
  }
}

TEST_F(QueryTest, ErrorsCarryTheResultCode) {
  auto code_of = [](v1::QueryRequest req) {
    QueryRun r = Run(req);
    EXPECT_FALSE(r.status.ok());
    EXPECT_TRUE(r.records.empty());
    return r.result_code;
  };
  v1::QueryRequest none = Request("odd");  // no index on odd
  none.mutable_equal()->set_int_value(1);
  QueryRun r = Run(none);
  EXPECT_EQ(r.result_code, "201");
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(r.status.error_message(), "no index on bin 'odd' of test.people");

  v1::QueryRequest backwards = Request();
  backwards.mutable_range_begin()->set_int_value(9);
  backwards.mutable_range_end()->set_int_value(1);
  EXPECT_EQ(code_of(backwards), "4");

  v1::QueryRequest strings = Request();
  strings.mutable_range_begin()->set_string_value("a");
  strings.mutable_range_end()->set_string_value("b");
  EXPECT_EQ(code_of(strings), "4");

  v1::QueryRequest bad_geo = Request("loc");
  bad_geo.set_geo_within("{\"type\":\"Polygon\"");
  EXPECT_EQ(code_of(bad_geo), "160");

  EXPECT_EQ(code_of(Request()), "4");  // no predicate
  v1::QueryRequest two = Request();
  two.mutable_equal()->set_int_value(1);
  two.set_geo_contains(Point(1, 1));
  EXPECT_EQ(code_of(two), "4");

  v1::QueryRequest ns = Request();
  ns.set_namespace_("nope");
  ns.mutable_equal()->set_int_value(1);
  EXPECT_EQ(code_of(ns), "20");

  v1::QueryRequest bad_cursor = Request();
  bad_cursor.mutable_equal()->set_int_value(1);
  bad_cursor.add_partitions()->set_partition(4096);
  EXPECT_EQ(code_of(bad_cursor), "4");
}

TEST_F(QueryTest, ClientQueryResumesFromCursor) {
  QuerySpec spec{.ns = "test", .set = "people", .index_bin = "age"};
  spec.where = QuerySpec::Range{100, 299};
  std::set<int64_t> seen;
  ScanCursor cursor;
  Status s = client_->Query(
      spec,
      [&](const Record& r) {
        seen.insert(std::get<int64_t>(r.key->user_key()));
        return seen.size() < 60;  // stop early
      },
      &cursor);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen.size(), 60u);
  EXPECT_FALSE(cursor.done());
  spec.resume = cursor;
  size_t dupes = 0;
  s = client_->Query(
      spec,
      [&](const Record& r) {
        dupes += !seen.insert(std::get<int64_t>(r.key->user_key())).second;
        return true;
      },
      &cursor);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(cursor.done());
  EXPECT_EQ(dupes, 0u);
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(*seen.begin(), 100);
  EXPECT_EQ(*seen.rbegin(), 299);

  // Collection, geo and max_records through the client.
  QuerySpec tags{.ns = "test", .set = "people", .bins = {"age"}, .index_bin = "tags"};
  tags.collection = QuerySpec::Collection::kList;
  tags.where = QuerySpec::Equal{"even"};
  tags.max_records = 25;
  size_t n = 0;
  s = client_->Query(tags, [&](const Record& r) {
    ++n;
    EXPECT_EQ(r.bins.size(), 1u);
    EXPECT_EQ(std::get<int64_t>(r.key->user_key()) % 2, 0);
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(n, 25u);
  QuerySpec geo{.ns = "test", .set = "people", .index_bin = "loc"};
  geo.where = QuerySpec::GeoContains{Point(50.5, 0)};
  std::vector<std::string> zones;
  s = client_->Query(geo, [&](const Record& r) {
    zones.push_back(std::get<std::string>(r.key->user_key()));
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(zones, std::vector<std::string>{"zone"});

  QuerySpec missing{.ns = "test", .set = "people", .index_bin = "odd"};
  missing.where = QuerySpec::Equal{1};
  s = client_->Query(missing, [](const Record&) { return true; });
  EXPECT_EQ(s.code(), 201);
}

TEST_F(QueryTest, CliQueryPrintsLikeScan) {
  CommandRun r = Cli("query test.people --where 'age BETWEEN 5 AND 7'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("(3 records)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gen"), std::string::npos) << r.out;

  r = Cli("--json query test.people --where \"name = 'n4'\" --bins age --limit 5");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    json j = json::parse(line);
    EXPECT_EQ(j["key"]["key"].get<int64_t>() % 10, 4) << line;
    EXPECT_EQ(j["bins"].size(), 1u) << line;
    ++n;
  }
  EXPECT_EQ(n, 5u);

  r = Cli("--json query test.people --in list --where \"tags = 'odd'\"");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), kRecords / 2);

  r =
      Cli("query test.people --where "
          "\"loc WITHIN GEOJSON('{\\\"type\\\":\\\"Polygon\\\",\\\"coordinates\\\":"
          "[[[1.05,-1],[1.45,-1],[1.45,1],[1.05,1],[1.05,-1]]]}')\"");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("(4 records)"), std::string::npos) << r.out;

  // No index: the server's message, exit 1.
  r = Cli("query test.people --where 'odd = 1'");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no index on bin 'odd' of test.people"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("201"), std::string::npos) << r.err;

  // Bad arguments: one line, exit 2, nothing sent.
  for (const char* args : {
           "query test.people --where 'age >< 3'",
           "query test.people --where 'PK = 3'",
           "query test.people --where \"age BETWEEN 'a' AND 'b'\"",
           "query test.people --in sets --where 'age = 3'",
           "query 'test people' --where 'age = 3'",
           "query test.people",
       }) {
    r = Cli(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
  }
}

// Two nodes, replication factor 2: both hold every record, so only sending each partition to
// its master alone gives each record exactly once.
TEST(ClusterQueryTest, ClientQueryScattersByMaster) {
  const char* addresses[] = {"127.0.0.171", "127.0.0.172"};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tern-it-query-cluster-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (const char* a : addresses) {
    auto node = std::make_unique<TestNode>(a, dir / a);
    std::filesystem::create_directories(node->dir());
    std::ofstream f(node->config_path());
    f << "node:\n  address: " << a << "\n  data_dir: " << (node->dir() / "data").string()
      << "\n  cluster_name: query-cluster-test\ncluster:\n  seeds: [" << addresses[0] << ":3001, "
      << addresses[1] << ":3001]\n  heartbeat_interval_ms: 100\n"
      << "namespaces:\n  - name: test\n    storage: memory\n    replication_factor: 2\n";
    f.close();
    node->StartWithArgs({"--config", node->config_path().string()});
    nodes.push_back(std::move(node));
  }
  for (auto& n : nodes) ASSERT_TRUE(n->WaitReady()) << n->log();
  bool stable = false;
  for (int i = 0; i < 200 && !stable; ++i) {
    stable = true;
    for (auto& n : nodes) {
      auto r = n->Get("/v1/info/cluster-stable:size=2");
      stable = stable && r.status == 200 && r.body.find("ERROR") == std::string::npos;
    }
    if (!stable) usleep(100 * 1000);
  }
  ASSERT_TRUE(stable) << nodes[0]->log();

  ClientConfig cfg;
  cfg.seeds = {std::string(addresses[0]) + ":3100"};
  auto c = Client::Connect(cfg);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Client& client = **c;
  ASSERT_EQ(client.Nodes().size(), 2u);
  auto created = client.Sql("CREATE INDEX cq_v ON test.cq (v) NUMERIC", "");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  WritePolicy wp;
  wp.send_key = true;
  int on_first = 0;
  for (int i = 0; i < 300; ++i) {
    Key k("test", "cq", i);
    on_first += client.NodeFor(k) == std::string(addresses[0]) + ":3100";
    ASSERT_TRUE(client.Put(k, {{"v", i}}, &wp).ok());
  }
  ASSERT_GT(on_first, 50);  // both nodes master some
  ASSERT_LT(on_first, 250);

  QuerySpec spec{.ns = "test", .set = "cq", .index_bin = "v"};
  spec.where = QuerySpec::Range{0, 299};
  std::multiset<int64_t> seen;
  for (int attempt = 0; attempt < 100; ++attempt) {  // until both indexes hold every record
    seen.clear();
    Status s = client.Query(spec, [&](const Record& r) {
      seen.insert(std::get<int64_t>(r.key->user_key()));
      return true;
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    if (seen.size() >= 300) break;
    usleep(50 * 1000);
  }
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 300u);  // none twice

  for (auto& n : nodes) EXPECT_EQ(n->Stop(), 0) << n->log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tern::testing
