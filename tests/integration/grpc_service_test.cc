// The gRPC API (tern.v1.Kv on port 3100) of a real ternd: every RPC through a raw stub, the
// error convention (status code + tern-result-code trailer), the resumable scan stream, and
// libternclient's sync, async and scan calls against it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "tern/client.h"
#include "tern/v1/kv.grpc.pb.h"
#include "test_node.h"

namespace tern::testing {
namespace {

namespace v1 = tern::v1;

constexpr char kAddress[] = "127.0.0.42";

const char* kNamespaces = R"(  - name: test
    storage: memory
  - name: bar
    storage: flash
)";

std::string ResultCodeOf(const grpc::ClientContext& ctx) {
  auto& t = ctx.GetServerTrailingMetadata();
  auto it = t.find("tern-result-code");
  return it == t.end() ? "" : std::string(it->second.data(), it->second.size());
}

v1::Key StringKey(const std::string& ns, const std::string& set, const std::string& k) {
  v1::Key key;
  key.set_namespace_(ns);
  key.set_set(set);
  key.set_string_key(k);
  return key;
}

class GrpcServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir =
        std::filesystem::temp_directory_path() / ("tern-it-grpc-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    node_ = new TestNode(kAddress, dir);
    node_->Start(kNamespaces);
    ASSERT_TRUE(node_->WaitReady()) << node_->log();
    channel_ =
        grpc::CreateChannel(std::string(kAddress) + ":3100", grpc::InsecureChannelCredentials());
    ASSERT_TRUE(
        channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)));
  }
  static void TearDownTestSuite() {
    channel_.reset();
    EXPECT_EQ(node_->Stop(), 0) << node_->log();
    std::filesystem::remove_all(node_->dir());
    delete node_;
  }
  std::unique_ptr<v1::Kv::Stub> Stub() { return v1::Kv::NewStub(channel_); }

  void PutOne(const v1::Key& key, const std::string& bin, int64_t v) {
    v1::PutRequest req;
    *req.mutable_key() = key;
    auto* b = req.add_bins();
    b->set_name(bin);
    b->mutable_value()->set_int_value(v);
    req.mutable_policy()->set_send_key(true);
    v1::WriteResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(Stub()->Put(&ctx, req, &resp).ok());
  }

  static TestNode* node_;
  static std::shared_ptr<grpc::Channel> channel_;
};
TestNode* GrpcServiceTest::node_ = nullptr;
std::shared_ptr<grpc::Channel> GrpcServiceTest::channel_;

TEST_F(GrpcServiceTest, PutGetEveryValueKind) {
  v1::PutRequest put;
  *put.mutable_key() = StringKey("test", "kinds", "k1");
  auto add = [&](const std::string& name) {
    auto* b = put.add_bins();
    b->set_name(name);
    return b->mutable_value();
  };
  add("i")->set_int_value(-42);
  add("d")->set_double_value(2.5);
  add("s")->set_string_value("héllo");
  add("b")->set_bytes_value(std::string("\0\1\2", 3));
  add("t")->set_bool_value(true);
  auto* list = add("l")->mutable_list_value();
  list->add_items()->set_int_value(1);
  list->add_items()->set_string_value("two");
  auto* map = add("m")->mutable_map_value();
  auto* e = map->add_entries();
  e->mutable_key()->set_string_value("k");
  e->mutable_value()->mutable_list_value()->add_items()->set_double_value(1.5);
  add("g")->set_geojson_value(R"({"type":"Point","coordinates":[1,2]})");
  v1::WriteResponse wr;
  grpc::ClientContext c1;
  ASSERT_TRUE(Stub()->Put(&c1, put, &wr).ok());
  EXPECT_EQ(wr.generation(), 1u);

  v1::GetRequest get;
  *get.mutable_key() = put.key();
  v1::Record rec;
  grpc::ClientContext c2;
  ASSERT_TRUE(Stub()->Get(&c2, get, &rec).ok());
  EXPECT_EQ(rec.generation(), 1u);
  ASSERT_EQ(rec.bins_size(), put.bins_size());
  for (int i = 0; i < put.bins_size(); ++i) {
    EXPECT_EQ(rec.bins(i).name(), put.bins(i).name());
    EXPECT_EQ(rec.bins(i).value().SerializeAsString(), put.bins(i).value().SerializeAsString())
        << rec.bins(i).name();
  }

  // Named bins only.
  get.add_bins("s");
  get.add_bins("missing");
  grpc::ClientContext c3;
  ASSERT_TRUE(Stub()->Get(&c3, get, &rec).ok());
  ASSERT_EQ(rec.bins_size(), 1);
  EXPECT_EQ(rec.bins(0).value().string_value(), "héllo");
}

