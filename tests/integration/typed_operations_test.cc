// Typed list, map, bit, HLL, expression and path operations against a real ternd: through the raw
// gRPC stub (errors: INVALID_ARGUMENT with the result code), libternclient's builders
// (tern/operations.h) and `tern operate` (tables, --json, exit codes).
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "grpcpp/grpcpp.h"
#include "tern/client.h"
#include "tern/operations.h"
#include "tern/v1/kv.grpc.pb.h"
#include "test_node.h"

namespace tern::testing {
namespace {

using nlohmann::json;

constexpr char kAddress[] = "127.0.0.160";
constexpr char kNobody[] = "127.0.0.161";  // nothing listens here
// [20, [81, 2, "x"], 10]: integer bin x plus 10, packed, and its base64 for the CLI.
const std::string kXPlus10("\x93\x14\x93\x51\x02\xa1x\x0a", 8);
constexpr char kXPlus10Base64[] = "kxSTUQKheAo=";

// gt(loopVarFloat(VALUE), float(3.0)) and mul(loopVarFloat(VALUE), float(2.0)), packed as the
// Node client packs them, and their base64 for the CLI.
const std::string kValueOver3("\x93\x03\x93\x7a\x07\x01\xcb\x40\x08\x00\x00\x00\x00\x00\x00", 15);
constexpr char kValueOver3Base64[] = "kwOTegcBy0AIAAAAAAAA";
const std::string kValueTimes2("\x93\x16\x93\x7a\x07\x01\xcb\x40\x00\x00\x00\x00\x00\x00\x00", 15);
constexpr char kValueTimes2Base64[] = "kxaTegcBy0AAAAAAAAAA";

class TypedOperationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("tern-it-typed-ops-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    node_ = new TestNode(kAddress, *dir_);
    node_->Start("  - name: test\n    storage: memory\n");
    ASSERT_TRUE(node_->WaitReady()) << node_->log();
    ClientConfig cfg;
    cfg.seeds = {std::string(kAddress) + ":3100"};
    auto c = Client::Connect(cfg);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = c->release();
  }
  static void TearDownTestSuite() {
    delete client_;
    EXPECT_EQ(node_->Stop(), 0) << node_->log();
    std::filesystem::remove_all(*dir_);
    delete node_;
    delete dir_;
  }

  static CommandRun Tern(const std::vector<std::string>& args, const std::string& host = kAddress) {
    std::string cmd = std::string(TERN_CLI_PATH) + " --host " + host;
    for (const auto& a : args) cmd += " " + ShellQuote(a);
    return RunCommand(cmd, *dir_);
  }
  // `tern --json operate test ops <key> <ops>`: the results array.
  static json OperateJson(const std::string& key, const std::string& ops) {
    CommandRun r = Tern({"--json", "operate", "test", "ops", key, ops});
    EXPECT_EQ(r.code, 0) << r.err;
    if (r.code != 0) return json();
    return json::parse(r.out)["results"];
  }

  static std::vector<Value> Values(const Record& r) {
    std::vector<Value> out;
    for (const Bin& b : r.bins) out.push_back(b.value);
    return out;
  }

