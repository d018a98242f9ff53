// The SQL-like language end to end: `tern sql -e ...` parses, sends each statement over the
// gRPC `Sql` call, and a real ternd executes it (docs/sql.md). Output, --json and exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_node.h"

namespace tern::testing {
namespace {

using nlohmann::json;

constexpr char kAddress[] = "127.0.0.47";

using CliRun = CommandRun;

class SqlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("tern-it-sql-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    node_ = new TestNode(kAddress, *dir_);
    node_->Start("  - name: test\n    storage: memory\n  - name: bar\n    storage: memory\n");
    ASSERT_TRUE(node_->WaitReady()) << node_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(node_->Stop(), 0) << node_->log();
    std::filesystem::remove_all(*dir_);
    delete node_;
    delete dir_;
  }

  // Runs `tern --host <node> [--json] sql -e <each statement>`.
  static CliRun Sql(const std::vector<std::string>& statements, bool as_json = false) {
    std::string cmd = std::string(TERN_CLI_PATH) + " --host " + kAddress;
    if (as_json) cmd += " --json";
    cmd += " sql";
    for (const auto& s : statements) cmd += " -e " + ShellQuote(s);
    return RunCommand(cmd, *dir_);
  }

  // The --json answer of one statement.
  static json One(const std::string& statement) {
    CliRun r = Sql({statement}, true);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? json::parse(r.out) : json();
  }