TEST_F(GrpcServiceTest, ErrorsCarryTheResultCode) {
  v1::GetRequest get;
  *get.mutable_key() = StringKey("test", "demo", "absent");
  v1::Record rec;
  grpc::ClientContext c1;
  grpc::Status s = Stub()->Get(&c1, get, &rec);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "record not found");
  EXPECT_EQ(ResultCodeOf(c1), "2");

  *get.mutable_key() = StringKey("nope", "demo", "k");
  grpc::ClientContext c2;
  s = Stub()->Get(&c2, get, &rec);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ResultCodeOf(c2), "20");
  EXPECT_NE(s.error_message().find("nope"), std::string::npos);

  // A key without a user key or digest is a parameter error.
  get.mutable_key()->set_namespace_("test");
  get.mutable_key()->clear_string_key();
  grpc::ClientContext c3;
  s = Stub()->Get(&c3, get, &rec);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ResultCodeOf(c3), "4");

  // Create-only on an existing record.
  v1::Key key = StringKey("test", "demo", "exists");
  PutOne(key, "a", 1);
  v1::PutRequest put;
  *put.mutable_key() = key;
  put.mutable_policy()->set_exists_action(v1::CREATE_ONLY);
  auto* b = put.add_bins();
  b->set_name("a");
  b->mutable_value()->set_int_value(2);
  v1::WriteResponse wr;
  grpc::ClientContext c4;
  s = Stub()->Put(&c4, put, &wr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ResultCodeOf(c4), "5");

  // Generation check.
  put.mutable_policy()->set_exists_action(v1::UPDATE);
  put.mutable_policy()->set_generation_policy(v1::GENERATION_EQUAL);
  put.mutable_policy()->set_generation(7);
  grpc::ClientContext c5;
  s = Stub()->Put(&c5, put, &wr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ResultCodeOf(c5), "3");
}