  static TestNode* node_;
  static std::filesystem::path* dir_;
  static Client* client_;
};
TestNode* TypedOperationsTest::node_ = nullptr;
std::filesystem::path* TypedOperationsTest::dir_ = nullptr;
Client* TypedOperationsTest::client_ = nullptr;

TEST_F(TypedOperationsTest, ListsThroughTheClient) {
  auto r = client_->Operate(Key("test", "ops", "list1"),
                            {ListAppendItems("l", {3, 1, 2}), ListAppend("l", 5), ListSort("l"),
                             ListGetByIndexRange("l", 1, 2, v1::RETURN_VALUE),
                             ListRemoveByValue("l", 5, v1::RETURN_INDEX), ListSize("l")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Remove-by-value is a single-element selector: it answers a scalar index.
  EXPECT_EQ(Values(*r), (std::vector<Value>{3, 4, List{{2, 3}}, 3, 3}));
  auto got = client_->Get(Key("test", "ops", "list1"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got->Get("l"), Value(List{{1, 2, 3}}));
}

TEST_F(TypedOperationsTest, MapsWithContextsThroughTheClient) {
  MapOptions nested;
  nested.ctx = {CtxMapKey("inner", 0x80)};
  auto r = client_->Operate(
      Key("test", "ops", "map1"),
      {MapPutItems("m", Map{{{"a", 1}, {"b", 2}}}), MapIncrement("m", "a", 10),
       MapPut("m", "x", 7, nested), MapGetByKey("m", "x", v1::RETURN_VALUE, {CtxMapKey("inner")}),
       MapRemoveByKey("m", "b", v1::RETURN_VALUE), MapGetByKey("m", "a", v1::RETURN_KEY_VALUE),
       MapSize("m")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->bins.size(), 7u);
  EXPECT_EQ(r->bins[0].value, Value(2));
  EXPECT_EQ(r->bins[1].value, Value(11));
  EXPECT_EQ(r->bins[3].value, Value(7));
  EXPECT_EQ(r->bins[4].value, Value(2));
  EXPECT_EQ(r->bins[6].value, Value(2));  // a and inner
}

TEST_F(TypedOperationsTest, BitsAndHllThroughTheClient) {
  BitOptions wrap;
  wrap.overflow = v1::BitOperation::OVERFLOW_WRAP;
  auto bits =
      client_->Operate(Key("test", "ops", "bits1"),
                       {BitResize("b", 2), BitSet("b", 0, 8, "\xff"), BitAdd("b", 8, 8, 5, wrap),
                        BitCount("b", 0, 16), BitGetInt("b", 8, 8), BitGet("b", 0, 16)});
  ASSERT_TRUE(bits.ok()) << bits.status().ToString();
  EXPECT_EQ(Values(*bits), (std::vector<Value>{10, 5, Bytes{std::string("\xff\x05", 2)}}));

  auto hll = client_->Operate(
      Key("test", "ops", "hll1"),
      {HllInit("h", 8), HllAdd("h", {"a", "b", "c"}), HllGetCount("h"), HllDescribe("h")});
  ASSERT_TRUE(hll.ok()) << hll.status().ToString();
  EXPECT_EQ(Values(*hll), (std::vector<Value>{3, 3, List{{8, 0}}}));
}

TEST_F(TypedOperationsTest, ExpressionsThroughTheClient) {
  auto r = client_->Operate(Key("test", "ops", "exp1"),
                            {Operation::Write("x", 5), ExpRead("sum", kXPlus10),
                             ExpWrite("y", kXPlus10), Operation::Read("y")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values(*r), (std::vector<Value>{15, 15}));
}

TEST_F(TypedOperationsTest, PathSelectAndApplyThroughTheClient) {
  const Key key("test", "ops", "path1");
  MapOptions ordered;
  ordered.order = v1::MAP_KEY_ORDERED;
  auto r = client_->Operate(
      key, {MapPutItems("prices", Map{{{"a", 1.5}, {"b", 3.25}, {"c", 4.5}}}, ordered),
            PathSelect("prices", {PathFilter(kValueOver3)}, v1::PathOperation::MAP_KEY),
            PathApply("prices", {PathAllChildren()}, kValueTimes2),
            PathSelect("prices", {PathStep(CtxMapKey("b"))}, v1::PathOperation::VALUE)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The apply answers nothing.
  EXPECT_EQ(Values(*r), (std::vector<Value>{3, List{{"b", "c"}}, List{{6.5}}}));
  auto got = client_->Get(key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got->Get("prices"), Value(Map{{{"a", 3.0}, {"b", 6.5}, {"c", 9.0}}, 1}));

  // A path on a bin that is no list or map: the record layer's answer (12).
  ASSERT_TRUE(client_->Operate(key, {Operation::Write("n", 1)}).ok());
  auto wrong =
      client_->Operate(key, {PathSelect("n", {PathAllChildren()}, v1::PathOperation::VALUE)});
  EXPECT_EQ(wrong.status().code(), 12);
}

TEST_F(TypedOperationsTest, BadPathOperationIsInvalidArgumentWithResultCode) {
  auto stub = v1::Kv::NewStub(
      grpc::CreateChannel(std::string(kAddress) + ":3100", grpc::InsecureChannelCredentials()));
  v1::OperateRequest req;
  req.mutable_key()->set_namespace_("test");
  req.mutable_key()->set_set("ops");
  req.mutable_key()->set_string_key("path-bad");
  v1::Operation* op = req.add_ops();
  op->set_bin("m");
  op->mutable_path()->set_kind(v1::PathOperation::APPLY);
  op->mutable_path()->add_path()->set_all_children(true);
  v1::Record resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->Operate(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "path APPLY without an expression");
  v1::ErrorDetail detail;
  ASSERT_TRUE(detail.ParseFromString(s.error_details()));
  EXPECT_EQ(detail.result_code(), 4u);
}

TEST_F(TypedOperationsTest, BatchOperateRowsTakeTypedOperations) {
  ASSERT_TRUE(client_->Operate(Key("test", "ops", "batch1"), {ListAppendItems("l", {1, 2})}).ok());
  auto stub = v1::Kv::NewStub(
      grpc::CreateChannel(std::string(kAddress) + ":3100", grpc::InsecureChannelCredentials()));
  v1::BatchOperateRequest req;
  for (const char* k : {"batch1", "batch2"}) {
    v1::OperateRequest* row = req.add_requests();
    row->mutable_key()->set_namespace_("test");
    row->mutable_key()->set_set("ops");
    row->mutable_key()->set_string_key(k);
    v1::Operation* op = row->add_ops();
    op->set_bin("l");
    op->mutable_list()->set_kind(v1::ListOperation::SIZE);
  }
  v1::BatchOperateResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub->BatchOperate(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.records_size(), 2);
  EXPECT_EQ(resp.records(0).result_code(), 0u);
  ASSERT_EQ(resp.records(0).record().bins_size(), 1);
  EXPECT_EQ(resp.records(0).record().bins(0).value().int_value(), 2);
  EXPECT_EQ(resp.records(1).result_code(), 2u);  // no such record
}

TEST_F(TypedOperationsTest, BadTypedOperationsAreInvalidArgumentWithResultCode) {
  auto stub = v1::Kv::NewStub(
      grpc::CreateChannel(std::string(kAddress) + ":3100", grpc::InsecureChannelCredentials()));
  v1::OperateRequest req;
  req.mutable_key()->set_namespace_("test");
  req.mutable_key()->set_set("ops");
  req.mutable_key()->set_string_key("bad");
  v1::Operation* op = req.add_ops();
  op->set_bin("l");
  op->mutable_list()->set_kind(static_cast<v1::ListOperation::Kind>(14));
  v1::Record resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub->Operate(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "unknown list operation kind 14");
  v1::ErrorDetail detail;
  ASSERT_TRUE(detail.ParseFromString(s.error_details()));
  EXPECT_EQ(detail.result_code(), 4u);

  auto count =
      client_->Operate(Key("test", "ops", "bad"), {ListOp("l", v1::ListOperation::INSERT, {0})});
  EXPECT_EQ(count.status().code(), result::kParameterError);
  EXPECT_NE(count.status().message().find("list INSERT takes 2 arguments, got 1"),
            std::string::npos)
      << count.status().message();

  // Well-formed, but a map operation on a list bin: the record layer's answer (12).
  ASSERT_TRUE(client_->Operate(Key("test", "ops", "bad"), {ListAppend("l", 1)}).ok());
  auto wrong = client_->Operate(Key("test", "ops", "bad"), {MapSize("l")});
  EXPECT_EQ(wrong.status().code(), 12);
}

TEST_F(TypedOperationsTest, CliOperateEachFamily) {
  EXPECT_EQ(OperateJson("cli-list", R"([{"op":"list_append","bin":"tags","value":"x"},
      {"op":"list_append","bin":"tags","value":"y","flags":["add_unique"]},
      {"op":"list_get_by_index","bin":"tags","index":-1,"return":"value"},
      {"op":"list_size","bin":"tags"}])"),
            json::parse(R"([{"bin":"tags","value":1},{"bin":"tags","value":2},
                            {"bin":"tags","value":"y"},{"bin":"tags","value":2}])"));

  EXPECT_EQ(OperateJson("cli-map", R"([
      {"op":"map_put","bin":"m","key":"k","value":1,"ctx":[{"map_key":"a","create":"key_ordered"}]},
      {"op":"map_put","bin":"m","key":"z","value":2},
      {"op":"map_get_by_key","bin":"m","key":"a","return":"value"},
      {"op":"map_get_by_key_list","bin":"m","keys":["a"],"return":"key","inverted":true}])"),
            json::parse(R"([{"bin":"m","value":1},{"bin":"m","value":2},
                            {"bin":"m","value":{"k":1}},{"bin":"m","value":["z"]}])"));

  EXPECT_EQ(OperateJson("cli-bit", R"([{"op":"bit_resize","bin":"b","byte_size":1},
      {"op":"bit_set","bin":"b","offset":0,"size":4,"value":{"blob":"8A=="}},
      {"op":"bit_get_int","bin":"b","offset":0,"size":8,"signed":true}])"),
            json::parse(R"([{"bin":"b","value":-16}])"));

  EXPECT_EQ(OperateJson("cli-hll", R"([{"op":"hll_add","bin":"h","values":["a","b"],"index_bits":8},
      {"op":"hll_count","bin":"h"}])"),
            json::parse(R"([{"bin":"h","value":2},{"bin":"h","value":2}])"));

  EXPECT_EQ(OperateJson("cli-exp", std::string(R"([{"op":"write","bin":"x","value":5},
      {"op":"exp_read","bin":"sum","exp":{"blob":")") +
                                       kXPlus10Base64 + R"("}},
      {"op":"incr","bin":"x","value":1},{"op":"read","bin":"x"}])"),
            json::parse(R"([{"bin":"sum","value":15},{"bin":"x","value":6}])"));
}

TEST_F(TypedOperationsTest, CliOperatePathSelectAndApply) {
  EXPECT_EQ(OperateJson("cli-path", std::string(R"([
      {"op":"map_put_items","bin":"shop","items":{"book":[{"price":1.5},{"price":4.5}]}},
      {"op":"path_select","bin":"shop","return":"value",
       "path":[{"map_key":"book"},{"all":true},{"map_key":"price"}]},
      {"op":"path_apply","bin":"shop","exp":{"blob":")") +
                                        kValueTimes2Base64 + R"("},
       "path":[{"map_key":"book"},{"all":true},{"map_key":"price"}]},
      {"op":"path_select","bin":"shop","return":"matching_tree",
       "path":[{"map_key":"book"},{"all":true},{"filter":{"blob":")" +
                                        kValueOver3Base64 + R"("}}]}])"),
            json::parse(R"([{"bin":"shop","value":1},{"bin":"shop","value":[1.5,4.5]},
                      {"bin":"shop","value":{"book":[{"price":9.0}]}}])"));
}

TEST_F(TypedOperationsTest, CliOperateTableAndServerErrors) {
  CommandRun table = Tern({"operate", "test", "ops", "cli-table",
                           R"([{"op":"list_append_items","bin":"l","values":[3,1]},
                               {"op":"list_get_by_rank","bin":"l","rank":0,"return":"value"}])"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("l    2"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("l    1"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("(generation 1, ttl never)"), std::string::npos) << table.out;

  CommandRun wrong =
      Tern({"operate", "test", "ops", "cli-table", R"([{"op":"map_size","bin":"l"}])"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find("(result code 12)"), std::string::npos) << wrong.err;
  EXPECT_EQ(std::count(wrong.err.begin(), wrong.err.end(), '\n'), 1);
}

TEST_F(TypedOperationsTest, CliBadOperationsExitTwoAndSendNothing) {
  // Pointed at an address where nothing listens: a request would fail with exit 1.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[", "operations are not valid JSON"},
      {"[]", "operations must be a JSON array of objects"},
      {R"([{"bin":"x"}])", "operation 1: missing \"op\""},
      {R"([{"op":"list_frob","bin":"l"}])", "operation 1 (list_frob): unknown operation"},
      {R"([{"op":"read"},{"op":"list_insert","bin":"l","value":1}])",
       "operation 2 (list_insert): missing \"index\""},
      {R"([{"op":"list_insert","bin":"l","index":"a","value":1}])",
       "operation 1 (list_insert): \"index\" must be an integer"},
      {R"([{"op":"list_append","bin":"l","value":1,"colour":"red"}])",
       "operation 1 (list_append): unknown field \"colour\""},
      {R"([{"op":"map_get_by_key","bin":"m","key":"a"}])",
       "operation 1 (map_get_by_key): missing \"return\" (value, count, key, index, ...)"},
      {R"([{"op":"map_get_by_key","bin":"m","key":"a","return":"colour"}])",
       "operation 1 (map_get_by_key): unknown \"return\" \"colour\""},
      {R"([{"op":"list_size","bin":"l","return":"value"}])",
       "operation 1 (list_size): takes no \"return\""},
      {R"([{"op":"list_append","bin":"l","value":1,"flags":["sideways"]}])",
       "operation 1 (list_append): unknown flag \"sideways\" in \"flags\" (known: add_unique, "
       "insert_bounded, no_fail, partial)"},
      {R"([{"op":"map_size","bin":"m","ctx":[{"map_kee":"a"}]}])",
       "operation 1 (map_size): a ctx step is an object with one of list_index, list_rank, "
       "list_value, map_index, map_rank, map_key, map_value (and \"create\" for list_index and "
       "map_key)"},
      {R"([{"op":"bit_set","bin":"b","offset":0,"size":8,"value":"ff"}])",
       "operation 1 (bit_set): \"value\" must be bytes ({\"blob\": \"<base64>\"})"},
      {R"([{"op":"exp_read","bin":"x"}])",
       "operation 1 (exp_read): missing \"exp\" ({\"blob\": \"<base64>\"} of the packed "
       "expression)"},
  };
  for (const auto& [ops, message] : cases) {
    CommandRun r = Tern({"operate", "test", "ops", "k", ops}, kNobody);
    EXPECT_EQ(r.code, 2) << ops << "\n" << r.err;
    EXPECT_EQ(r.err, "tern: " + message + " (see tern --help)\n") << ops;
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
}  // namespace tern::testing