  static TestNode* node_;
  static std::filesystem::path* dir_;
};
TestNode* SqlTest::node_ = nullptr;
std::filesystem::path* SqlTest::dir_ = nullptr;

TEST_F(SqlTest, InsertThenSelectByPrimaryKey) {
  CliRun r = Sql({"INSERT INTO test.people (PK, name, age) VALUES ('ada', 'Ada', 36)"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1 record inserted"), std::string::npos) << r.out;

  r = Sql({"SELECT * FROM test.people WHERE PK = 'ada'"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Ada"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(1 row, "), std::string::npos) << r.out;

  json j = One("SELECT age FROM test.people WHERE PK = 'ada'");
  EXPECT_EQ(j["columns"], json({"PK", "age"}));
  EXPECT_EQ(j["rows"], json::parse(R"([["ada", 36]])"));

  // No such record: an empty table, not an error.
  j = One("SELECT * FROM test.people WHERE PK = 'nobody'");
  EXPECT_TRUE(j["rows"].empty());
}

TEST_F(SqlTest, SeveralStatementsInOneArgument) {
  CliRun r =
      Sql({"INSERT INTO test.multi (PK, v) VALUES (1, 10); "
           "INSERT INTO test.multi (PK, v) VALUES (2, 20); "
           "SELECT v FROM test.multi WHERE PK = 2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("20"), std::string::npos) << r.out;
}

TEST_F(SqlTest, IndexQueryBetween) {
  for (int i = 1; i <= 10; ++i) {
    CliRun r = Sql({"INSERT INTO test.scores (PK, score) VALUES (" + std::to_string(i) + ", " +
                    std::to_string(i * 10) + ")"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  // Without an index: 201.
  CliRun r = Sql({"SELECT * FROM test.scores WHERE score BETWEEN 20 AND 40"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("201"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no index"), std::string::npos) << r.err;

  r = Sql({"CREATE INDEX idx_score ON test.scores (score) NUMERIC"});
  ASSERT_EQ(r.code, 0) << r.err;
  // The index is filled in the background: wait until the query sees every record.
  json j;
  for (int attempt = 0; attempt < 100; ++attempt) {
    j = One("SELECT score FROM test.scores WHERE score BETWEEN 20 AND 40");
    if (j["rows"].size() == 3) break;
    usleep(50 * 1000);
  }
  ASSERT_EQ(j["rows"].size(), 3u) << j.dump();
  std::vector<int64_t> scores;
  for (const auto& row : j["rows"]) scores.push_back(row[1].get<int64_t>());
  std::sort(scores.begin(), scores.end());
  EXPECT_EQ(scores, (std::vector<int64_t>{20, 30, 40}));

  j = One("SELECT * FROM test.scores WHERE score = 70");
  ASSERT_EQ(j["rows"].size(), 1u);
  EXPECT_EQ(j["rows"][0][0], 7);

  j = One("SHOW INDEXES test");
  EXPECT_NE(j.dump().find("idx_score"), std::string::npos) << j.dump();

  r = Sql({"DROP INDEX test idx_score"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Sql({"SELECT * FROM test.scores WHERE score = 70"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("201"), std::string::npos) << r.err;
}

// Records whose PKs a query returned, sorted.
std::vector<int64_t> Keys(const json& j) {
  std::vector<int64_t> keys;
  for (const auto& row : j["rows"]) keys.push_back(row[0].get<int64_t>());
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST_F(SqlTest, CollectionIndexesAnswerSelectAndAggregateIn) {
  ASSERT_EQ(Sql({"INSERT INTO test.coll (PK, tags, attrs) VALUES (1, ['red', 'big'], {'a': 10})",
                 "INSERT INTO test.coll (PK, tags, attrs) VALUES (2, ['blue'], {'b': 20})",
                 "INSERT INTO test.coll (PK, tags, attrs) VALUES (3, ['red'], {'a': 30, 'c': 10})",
                 "CREATE LIST INDEX coll_tags ON test.coll (tags) STRING",
                 "CREATE MAPKEYS INDEX coll_keys ON test.coll (attrs) STRING",
                 "CREATE MAPVALUES INDEX coll_vals ON test.coll (attrs) NUMERIC"})
                .code,
            0);
  json j;
  for (int attempt = 0; attempt < 100; ++attempt) {
    j = One("SELECT * FROM test.coll IN LIST WHERE tags = 'red'");
    if (j["rows"].size() == 2) break;
    usleep(50 * 1000);
  }
  EXPECT_EQ(Keys(j), (std::vector<int64_t>{1, 3})) << j.dump();
  for (int attempt = 0; attempt < 100; ++attempt) {
    j = One("SELECT * FROM test.coll IN MAPVALUES WHERE attrs BETWEEN 10 AND 20");
    if (j["rows"].size() == 3) break;
    usleep(50 * 1000);
  }
  EXPECT_EQ(Keys(j), (std::vector<int64_t>{1, 2, 3})) << j.dump();  // 3 once, though 2 values
  for (int attempt = 0; attempt < 100; ++attempt) {
    j = One("SELECT attrs FROM test.coll IN MAPKEYS WHERE attrs = 'a' LIMIT 5");
    if (j["rows"].size() == 2) break;
    usleep(50 * 1000);
  }
  EXPECT_EQ(Keys(j), (std::vector<int64_t>{1, 3})) << j.dump();
  EXPECT_EQ(j["columns"], json({"PK", "attrs"}));

  // The plain index on the bin does not exist: 201, naming the kind that was looked for.
  CliRun r = Sql({"SELECT * FROM test.coll WHERE tags = 'red'"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("201"), std::string::npos) << r.err;
  r = Sql({"SELECT * FROM test.coll IN MAPVALUES WHERE tags = 'red'"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no mapvalues index on bin 'tags'"), std::string::npos) << r.err;
  r = Sql({"SELECT * FROM test.coll IN LIST"});  // a statement error, as a parse error: 1
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("needs WHERE bin = v or BETWEEN"), std::string::npos) << r.err;

  j = One("EXPLAIN SELECT * FROM test.coll IN LIST WHERE tags = 'red'");
  EXPECT_EQ(j["rows"][0][0], "SELECT: index query on test.coll, LIST index, bin 'tags' = \"red\"");
  for (const char* drop : {"coll_tags", "coll_keys", "coll_vals"}) {
    ASSERT_EQ(Sql({std::string("DROP INDEX test ") + drop}).code, 0);
  }
}

TEST_F(SqlTest, CreateGeo2dsphereIndex) {
  CliRun r = Sql({"CREATE LIST INDEX idx_stops ON test.trips (stops) GEO2DSPHERE"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = One("SHOW INDEXES test");
  const std::string shown = j.dump();
  EXPECT_NE(shown.find("idx_stops"), std::string::npos) << shown;
  EXPECT_NE(shown.find("geo2dsphere"), std::string::npos) << shown;
  r = Sql({"DROP INDEX test idx_stops"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(SqlTest, GeoWithinAndContains) {
  CliRun r = Sql(
      {R"(INSERT INTO test.geo (PK, name, loc) VALUES (1, 'in', GEOJSON('{"type":"Point","coordinates":[103.913,1.308]}')))",
       R"(INSERT INTO test.geo (PK, name, loc) VALUES (2, 'out', GEOJSON('{"type":"Point","coordinates":[-122.1,37.4]}')))",
       R"(INSERT INTO test.geo (PK, name, loc) VALUES (3, 'area', GEOJSON('{"type":"Polygon","coordinates":[[[103,1],[104,1],[104,2],[103,2],[103,1]]]}')))",
       "CREATE INDEX idx_geo ON test.geo (loc) GEO2DSPHERE"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string within =
      R"(SELECT name FROM test.geo WHERE loc WITHIN GEOJSON('{"type":"AeroCircle","coordinates":[[103.9135,1.3085],15000]}'))";
  json j;
  for (int attempt = 0; attempt < 100; ++attempt) {  // the index fills in the background
    j = One(within);
    if (j["rows"].size() == 1) break;
    usleep(50 * 1000);
  }
  ASSERT_EQ(j["rows"].size(), 1u) << j.dump();
  EXPECT_EQ(j["rows"][0][1], "in");
  j = One(
      R"(SELECT name FROM test.geo WHERE loc CONTAINS GEOJSON('{"type":"Point","coordinates":[103.5,1.5]}'))");
  ASSERT_EQ(j["rows"].size(), 1u) << j.dump();
  EXPECT_EQ(j["rows"][0][1], "area");
  // CONTAINS takes a point: a region is a bad request (4).
  r = Sql(
      {R"(SELECT * FROM test.geo WHERE loc CONTAINS GEOJSON('{"type":"AeroCircle","coordinates":[[0,0],10]}'))"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("CONTAINS a point"), std::string::npos) << r.err;
}

TEST_F(SqlTest, ScanWithLimitAndProjection) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(Sql({"INSERT INTO bar.scan (PK, a, b) VALUES (" + std::to_string(i) + ", " +
                   std::to_string(i) + ", 'x')"})
                  .code,
              0);
  }
  json j = One("SELECT a FROM bar.scan");
  EXPECT_EQ(j["columns"], json({"PK", "a"}));
  EXPECT_EQ(j["rows"].size(), 5u);
  j = One("SELECT * FROM bar.scan LIMIT 2");
  EXPECT_EQ(j["rows"].size(), 2u);
}

TEST_F(SqlTest, DeleteByPrimaryKey) {
  ASSERT_EQ(Sql({"INSERT INTO test.gone (PK, v) VALUES ('k', 1)"}).code, 0);
  CliRun r = Sql({"DELETE FROM test.gone WHERE PK = 'k'"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1 record deleted"), std::string::npos) << r.out;
  EXPECT_TRUE(One("SELECT * FROM test.gone WHERE PK = 'k'")["rows"].empty());
  // Deleting it again: record not found (2).
  r = Sql({"DELETE FROM test.gone WHERE PK = 'k'"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("result code 2)"), std::string::npos) << r.err;
}

TEST_F(SqlTest, ShowNamespaces) {
  CliRun r = Sql({"SHOW NAMESPACES"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("namespace"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bar"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(2 rows, "), std::string::npos) << r.out;
}

TEST_F(SqlTest, Explain) {
  CliRun r = Sql({"EXPLAIN SELECT * FROM test.demo WHERE age BETWEEN 1 AND 9"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("index query"), std::string::npos) << r.out;
  json j = One("EXPLAIN SELECT * FROM test.demo WHERE PK = 'k1'");
  EXPECT_NE(j["plan"].get<std::string>().find("primary-key lookup"), std::string::npos);
}

TEST_F(SqlTest, Truncate) {
  ASSERT_EQ(Sql({"INSERT INTO test.trunc (PK, v) VALUES (1, 1)"}).code, 0);
  ASSERT_EQ(Sql({"INSERT INTO test.trunc (PK, v) VALUES (2, 2)"}).code, 0);
  CliRun r = Sql({"TRUNCATE test.trunc"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(One("SELECT * FROM test.trunc")["rows"].empty());
}

TEST_F(SqlTest, ParseErrorHasLineAndColumn) {
  CliRun r = Sql({"SELECT *\nFORM test.demo"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("line 2, column 1"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(SqlTest, UsageErrors) {
  std::string cmd = std::string(TERN_CLI_PATH) + " --host " + kAddress +
                    " sql -f /nonexistent/file.sql >/dev/null 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 2);
}

TEST_F(SqlTest, StatementsFromStdin) {
  const auto in = *dir_ / "in.sql";
  {
    std::ofstream f(in);
    f << "INSERT INTO test.stdin (PK, v)\n  VALUES ('s', 5);\nSELECT v FROM test.stdin\n"
         "  WHERE PK = 's';\n";
  }
  const auto out = *dir_ / "out.txt";
  std::string cmd = std::string(TERN_CLI_PATH) + " --host " + kAddress + " sql <" + in.string() +
                    " >" + out.string() + " 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0) << ReadFile(out);
  EXPECT_NE(ReadFile(out).find("(1 row, "), std::string::npos) << ReadFile(out);
}

TEST_F(SqlTest, ModulesExecuteAggregate) {
  const auto lua = *dir_ / "sqlmod.lua";
  std::ofstream(lua) << R"(function bump(rec, by)
  rec['n'] = (rec['n'] or 0) + by
  if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end
  return rec['n']
end
function total(s)
  return s:map(function(r) return r['n'] end):reduce(function(a, b) return a + b end)
end
)";
  CliRun r = Sql({"REGISTER MODULE '" + lua.string() + "'"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("module registered"), std::string::npos) << r.out;
  r = Sql({"SHOW MODULES"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sqlmod.lua"), std::string::npos) << r.out;

  json j = One("EXECUTE sqlmod.bump(5) ON test.udf WHERE PK = 'a'");
  EXPECT_EQ(j["rows"], json::parse("[[5]]"));
  j = One("EXECUTE sqlmod.bump(2) ON test.udf WHERE PK = 'b'");
  EXPECT_EQ(j["rows"], json::parse("[[2]]"));
  j = One("AGGREGATE sqlmod.total() ON test.udf");
  EXPECT_EQ(j["rows"], json::parse("[[7]]")) << j.dump();

  // Without a key: a background job over every record of the set, one call each.
  j = One("EXECUTE sqlmod.bump(1) ON test.udf");
  ASSERT_TRUE(j["job_id"].is_number_unsigned()) << j.dump();
  const uint64_t job = j["job_id"].get<uint64_t>();
  EXPECT_EQ(j["message"], "job " + std::to_string(job) + " started on 1 node");
  CliRun show;
  for (int attempt = 0; attempt < 100; ++attempt) {
    show = RunCommand(std::string(TERN_CLI_PATH) + " --host " + kAddress +
                          " info query-show:trid=" + std::to_string(job),
                      *dir_);
    if (show.out.find("status=done(ok)") != std::string::npos) break;
    usleep(50 * 1000);
  }
  EXPECT_NE(show.out.find("status=done(ok)"), std::string::npos) << show.out << show.err;
  j = One("AGGREGATE sqlmod.total() ON test.udf");
  EXPECT_EQ(j["rows"], json::parse("[[9]]")) << j.dump();

  // A failing UDF answers 100; REGISTER MODULE sent straight to the server is refused.
  r = Sql({"EXECUTE sqlmod.nope() ON test.udf WHERE PK = 'a'"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("result code 100"), std::string::npos) << r.err;

  r = Sql({"REMOVE MODULE sqlmod"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Sql({"SHOW MODULES"});
  EXPECT_EQ(r.out.find("sqlmod.lua"), std::string::npos) << r.out;
}

TEST_F(SqlTest, ShowSetsAndBins) {
  ASSERT_EQ(Sql({"INSERT INTO test.shown (PK, colour) VALUES (1, 'red')"}).code, 0);
  CliRun r = Sql({"SHOW SETS test"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("shown"), std::string::npos) << r.out;
  r = Sql({"SHOW BINS test"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("colour"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tern::testing