TEST_F(GrpcServiceTest, ExistsTouchDelete) {
  v1::Key key;
  key.set_namespace_("bar");
  key.set_set("demo");
  key.set_int_key(77);
  PutOne(key, "n", 1);

  v1::ExistsRequest ex;
  *ex.mutable_key() = key;
  v1::ExistsResponse er;
  grpc::ClientContext c1;
  ASSERT_TRUE(Stub()->Exists(&c1, ex, &er).ok());
  EXPECT_TRUE(er.exists());
  EXPECT_EQ(er.generation(), 1u);

  v1::TouchRequest touch;
  *touch.mutable_key() = key;
  touch.mutable_policy()->set_ttl(-1);
  v1::WriteResponse wr;
  grpc::ClientContext c2;
  ASSERT_TRUE(Stub()->Touch(&c2, touch, &wr).ok());
  EXPECT_EQ(wr.generation(), 2u);

  v1::DeleteRequest del;
  *del.mutable_key() = key;
  v1::DeleteResponse dr;
  grpc::ClientContext c3;
  ASSERT_TRUE(Stub()->Delete(&c3, del, &dr).ok());
  EXPECT_TRUE(dr.existed());
  grpc::ClientContext c4;
  ASSERT_TRUE(Stub()->Delete(&c4, del, &dr).ok());
  EXPECT_FALSE(dr.existed());
  grpc::ClientContext c5;
  ASSERT_TRUE(Stub()->Exists(&c5, ex, &er).ok());
  EXPECT_FALSE(er.exists());

  // Touching a missing record is "not found".
  grpc::ClientContext c6;
  EXPECT_EQ(Stub()->Touch(&c6, touch, &wr).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServiceTest, OperateAndBatches) {
  v1::Key key = StringKey("test", "ops", "counter");
  v1::OperateRequest op;
  *op.mutable_key() = key;
  auto* incr = op.add_ops();
  incr->set_type(v1::Operation::INCR);
  incr->set_bin("n");
  incr->mutable_value()->set_int_value(5);
  auto* app = op.add_ops();
  app->set_type(v1::Operation::APPEND);
  app->set_bin("s");
  app->mutable_value()->set_string_value("ab");
  auto* rd = op.add_ops();
  rd->set_type(v1::Operation::READ);
  rd->set_bin("n");
  v1::Record rec;
  grpc::ClientContext c1;
  ASSERT_TRUE(Stub()->Operate(&c1, op, &rec).ok());
  ASSERT_EQ(rec.bins_size(), 1);
  EXPECT_EQ(rec.bins(0).value().int_value(), 5);

  v1::BatchGetRequest bg;
  *bg.add_keys() = key;
  *bg.add_keys() = StringKey("test", "ops", "absent");
  *bg.add_keys() = StringKey("nope", "ops", "x");
  v1::BatchGetResponse br;
  grpc::ClientContext c2;
  ASSERT_TRUE(Stub()->BatchGet(&c2, bg, &br).ok());
  ASSERT_EQ(br.records_size(), 3);
  EXPECT_EQ(br.records(0).result_code(), 0u);
  EXPECT_EQ(br.records(0).record().bins_size(), 2);
  EXPECT_EQ(br.records(1).result_code(), 2u);
  EXPECT_EQ(br.records(2).result_code(), 20u);

  v1::BatchOperateRequest bo;
  *bo.add_requests() = op;
  auto* bad = bo.add_requests();
  *bad->mutable_key() = key;  // no ops: answered 4, the other rows still run
  v1::BatchOperateResponse bor;
  grpc::ClientContext c3;
  ASSERT_TRUE(Stub()->BatchOperate(&c3, bo, &bor).ok());
  ASSERT_EQ(bor.records_size(), 2);
  EXPECT_EQ(bor.records(0).result_code(), 0u);
  EXPECT_EQ(bor.records(0).record().bins(0).value().int_value(), 10);
  EXPECT_EQ(bor.records(1).result_code(), 4u);
}

// [op, [81, 2, "<bin>"], v]: bin <bin> compared with integer v, packed as the clients pack it.
std::string IntBinFilter(int op, const std::string& bin, int64_t v) {
  std::string out = "\x93";
  out += static_cast<char>(op);
  out += "\x93\x51\x02";
  out += static_cast<char>(0xa0 | bin.size());
  out += bin;
  out += static_cast<char>(v);  // small non-negative integers only
  return out;
}

TEST_F(GrpcServiceTest, FilterExpressionsOnEveryCall) {
  const v1::Key key = StringKey("test", "filter", "k");
  PutOne(key, "i", 3);
  const std::string eq3 = IntBinFilter(1, "i", 3), eq4 = IntBinFilter(1, "i", 4);

  v1::GetRequest get;
  *get.mutable_key() = key;
  get.mutable_policy()->set_filter_expression(eq4);
  v1::Record rec;
  grpc::ClientContext c1;
  EXPECT_FALSE(Stub()->Get(&c1, get, &rec).ok());
  EXPECT_EQ(ResultCodeOf(c1), "27");
  get.mutable_policy()->set_filter_expression(eq3);
  grpc::ClientContext c2;
  ASSERT_TRUE(Stub()->Get(&c2, get, &rec).ok());
  EXPECT_EQ(rec.bins(0).value().int_value(), 3);

  // A filtered write and a filtered delete leave the record alone.
  v1::PutRequest put;
  *put.mutable_key() = key;
  auto* b = put.add_bins();
  b->set_name("i");
  b->mutable_value()->set_int_value(9);
  put.mutable_policy()->set_filter_expression(eq4);
  v1::WriteResponse wr;
  grpc::ClientContext c3;
  EXPECT_FALSE(Stub()->Put(&c3, put, &wr).ok());
  EXPECT_EQ(ResultCodeOf(c3), "27");
  v1::DeleteRequest del;
  *del.mutable_key() = key;
  del.mutable_policy()->set_filter_expression(eq4);
  v1::DeleteResponse dr;
  grpc::ClientContext c4;
  EXPECT_FALSE(Stub()->Delete(&c4, del, &dr).ok());
  EXPECT_EQ(ResultCodeOf(c4), "27");
  // A read-only operate takes the policy's filter too.
  v1::OperateRequest operate;
  *operate.mutable_key() = key;
  operate.add_ops()->set_bin("i");
  operate.mutable_policy()->set_filter_expression(eq4);
  grpc::ClientContext c5;
  EXPECT_FALSE(Stub()->Operate(&c5, operate, &rec).ok());
  EXPECT_EQ(ResultCodeOf(c5), "27");

  // Batch rows the filter does not match answer 27 each.
  PutOne(StringKey("test", "filter", "k4"), "i", 4);
  v1::BatchGetRequest batch;
  *batch.add_keys() = key;
  *batch.add_keys() = StringKey("test", "filter", "k4");
  batch.set_filter_expression(eq4);
  v1::BatchGetResponse br;
  grpc::ClientContext c6;
  ASSERT_TRUE(Stub()->BatchGet(&c6, batch, &br).ok());
  ASSERT_EQ(br.records_size(), 2);
  EXPECT_EQ(br.records(0).result_code(), 27u);
  EXPECT_EQ(br.records(1).result_code(), 0u);

  // A scan skips what the filter does not match.
  v1::ScanRequest scan;
  scan.set_namespace_("test");
  scan.set_set("filter");
  scan.set_filter_expression(IntBinFilter(3, "i", 3));  // i > 3
  grpc::ClientContext c7;
  auto reader = Stub()->Scan(&c7, scan);
  v1::ScanResponse msg;
  int found = 0;
  while (reader->Read(&msg)) {
    for (const auto& r : msg.records()) {
      ++found;
      EXPECT_EQ(r.bins(0).value().int_value(), 4);
    }
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(found, 1);

  // Bytes that are no expression: a parameter error, and the record is unchanged.
  get.mutable_policy()->set_filter_expression(std::string("\x91\xcc\xc8", 3));
  grpc::ClientContext c8;
  EXPECT_EQ(Stub()->Get(&c8, get, &rec).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ResultCodeOf(c8), "4");
  get.mutable_policy()->clear_filter_expression();
  grpc::ClientContext c9;
  ASSERT_TRUE(Stub()->Get(&c9, get, &rec).ok());
  EXPECT_EQ(rec.bins(0).value().int_value(), 3);
}

TEST_F(GrpcServiceTest, ScanStreamsAndResumes) {
  const int kRecords = 600;
  for (int i = 0; i < kRecords; ++i) {
    PutOne(StringKey("bar", "scan", "k" + std::to_string(i)), "i", i);
  }
  // First pass: stop after 250 records, remembering what each partition has delivered.
  v1::ScanRequest req;
  req.set_namespace_("bar");
  req.set_set("scan");
  std::set<std::string> seen;
  std::map<uint32_t, std::string> last_digest;
  std::set<uint32_t> done;
  {
    grpc::ClientContext ctx;
    auto reader = Stub()->Scan(&ctx, req);
    v1::ScanResponse msg;
    while (seen.size() < 250 && reader->Read(&msg)) {
      for (int i = 0; i < msg.records_size(); ++i) {
        const auto& r = msg.records(i);
        EXPECT_TRUE(r.key().has_string_key());  // stored with send_key
        EXPECT_EQ(r.key().set(), "scan");
        seen.insert(r.key().digest());
        last_digest[msg.record_partitions(i)] = r.key().digest();
      }
      for (uint32_t p : msg.partitions_done()) done.insert(p);
    }
    ctx.TryCancel();
    reader->Finish();
  }
  ASSERT_GE(seen.size(), 250u);
  ASSERT_LT(seen.size(), static_cast<size_t>(kRecords));
  // Resume: every partition not done, from its last digest.
  v1::ScanRequest resume = req;
  for (uint32_t p = 0; p < 4096; ++p) {
    if (done.count(p)) continue;
    auto* c = resume.add_partitions();
    c->set_partition(p);
    if (last_digest.count(p)) c->set_after_digest(last_digest[p]);
  }
  grpc::ClientContext ctx;
  auto reader = Stub()->Scan(&ctx, resume);
  v1::ScanResponse msg;
  size_t dupes = 0;
  while (reader->Read(&msg)) {
    for (const auto& r : msg.records()) dupes += !seen.insert(r.key().digest()).second;
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(dupes, 0u);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRecords));

  // max_records and an unknown namespace.
  v1::ScanRequest limited = req;
  limited.set_max_records(10);
  grpc::ClientContext c2;
  auto r2 = Stub()->Scan(&c2, limited);
  size_t n = 0;
  while (r2->Read(&msg)) n += msg.records_size();
  EXPECT_TRUE(r2->Finish().ok());
  EXPECT_EQ(n, 10u);
  v1::ScanRequest bad = req;
  bad.set_namespace_("nope");
  grpc::ClientContext c3;
  auto r3 = Stub()->Scan(&c3, bad);
  while (r3->Read(&msg)) {
  }
  grpc::Status s = r3->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ResultCodeOf(c3), "20");
}

