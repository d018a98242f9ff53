// The `tern` CLI as a user runs it against a real ternd: each subcommand's output (table and
// --json) and exit code; errors are one line on stderr with exit 1 (operation failed) or 2
// (bad arguments).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_node.h"

namespace tern::testing {
namespace {

using nlohmann::json;

constexpr char kAddress[] = "127.0.0.43";

using CliRun = CommandRun;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("tern-it-cli-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    node_ = new TestNode(kAddress, *dir_);
    node_->Start("  - name: test\n    storage: memory\n  - name: bar\n    storage: flash\n");
    ASSERT_TRUE(node_->WaitReady()) << node_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(node_->Stop(), 0) << node_->log();
    std::filesystem::remove_all(*dir_);
    delete node_;
    delete dir_;
  }

  // Runs `tern --host <node> args...`.
  static CliRun Tern(const std::vector<std::string>& args, bool with_host = true) {
    std::string cmd = TERN_CLI_PATH;
    if (with_host) cmd += std::string(" --host ") + kAddress;
    for (const auto& a : args) cmd += " " + ShellQuote(a);
    return RunCommand(cmd, *dir_);
  }

  static size_t Lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

  static TestNode* node_;
  static std::filesystem::path* dir_;
};
TestNode* CliTest::node_ = nullptr;
std::filesystem::path* CliTest::dir_ = nullptr;

TEST_F(CliTest, PutGetDeleteRoundTrip) {
  CliRun put = Tern({"put", "test", "demo", "k1", "name=ada", "age=36", "score=9.5", "ok=true",
                     "tags=[\"a\",\"b\"]", "addr={\"city\":\"Paris\"}"});
  ASSERT_EQ(put.code, 0) << put.err;
  EXPECT_EQ(put.out, "ok (generation 1, ttl never)\n");

  CliRun get = Tern({"get", "test", "demo", "k1"});
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_NE(get.out.find("name   ada"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("age    36"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("tags   [\"a\",\"b\"]"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("(generation 1, ttl never)"), std::string::npos);

  CliRun js = Tern({"get", "test", "demo", "k1", "--json"});
  ASSERT_EQ(js.code, 0) << js.err;
  json j = json::parse(js.out);
  EXPECT_EQ(j["bins"]["name"], "ada");
  EXPECT_EQ(j["bins"]["age"], 36);
  EXPECT_EQ(j["bins"]["score"], 9.5);
  EXPECT_EQ(j["bins"]["ok"], true);
  EXPECT_EQ(j["bins"]["tags"], json::parse(R"(["a","b"])"));
  EXPECT_EQ(j["bins"]["addr"]["city"], "Paris");
  EXPECT_EQ(j["generation"], 1);
  EXPECT_EQ(j["key"]["key"], "k1");

  CliRun some = Tern({"get", "test", "demo", "k1", "age", "--json"});
  ASSERT_EQ(some.code, 0);
  EXPECT_EQ(json::parse(some.out)["bins"], json::parse(R"({"age":36})"));

  CliRun del = Tern({"delete", "test", "demo", "k1"});
  EXPECT_EQ(del.code, 0) << del.err;
  EXPECT_EQ(del.out, "deleted\n");
  CliRun again = Tern({"delete", "test", "demo", "k1"});
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err, "tern: delete test/demo/k1: record not found (result code 2)\n");
}

TEST_F(CliTest, IntegerKeysAndFlashNamespace) {
  EXPECT_EQ(Tern({"put", "-i", "bar", "s", "42", "v=hello", "--ttl", "-1"}).code, 0);
  CliRun get = Tern({"--json", "-i", "get", "bar", "s", "42"});
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(json::parse(get.out)["key"]["key"], 42);
  // "42" as a string key is another record.
  EXPECT_EQ(Tern({"get", "bar", "s", "42"}).code, 1);
}

TEST_F(CliTest, OperationErrorsAreOneLineExitOne) {
  CliRun nf = Tern({"get", "test", "demo", "absent"});
  EXPECT_EQ(nf.code, 1);
  EXPECT_EQ(nf.out, "");
  EXPECT_EQ(nf.err, "tern: get test/demo/absent: record not found (result code 2)\n");

  CliRun ns = Tern({"get", "nope", "demo", "k"});
  EXPECT_EQ(ns.code, 1);
  EXPECT_EQ(ns.err, "tern: get nope/demo/k: namespace 'nope' not found (result code 20)\n");

  CliRun scan = Tern({"scan", "nope"});
  EXPECT_EQ(scan.code, 1);
  EXPECT_EQ(Lines(scan.err), 1u);

  CliRun create = Tern({"put", "test", "demo", "c1", "a=1"});
  ASSERT_EQ(create.code, 0);
  CliRun dup = Tern({"put", "test", "demo", "c1", "a=2", "--create-only"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("(result code 5)"), std::string::npos) << dup.err;

  CliRun info = Tern({"info", "bogus"});
  EXPECT_EQ(info.code, 1);
  EXPECT_EQ(info.err, "tern: info bogus: ERROR:4:unrecognized command\n");

  CliRun down = Tern({"--host", "127.0.0.44", "--timeout", "500", "info"}, false);
  EXPECT_EQ(down.code, 1);
  EXPECT_EQ(Lines(down.err), 1u);
  EXPECT_NE(down.err.find("cannot connect to 127.0.0.44:3100"), std::string::npos) << down.err;
}

TEST_F(CliTest, BadArgumentsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"get", "test", "demo"},
           {"put", "test", "demo", "k"},
           {"put", "test", "demo", "k", "novalue"},
           {"put", "test", "demo", "k", "=1"},
           {"put", "test", "demo", "k", "averyveryverylongname=1"},
           {"put", "test", "demo", "k", "a=[1,"},
           {"frobnicate"},
           {"--port", "notaport", "info"},
           {"-i", "get", "test", "demo", "abc"},
           {"bench", "--workload", "bogus"},
       }) {
    CliRun r = Tern(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined << r.err;
    EXPECT_EQ(Lines(r.err), 1u) << joined << r.err;
    EXPECT_EQ(r.err.rfind("tern: ", 0), 0u) << r.err;
  }
  CliRun help = Tern({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("bench"), std::string::npos);
}

TEST_F(CliTest, InfoTablesAndJson) {
  CliRun one = Tern({"info", "namespaces"});
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(one.out, "test;bar\n");
  CliRun summary = Tern({"info"});
  ASSERT_EQ(summary.code, 0);
  EXPECT_NE(summary.out.find("namespaces"), std::string::npos);
  EXPECT_NE(summary.out.find("command"), std::string::npos);  // table header
  CliRun js = Tern({"info", "namespaces", "build", "--json"});
  ASSERT_EQ(js.code, 0);
  json j = json::parse(js.out);
  EXPECT_EQ(j["namespaces"], "test;bar");
  EXPECT_EQ(j["build"], "8.1.2.0");
}

TEST_F(CliTest, ScanTableJsonAndLimit) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(
        Tern({"put", "test", "scanset", "s" + std::to_string(i), "i=" + std::to_string(i)}).code,
        0);
  }
  ASSERT_EQ(Tern({"put", "test", "other", "x", "i=9"}).code, 0);
  CliRun table = Tern({"scan", "test", "scanset"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("(5 records)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("scanset  s3"), std::string::npos) << table.out;
  CliRun js = Tern({"scan", "test", "scanset", "--json"});
  ASSERT_EQ(js.code, 0);
  EXPECT_EQ(Lines(js.out), 5u);
  std::istringstream lines(js.out);
  for (std::string line; std::getline(lines, line);) {
    json r = json::parse(line);
    EXPECT_EQ(r["key"]["set"], "scanset");
    EXPECT_TRUE(r["bins"].contains("i"));
  }
  CliRun lim = Tern({"scan", "test", "scanset", "--limit", "2", "--json"});
  ASSERT_EQ(lim.code, 0);
  EXPECT_EQ(Lines(lim.out), 2u);
}

TEST_F(CliTest, UdfRegisterApplyListRemove) {
  const auto lua = *dir_ / "counter.lua";
  std::ofstream(lua) << R"(function bump(rec, bin, by)
  rec[bin] = (rec[bin] or 0) + by
  if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end
  return rec[bin]
end
function echo(rec, ...) return {...} end
function fail(rec) error('boom') end
)";
  CliRun reg = Tern({"udf", "register", lua.string()});
  ASSERT_EQ(reg.code, 0) << reg.err;
  EXPECT_EQ(reg.out.rfind("registered counter.lua (hash ", 0), 0u) << reg.out;

  CliRun list = Tern({"udf", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("filename"), std::string::npos) << list.out;  // table header
  EXPECT_NE(list.out.find("counter.lua  counter"), std::string::npos) << list.out;
  CliRun list_js = Tern({"--json", "udf", "list"});
  ASSERT_EQ(list_js.code, 0);
  json modules = json::parse(list_js.out);
  ASSERT_EQ(modules.size(), 1u);
  EXPECT_EQ(modules[0]["filename"], "counter.lua");
  EXPECT_EQ(modules[0]["name"], "counter");
  EXPECT_EQ(modules[0]["hash"].get<std::string>().size(), 40u);

  CliRun apply = Tern({"udf", "apply", "test", "udf", "k1", "counter", "bump", "n", "5"});
  ASSERT_EQ(apply.code, 0) << apply.err;
  EXPECT_EQ(apply.out, "5\n");
  CliRun apply_js =
      Tern({"udf", "apply", "test", "udf", "k1", "counter", "bump", "n", "-2", "--json"});
  ASSERT_EQ(apply_js.code, 0) << apply_js.err;
  EXPECT_EQ(json::parse(apply_js.out), json::parse(R"({"result":3})"));
  CliRun get = Tern({"--json", "get", "test", "udf", "k1"});
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(json::parse(get.out)["bins"]["n"], 3);
  EXPECT_EQ(json::parse(get.out)["key"]["key"], "k1");  // stored with the record

  // Arguments parse as put's bin values do; words that name commands are arguments too.
  CliRun echo = Tern({"--json", "udf", "apply", "test", "udf", "k1", "counter", "echo", "7", "2.5",
                      "true", "word", "[1,\"a\"]", "{\"m\":1}", "-3", "info"});
  ASSERT_EQ(echo.code, 0) << echo.err;
  EXPECT_EQ(json::parse(echo.out)["result"],
            json::parse(R"([7,2.5,true,"word",[1,"a"],{"m":1},-3,"info"])"));
  CliRun table = Tern({"udf", "apply", "test", "udf", "k1", "counter", "echo", "x"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out, "[\"x\"]\n");

  CliRun fail = Tern({"udf", "apply", "test", "udf", "k1", "counter", "fail"});
  EXPECT_EQ(fail.code, 1);
  EXPECT_EQ(Lines(fail.err), 1u) << fail.err;
  EXPECT_EQ(fail.err.rfind("tern: udf apply test/udf/k1 counter.fail: ", 0), 0u) << fail.err;
  EXPECT_NE(fail.err.find("boom"), std::string::npos) << fail.err;
  EXPECT_NE(fail.err.find("(result code 100)"), std::string::npos) << fail.err;

  const auto bad = *dir_ / "bad.lua";
  std::ofstream(bad) << "function (\n";
  CliRun bad_reg = Tern({"udf", "register", bad.string()});
  EXPECT_EQ(bad_reg.code, 1);
  EXPECT_EQ(Lines(bad_reg.err), 1u) << bad_reg.err;
  EXPECT_NE(bad_reg.err.find("compile error: bad.lua:1: "), std::string::npos) << bad_reg.err;
  EXPECT_NE(bad_reg.err.find("(result code 100)"), std::string::npos) << bad_reg.err;

  CliRun rm = Tern({"udf", "remove", "counter"});
  ASSERT_EQ(rm.code, 0) << rm.err;
  EXPECT_EQ(rm.out, "removed counter.lua\n");
  CliRun rm_again = Tern({"udf", "remove", "counter.lua"});
  EXPECT_EQ(rm_again.code, 1);
  EXPECT_EQ(rm_again.err,
            "tern: udf remove counter.lua: module not registered (result code 100)\n");
  CliRun empty = Tern({"--json", "udf", "list"});
  ASSERT_EQ(empty.code, 0);
  EXPECT_EQ(json::parse(empty.out), json::array());
  CliRun gone = Tern({"udf", "apply", "test", "udf", "k1", "counter", "bump", "n", "1"});
  EXPECT_EQ(gone.code, 1);
  EXPECT_NE(gone.err.find("(result code 100)"), std::string::npos) << gone.err;
}

TEST_F(CliTest, IndexCreateListDrop) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Tern({"-i", "put", "test", "ix", std::to_string(i), "age=" + std::to_string(i),
                    "tags=[\"t" + std::to_string(i % 3) + "\"]"})
                  .code,
              0);
  }
  CliRun r = Tern({"index", "create", "ix_age", "test.ix", "age", "numeric"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("index ix_age created"), std::string::npos) << r.out;
  r = Tern({"index", "create", "ix_tags", "test.ix", "tags", "STRING", "--in", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  // Built in the background: the list shows 100% and every entry once done.
  json all;
  for (int attempt = 0; attempt < 100; ++attempt) {
    CliRun l = Tern({"--json", "index", "list", "test"});
    ASSERT_EQ(l.code, 0) << l.err;
    all = json::parse(l.out);
    if (all.size() == 2 && all[0]["load_pct"] == 100 && all[1]["load_pct"] == 100) break;
    usleep(50 * 1000);
  }
  ASSERT_EQ(all.size(), 2u) << all.dump();
  std::map<std::string, json> by_name;
  for (const auto& i : all) by_name[i["name"]] = i;
  EXPECT_EQ(by_name["ix_age"]["bin"], "age");
  EXPECT_EQ(by_name["ix_age"]["set"], "ix");
  EXPECT_EQ(by_name["ix_age"]["type"], "numeric");
  EXPECT_EQ(by_name["ix_age"]["collection"], "default");
  EXPECT_EQ(by_name["ix_age"]["entries"], 20);
  EXPECT_EQ(by_name["ix_tags"]["type"], "string");
  EXPECT_EQ(by_name["ix_tags"]["collection"], "list");
  CliRun table = Tern({"index", "list"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("ix_tags"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("100%"), std::string::npos) << table.out;

  // The same definition again is fine; the name with another definition is 200.
  EXPECT_EQ(Tern({"index", "create", "ix_age", "test.ix", "age", "numeric"}).code, 0);
  r = Tern({"index", "create", "ix_age", "test.ix", "age", "string"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("200"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;

  ASSERT_EQ(Tern({"index", "drop", "test", "ix_age"}).code, 0);
  ASSERT_EQ(Tern({"index", "drop", "test", "ix_tags"}).code, 0);
  r = Tern({"index", "drop", "test", "ix_age"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("201"), std::string::npos) << r.err;
  r = Tern({"--json", "index", "list", "test"});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(json::parse(r.out), json::array());
  r = Tern({"index", "list", "nosuchns"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("20"), std::string::npos) << r.err;
}

TEST_F(CliTest, IndexBadArgumentsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"index"},
           {"index", "create", "i", "test.s", "bin"},
           {"index", "create", "i", "test.s", "bin", "float"},
           {"index", "create", "i", "test.s", "bin", "numeric", "--in", "tree"},
           {"index", "drop", "test"},
       }) {
    CliRun r = Tern(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined << r.err;
    EXPECT_EQ(Lines(r.err), 1u) << joined << r.err;
  }
}

TEST_F(CliTest, UdfBadArgumentsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"udf"},
           {"udf", "bogus"},
           {"udf", "register"},
           {"udf", "register", "/nonexistent/x.lua"},
           {"udf", "remove"},
           {"udf", "apply", "test", "udf", "k1", "counter"},
           {"udf", "apply", "test", "udf", "k1", "counter", "bump", "[1,"},
           {"-i", "udf", "apply", "test", "udf", "k1", "counter", "bump"},
           {"udf", "apply", "test", "udf", "k1", "counter", "bump", "--bogus"},
           {"delete", "test", "demo", "k", "extra"},
       }) {
    CliRun r = Tern(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined << r.err;
    EXPECT_EQ(Lines(r.err), 1u) << joined << r.err;
    EXPECT_EQ(r.err.rfind("tern: ", 0), 0u) << r.err;
  }
}

TEST_F(CliTest, BenchPrintsFigures) {
  CliRun b = Tern({"bench", "--duration", "1", "--keys", "200", "--concurrency", "4", "--json"});
  ASSERT_EQ(b.code, 0) << b.err;
  json j = json::parse(b.out);
  EXPECT_EQ(j["protocol"], "grpc");
  EXPECT_GT(j["run"]["ops"].get<int>(), 0);
  EXPECT_GT(j["run"]["ops_per_sec"].get<double>(), 0);
  EXPECT_EQ(j["run"]["errors"], 0);
  for (const char* k : {"p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"}) {
    EXPECT_TRUE(j["run"].contains(k)) << k;
  }
  EXPECT_EQ(j["load"]["ops"], 200);
  CliRun text = Tern(
      {"bench", "--duration", "1", "--keys", "100", "--concurrency", "2", "--workload", "read"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("summary"), std::string::npos);
  EXPECT_NE(text.out.find("p99.9"), std::string::npos);
}

}  // namespace
}  // namespace tern::testing