TEST_F(GrpcServiceTest, InfoAndPartitionMap) {
  v1::InfoRequest info;
  info.add_commands("namespaces");
  info.add_commands("bogus");
  v1::InfoResponse ir;
  grpc::ClientContext c1;
  ASSERT_TRUE(Stub()->Info(&c1, info, &ir).ok());
  EXPECT_EQ(ir.values().at("namespaces"), "test;bar");
  EXPECT_EQ(ir.values().at("bogus"), "ERROR:4:unrecognized command");
  grpc::ClientContext c2;
  ASSERT_TRUE(Stub()->Info(&c2, v1::InfoRequest(), &ir).ok());
  EXPECT_TRUE(ir.values().contains("node"));

  v1::PartitionMap map;
  grpc::ClientContext c3;
  ASSERT_TRUE(Stub()->GetPartitionMap(&c3, v1::PartitionMapRequest(), &map).ok());
  ASSERT_EQ(map.nodes_size(), 1);
  EXPECT_EQ(map.nodes(0).grpc_address(), std::string(kAddress) + ":3100");
  EXPECT_EQ(map.nodes(0).service_address(), std::string(kAddress) + ":3000");
  EXPECT_EQ(map.nodes(0).name(), ir.values().at("node"));
  ASSERT_EQ(map.namespaces_size(), 2);
  EXPECT_EQ(map.namespaces(0).owners_size(), 4096);

  // Watch: the current map at once, then a new one when the cluster changes (a recluster
  // forms a new view even of one node), until we cancel.
  grpc::ClientContext c4;
  auto watch = Stub()->WatchPartitionMap(&c4, v1::PartitionMapRequest());
  v1::PartitionMap first;
  ASSERT_TRUE(watch->Read(&first));
  EXPECT_EQ(first.SerializeAsString(), map.SerializeAsString());
  v1::InfoRequest recluster;
  recluster.add_commands("recluster:");
  grpc::ClientContext c5;
  ASSERT_TRUE(Stub()->Info(&c5, recluster, &ir).ok());
  EXPECT_EQ(ir.values().at("recluster:"), "ok");
  v1::PartitionMap next;
  ASSERT_TRUE(watch->Read(&next));
  EXPECT_NE(next.generation(), first.generation());
  EXPECT_EQ(next.namespaces_size(), 2);
  c4.TryCancel();
  EXPECT_FALSE(watch->Read(&first));
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// ---- UDFs -----------------------------------------------------------------------------------

constexpr char kCounterLua[] = R"(-- counter.lua
function bump(rec, bin, by)
  rec[bin] = (rec[bin] or 0) + by
  if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end
  return rec[bin]
end

function echo(rec, x)
  return x
end

function fail(rec)
  rec['n'] = -1
  aerospike:update(rec)
  error('boom')
end
)";

uint32_t DetailCodeOf(const grpc::Status& s) {
  v1::ErrorDetail d;
  return d.ParseFromString(s.error_details()) ? d.result_code() : 0;
}

TEST_F(GrpcServiceTest, UdfRegisterApplyListRemove) {
  v1::RegisterUdfRequest reg;
  reg.set_filename("counter.lua");
  reg.set_source(kCounterLua);
  v1::RegisterUdfResponse rr;
  grpc::ClientContext c1;
  ASSERT_TRUE(Stub()->RegisterUdf(&c1, reg, &rr).ok());
  const std::string hash = rr.hash();
  EXPECT_EQ(hash.size(), 40u);

  auto apply = [&](const std::string& fn, std::vector<v1::Value> args, v1::ApplyUdfResponse* out,
                   grpc::ClientContext* ctx, const std::string& module = "counter") {
    v1::ApplyUdfRequest req;
    *req.mutable_key() = StringKey("test", "udf", "k1");
    req.set_module(module);
    req.set_function(fn);
    for (auto& a : args) *req.add_args() = std::move(a);
    return Stub()->ApplyUdf(ctx, req, out);
  };
  v1::Value bin, by;
  bin.set_string_value("n");
  by.set_int_value(5);
  v1::ApplyUdfResponse ar;
  grpc::ClientContext c2;
  grpc::Status s = apply("bump", {bin, by}, &ar, &c2);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ar.result().int_value(), 5);
  grpc::ClientContext c3;
  ASSERT_TRUE(apply("bump", {bin, by}, &ar, &c3).ok());
  EXPECT_EQ(ar.result().int_value(), 10);

  // The record changed: the same engine path as the wire protocol.
  v1::GetRequest get;
  *get.mutable_key() = StringKey("test", "udf", "k1");
  v1::Record rec;
  grpc::ClientContext c4;
  ASSERT_TRUE(Stub()->Get(&c4, get, &rec).ok());
  EXPECT_EQ(rec.generation(), 2u);
  ASSERT_EQ(rec.bins_size(), 1);
  EXPECT_EQ(rec.bins(0).value().int_value(), 10);

  // Arguments and results of every kind go through the value conversions.
  v1::Value list;
  list.mutable_list_value()->add_items()->set_string_value("a");
  list.mutable_list_value()->add_items()->set_double_value(1.5);
  grpc::ClientContext c5;
  ASSERT_TRUE(apply("echo", {list}, &ar, &c5).ok());
  EXPECT_EQ(ar.result().list_value().items_size(), 2);
  EXPECT_EQ(ar.result().list_value().items(0).string_value(), "a");
  EXPECT_EQ(ar.result().list_value().items(1).double_value(), 1.5);
  grpc::ClientContext c6;
  ASSERT_TRUE(apply("echo", {}, &ar, &c6).ok());
  EXPECT_EQ(ar.result().kind_case(), v1::Value::KIND_NOT_SET);  // nil

  // A Lua error: result code 100 with the message, the record as it was.
  grpc::ClientContext c7;
  s = apply("fail", {}, &ar, &c7);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(ResultCodeOf(c7), "100");
  EXPECT_EQ(DetailCodeOf(s), 100u);
  EXPECT_NE(s.error_message().find("boom"), std::string::npos) << s.error_message();
  grpc::ClientContext c8;
  ASSERT_TRUE(Stub()->Get(&c8, get, &rec).ok());
  EXPECT_EQ(rec.bins(0).value().int_value(), 10);
  EXPECT_EQ(rec.generation(), 2u);
  grpc::ClientContext c9;
  s = apply("bump", {bin, by}, &ar, &c9, "nosuchmodule");
  EXPECT_EQ(ResultCodeOf(c9), "100");
  grpc::ClientContext c10;
  s = apply("", {}, &ar, &c10);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ResultCodeOf(c10), "4");

  // A source that does not compile is refused whole.
  v1::RegisterUdfRequest bad;
  bad.set_filename("bad.lua");
  bad.set_source("return 1\nthis is not lua\n");
  grpc::ClientContext c11;
  s = Stub()->RegisterUdf(&c11, bad, &rr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ResultCodeOf(c11), "100");
  EXPECT_EQ(DetailCodeOf(s), 100u);
  EXPECT_EQ(s.error_message().rfind("compile error: bad.lua:2: ", 0), 0u) << s.error_message();
  bad.set_filename("noextension");
  bad.set_source("return 1");
  grpc::ClientContext c12;
  s = Stub()->RegisterUdf(&c12, bad, &rr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ResultCodeOf(c12), "4");

  v1::ListUdfsResponse lr;
  grpc::ClientContext c13;
  ASSERT_TRUE(Stub()->ListUdfs(&c13, v1::ListUdfsRequest(), &lr).ok());
  ASSERT_EQ(lr.modules_size(), 1);
  EXPECT_EQ(lr.modules(0).filename(), "counter.lua");
  EXPECT_EQ(lr.modules(0).name(), "counter");
  EXPECT_EQ(lr.modules(0).hash(), hash);

  v1::RemoveUdfRequest rm;
  rm.set_filename("counter.lua");
  v1::RemoveUdfResponse rmr;
  grpc::ClientContext c14;
  ASSERT_TRUE(Stub()->RemoveUdf(&c14, rm, &rmr).ok());
  EXPECT_TRUE(rmr.existed());
  grpc::ClientContext c15;
  ASSERT_TRUE(Stub()->RemoveUdf(&c15, rm, &rmr).ok());
  EXPECT_FALSE(rmr.existed());
  grpc::ClientContext c16;
  ASSERT_TRUE(Stub()->ListUdfs(&c16, v1::ListUdfsRequest(), &lr).ok());
  EXPECT_EQ(lr.modules_size(), 0);
  grpc::ClientContext c17;
  apply("bump", {bin, by}, &ar, &c17);
  EXPECT_EQ(ResultCodeOf(c17), "100");
}

TEST_F(GrpcServiceTest, SqlRunsOnTheNode) {
  v1::SqlRequest req;
  v1::SqlResponse sr;
  req.set_statement("INSERT INTO test.sql (PK, a) VALUES (7, 'x')");
  grpc::ClientContext c1;
  ASSERT_TRUE(Stub()->Sql(&c1, req, &sr).ok());
  EXPECT_EQ(sr.affected(), 1u);
  req.set_statement("SELECT a FROM test.sql WHERE PK = 7");
  sr.Clear();
  grpc::ClientContext c2;
  ASSERT_TRUE(Stub()->Sql(&c2, req, &sr).ok());
  ASSERT_EQ(sr.columns_size(), 2);
  EXPECT_EQ(sr.columns(1), "a");
  ASSERT_EQ(sr.rows_size(), 1);
  EXPECT_EQ(sr.rows(0).values(0).int_value(), 7);
  EXPECT_EQ(sr.rows(0).values(1).string_value(), "x");
  // A parse error: INVALID_ARGUMENT, result code 4, with its position.
  req.set_statement("SELEC 1");
  grpc::ClientContext c3;
  grpc::Status st = Stub()->Sql(&c3, req, &sr);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ResultCodeOf(c3), "4");
  EXPECT_NE(st.error_message().find("line 1, column 1"), std::string::npos) << st.error_message();
  // No index on the bin: NOT_FOUND, 201.
  req.set_statement("SELECT * FROM test.sql WHERE a = 'x'");
  grpc::ClientContext c4;
  EXPECT_EQ(Stub()->Sql(&c4, req, &sr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ResultCodeOf(c4), "201");
}

// ---- libternclient against the real node ---------------------------------------------------

std::unique_ptr<Client> Connect() {
  ClientConfig cfg;
  cfg.seeds = {std::string(kAddress) + ":3100"};
  auto c = Client::Connect(cfg);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST_F(GrpcServiceTest, SqlAnswerLargerThan64MiBIsRefusedWithAReason) {
  auto client = Connect();
  ASSERT_TRUE(client);
  const std::string value(900 << 10, 'x');  // 80 records of 900 KiB: 70 MiB
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(client->Put(Key("test", "sqlbig", i), {{"v", value}}).ok()) << i;
  }
  auto all = client->Sql("SELECT * FROM test.sqlbig");
  EXPECT_EQ(all.status().code(), result::kParameterError);
  EXPECT_NE(all.status().message().find("passes 64 MiB: add a LIMIT"), std::string::npos)
      << all.status().message();
  auto some = client->Sql("SELECT * FROM test.sqlbig LIMIT 10");
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  EXPECT_EQ(some->rows.size(), 10u);
  ASSERT_TRUE(client->Sql("TRUNCATE test.sqlbig").ok());
}

TEST_F(GrpcServiceTest, ClientSyncCalls) {
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_EQ(client->Nodes().size(), 1u);
  Key key("test", "client", "ada");
  EXPECT_EQ(client->NodeFor(key), std::string(kAddress) + ":3100");
  auto w = client->Put(key, {{"name", "ada"}, {"age", 36}, {"tags", List{{"x", 1}}}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto r = client->Get(key);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->Get("name"), Value("ada"));
  EXPECT_EQ(*r->Get("age"), Value(36));
  EXPECT_EQ(*r->Get("tags"), Value(List{{"x", 1}}));
  EXPECT_TRUE(*client->Exists(key));
  auto op = client->Operate(key, {Operation::Incr("age", 1), Operation::Read("age")});
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(*op->Get("age"), Value(37));
  auto batch = client->BatchGet({key, Key("test", "client", "nobody")});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)[0].result_code, 0);
  EXPECT_EQ((*batch)[1].result_code, 2);
  EXPECT_TRUE(*client->Delete(key));
  auto gone = client->Get(key);
  EXPECT_EQ(gone.status().code(), result::kRecordNotFound);
  auto info = client->Info({"namespaces"});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->at("namespaces"), "test;bar");
}

TEST_F(GrpcServiceTest, IndexManagementCalls) {
  // The RPCs, with their result codes.
  v1::CreateIndexRequest create;
  v1::IndexDefinition* d = create.mutable_index();
  d->set_namespace_("test");
  d->set_set("gix");
  d->set_name("gix_n");
  d->set_bin("n");
  d->set_type(v1::IndexDefinition::NUMERIC);
  v1::CreateIndexResponse created;
  grpc::ClientContext c1;
  ASSERT_TRUE(Stub()->CreateIndex(&c1, create, &created).ok());
  d->set_type(v1::IndexDefinition::STRING);  // the name, another definition
  grpc::ClientContext c2;
  EXPECT_EQ(Stub()->CreateIndex(&c2, create, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ResultCodeOf(c2), "200");
  d->set_namespace_("nosuch");
  grpc::ClientContext c3;
  EXPECT_FALSE(Stub()->CreateIndex(&c3, create, &created).ok());
  EXPECT_EQ(ResultCodeOf(c3), "20");
  d->set_namespace_("test");
  d->set_name("gix_bad");
  d->set_bin("a_bin_name_far_too_long");
  grpc::ClientContext c4;
  EXPECT_FALSE(Stub()->CreateIndex(&c4, create, &created).ok());
  EXPECT_EQ(ResultCodeOf(c4), "21");
  d->set_bin("n");
  d->set_type(static_cast<v1::IndexDefinition::Type>(42));
  grpc::ClientContext c5;
  EXPECT_EQ(Stub()->CreateIndex(&c5, create, &created).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ResultCodeOf(c5), "4");

  v1::ListIndexesRequest list;
  list.set_namespace_("test");
  v1::ListIndexesResponse listed;
  grpc::ClientContext c6;
  ASSERT_TRUE(Stub()->ListIndexes(&c6, list, &listed).ok());
  ASSERT_EQ(listed.indexes_size(), 1);
  EXPECT_EQ(listed.indexes(0).name(), "gix_n");
  EXPECT_EQ(listed.indexes(0).type(), v1::IndexDefinition::NUMERIC);

  // The same through libternclient.
  auto client = Connect();
  ASSERT_TRUE(client);
  tern::IndexInfo def{.ns = "test",
                      .set = "gix",
                      .name = "gix_tags",
                      .bin = "tags",
                      .type = tern::IndexInfo::Type::kString,
                      .collection = tern::IndexInfo::Collection::kMapKeys};
  ASSERT_TRUE(client->CreateIndex(def).ok());
  auto indexes = client->ListIndexes("test");
  ASSERT_TRUE(indexes.ok()) << indexes.status().ToString();
  ASSERT_EQ(indexes->size(), 2u);
  bool seen = false;
  for (const auto& i : *indexes) {
    if (i.name != "gix_tags") continue;
    seen = true;
    EXPECT_EQ(i.collection, tern::IndexInfo::Collection::kMapKeys);
    EXPECT_EQ(i.set, "gix");
  }
  EXPECT_TRUE(seen);
  EXPECT_TRUE(client->DropIndex("test", "gix_tags").ok());
  EXPECT_TRUE(client->DropIndex("test", "gix_n").ok());
  EXPECT_EQ(client->DropIndex("test", "gix_n").code(), result::kIndexNotFound);
  EXPECT_TRUE(client->ListIndexes("test")->empty());
  EXPECT_EQ(client->ListIndexes("nosuch").status().code(), result::kNamespaceNotFound);
}

TEST_F(GrpcServiceTest, ClientUdfCalls) {
  auto client = Connect();
  ASSERT_TRUE(client);
  auto hash = client->RegisterUdf("cl.lua", kCounterLua);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(hash->size(), 40u);
  Key key("test", "cudf", "k1");
  auto r = client->ApplyUdf(key, "cl", "bump", {"n", 3});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, Value(3));
  EXPECT_EQ(*client->Get(key)->Get("n"), Value(3));
  auto echoed = client->ApplyUdf(key, "cl", "echo", {Map{{{"k", List{{1, 2.5}}}}}});
  ASSERT_TRUE(echoed.ok());
  EXPECT_EQ(*echoed, Value(Map{{{"k", List{{1, 2.5}}}}}));

  auto failed = client->ApplyUdf(key, "cl", "fail");
  EXPECT_EQ(failed.status().code(), result::kUdfError);
  EXPECT_NE(failed.status().message().find("boom"), std::string::npos);
  EXPECT_EQ(*client->Get(key)->Get("n"), Value(3));

  auto bad = client->RegisterUdf("clbad.lua", "function (");
  EXPECT_EQ(bad.status().code(), result::kUdfError);
  EXPECT_NE(bad.status().message().find("clbad.lua:1:"), std::string::npos)
      << bad.status().message();
  EXPECT_EQ(client->RegisterUdfFile("/nonexistent/x.lua").status().code(),
            result::kInvalidArgument);

  auto list = client->ListUdfs();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].filename, "cl.lua");
  EXPECT_EQ((*list)[0].name, "cl");
  EXPECT_EQ((*list)[0].hash, *hash);
  EXPECT_TRUE(*client->RemoveUdf("cl.lua"));
  EXPECT_FALSE(*client->RemoveUdf("cl.lua"));
  EXPECT_TRUE(client->ListUdfs()->empty());
}

TEST_F(GrpcServiceTest, ClientAsyncCalls) {
  auto client = Connect();
  ASSERT_TRUE(client);
  std::mutex mu;
  std::condition_variable cv;
  int pending = 100;
  int failures = 0;
  for (int i = 0; i < 100; ++i) {
    client->PutAsync(Key("test", "async", i), {{"i", i}}, nullptr, [&](Result<WriteResult> r) {
      std::lock_guard lock(mu);
      failures += !r.ok();
      if (--pending == 0) cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return pending == 0; }));
  }
  EXPECT_EQ(failures, 0);
  std::promise<Result<Record>> got;
  client->GetAsync(Key("test", "async", 7), {}, nullptr,
                   [&](Result<Record> r) { got.set_value(std::move(r)); });
  auto r = got.get_future().get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->Get("i"), Value(7));
  std::promise<Result<Record>> op;
  client->OperateAsync(Key("test", "async", 7), {Operation::Incr("i", 5), Operation::Read("i")},
                       nullptr, [&](Result<Record> o) { op.set_value(std::move(o)); });
  auto o = op.get_future().get();
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(*o->Get("i"), Value(12));
  std::promise<Result<bool>> del;
  client->DeleteAsync(Key("test", "async", 7), nullptr,
                      [&](Result<bool> d) { del.set_value(std::move(d)); });
  EXPECT_TRUE(*del.get_future().get());
}

TEST_F(GrpcServiceTest, ClientScanResumesFromCursor) {
  auto client = Connect();
  ASSERT_TRUE(client);
  WritePolicy wp;
  wp.send_key = true;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(client->Put(Key("test", "cscan", i), {{"i", i}}, &wp).ok());
  }
  ScanSpec spec{.ns = "test", .set = "cscan"};
  std::set<int64_t> seen;
  ScanCursor cursor;
  Status s = client->Scan(
      spec,
      [&](const Record& r) {
        seen.insert(std::get<int64_t>(r.key->user_key()));
        return seen.size() < 120;  // stop early
      },
      &cursor);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen.size(), 120u);
  EXPECT_FALSE(cursor.done());
  spec.resume = cursor;
  size_t dupes = 0;
  s = client->Scan(
      spec,
      [&](const Record& r) {
        dupes += !seen.insert(std::get<int64_t>(r.key->user_key())).second;
        return true;
      },
      &cursor);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(cursor.done());
  EXPECT_EQ(dupes, 0u);
  EXPECT_EQ(seen.size(), 300u);
}

}  // namespace
}  // namespace tern::testing
