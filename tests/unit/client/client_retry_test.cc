// The client's retry loop on fake nodes (gmock stubs, no sockets): a request answered
// "partition moved" (result code 11) or lost with its node refreshes the map and goes to the
// new owner; other errors are returned at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client_impl.h"
#include "tern/v1/kv_mock.grpc.pb.h"

namespace tern {
namespace {

namespace v1 = tern::v1;
using ::testing::_;
using ::testing::Invoke;
using ::testing::NiceMock;
using ::testing::Return;

// Every partition of `test` on the one node at `address`.
v1::PartitionMap MapOnto(const std::string& address, uint64_t generation) {
  v1::PartitionMap m;
  m.set_generation(generation);
  auto* n = m.add_nodes();
  n->set_name(address);
  n->set_grpc_address(address);
  auto* ns = m.add_namespaces();
  ns->set_namespace_("test");
  ns->set_copies(1);
  ns->mutable_owners()->Resize(kPartitionCount, 0);
  return m;
}

// A failed answer as ternd gives it: the result code in the status details.
grpc::Status Answer(grpc::ClientContext*, grpc::StatusCode code, int result_code) {
  v1::ErrorDetail detail;
  detail.set_result_code(result_code);
  return grpc::Status(code, "from the fake node", detail.SerializeAsString());
}

class ClientRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::make_shared<NiceMock<v1::MockKvStub>>();
    b_ = std::make_shared<NiceMock<v1::MockKvStub>>();
  }
  std::unique_ptr<Client> Connect() {
    ClientConfig cfg;
    cfg.seeds = {"a:3100"};
    cfg.write.max_retries = 2;
    auto c = ConnectWithFactory(
        cfg, [this](const std::string& address) -> std::shared_ptr<v1::Kv::StubInterface> {
          if (address == "a:3100") return a_;
          if (address == "b:3100") return b_;
          return nullptr;
        });
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::shared_ptr<NiceMock<v1::MockKvStub>> a_;
  std::shared_ptr<NiceMock<v1::MockKvStub>> b_;
};

TEST_F(ClientRetryTest, MovedPartitionRefreshesTheMapAndRetriesOnTheNewOwner) {
  // a owns everything at first; after the move, a's map says b does.
  EXPECT_CALL(*a_, GetPartitionMap(_, _, _))
      .WillOnce(Invoke([](auto*, auto&, v1::PartitionMap* m) {
        *m = MapOnto("a:3100", 1);
        return grpc::Status::OK;
      }))
      .WillOnce(Invoke([](auto*, auto&, v1::PartitionMap* m) {
        *m = MapOnto("b:3100", 2);
        return grpc::Status::OK;
      }));
  EXPECT_CALL(*a_, Put(_, _, _)).WillOnce(Invoke([](grpc::ClientContext* ctx, auto&, auto*) {
    return Answer(ctx, grpc::StatusCode::UNAVAILABLE, 11);
  }));
  EXPECT_CALL(*b_, Put(_, _, _))
      .WillOnce(Invoke([](auto*, const v1::PutRequest& req, v1::WriteResponse* resp) {
        EXPECT_EQ(req.key().string_key(), "k1");
        resp->set_generation(4);
        return grpc::Status::OK;
      }));
  auto client = Connect();
  ASSERT_TRUE(client);
  Key key("test", "demo", "k1");
  EXPECT_EQ(client->NodeFor(key), "a:3100");
  auto r = client->Put(key, {{"x", 1}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->generation, 4u);
  EXPECT_EQ(client->NodeFor(key), "b:3100");
}

TEST_F(ClientRetryTest, LostNodeIsRetriedAfterRefresh) {
  EXPECT_CALL(*a_, GetPartitionMap(_, _, _))
      .WillOnce(Invoke([](auto*, auto&, v1::PartitionMap* m) {
        *m = MapOnto("b:3100", 1);
        return grpc::Status::OK;
      }))
      .WillRepeatedly(Invoke([](auto*, auto&, v1::PartitionMap* m) {
        *m = MapOnto("a:3100", 2);
        return grpc::Status::OK;
      }));
  // b is gone (transport failure, no result code); the refreshed map points back at a.
  EXPECT_CALL(*b_, GetPartitionMap(_, _, _))
      .WillRepeatedly(Return(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused")));
  EXPECT_CALL(*b_, Get(_, _, _))
      .WillOnce(Return(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused")));
  EXPECT_CALL(*a_, Get(_, _, _)).WillOnce(Invoke([](auto*, auto&, v1::Record* rec) {
    auto* b = rec->add_bins();
    b->set_name("x");
    b->mutable_value()->set_int_value(9);
    return grpc::Status::OK;
  }));
  auto client = Connect();
  ASSERT_TRUE(client);
  auto r = client->Get(Key("test", "demo", "k1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r->Get("x"), Value(9));
}

TEST_F(ClientRetryTest, NotFoundIsNotRetried) {
  EXPECT_CALL(*a_, GetPartitionMap(_, _, _)).WillOnce(Invoke([](auto*, auto&, v1::PartitionMap* m) {
    *m = MapOnto("a:3100", 1);
    return grpc::Status::OK;
  }));
  EXPECT_CALL(*a_, Get(_, _, _)).WillOnce(Invoke([](grpc::ClientContext* ctx, auto&, auto*) {
    return Answer(ctx, grpc::StatusCode::NOT_FOUND, 2);
  }));
  auto client = Connect();
  ASSERT_TRUE(client);
  auto r = client->Get(Key("test", "demo", "k1"));
  EXPECT_EQ(r.status().code(), result::kRecordNotFound);
}

TEST_F(ClientRetryTest, GivesUpAfterMaxRetries) {
  EXPECT_CALL(*a_, GetPartitionMap(_, _, _))
      .WillRepeatedly(Invoke([](auto*, auto&, v1::PartitionMap* m) {
        *m = MapOnto("a:3100", 1);
        return grpc::Status::OK;
      }));
  EXPECT_CALL(*a_, Put(_, _, _))
      .Times(3)
      .WillRepeatedly(Invoke([](grpc::ClientContext* ctx, auto&, auto*) {
        return Answer(ctx, grpc::StatusCode::UNAVAILABLE, 14);  // key busy
      }));
  auto client = Connect();
  ASSERT_TRUE(client);
  auto r = client->Put(Key("test", "demo", "k1"), {{"x", 1}});
  EXPECT_EQ(r.status().code(), result::kKeyBusy);
}

// Nodes share UDF modules, so registering and removing go to one node: the next one only when
// a node cannot be reached, never after it refused.
TEST_F(ClientRetryTest, UdfModulesGoToOneNode) {
  EXPECT_CALL(*a_, GetPartitionMap(_, _, _)).WillOnce(Invoke([](auto*, auto&, v1::PartitionMap* m) {
    *m = MapOnto("a:3100", 1);
    auto* b = m->add_nodes();
    b->set_name("b");
    b->set_grpc_address("b:3100");
    return grpc::Status::OK;
  }));
  auto ok = [](auto*, const v1::RegisterUdfRequest& req, v1::RegisterUdfResponse* r) {
    EXPECT_EQ(req.filename(), "m.lua");
    EXPECT_EQ(req.source(), "return 1");
    r->set_hash("h");
    return grpc::Status::OK;
  };
  // 1: a registers it. 2: a refuses it, b is not asked. 3: a is down, b registers it.
  EXPECT_CALL(*a_, RegisterUdf(_, _, _))
      .WillOnce(Invoke(ok))
      .WillOnce(Invoke([](grpc::ClientContext* ctx, auto&, auto*) {
        return Answer(ctx, grpc::StatusCode::INVALID_ARGUMENT, 100);
      }))
      .WillOnce(Return(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")));
  EXPECT_CALL(*b_, RegisterUdf(_, _, _)).WillOnce(Invoke(ok));
  EXPECT_CALL(*a_, RemoveUdf(_, _, _)).WillOnce(Invoke([](auto*, auto&, v1::RemoveUdfResponse* r) {
    r->set_existed(true);
    return grpc::Status::OK;
  }));
  EXPECT_CALL(*b_, RemoveUdf(_, _, _)).Times(0);
  auto client = Connect();
  ASSERT_TRUE(client);
  auto hash = client->RegisterUdf("m.lua", "return 1");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(*hash, "h");
  EXPECT_EQ(client->RegisterUdf("m.lua", "return 1").status().code(), result::kUdfError);
  auto again = client->RegisterUdf("m.lua", "return 1");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto removed = client->RemoveUdf("m.lua");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
}

TEST_F(ClientRetryTest, ApplyUdfReturnsTheValueOrTheUdfError) {
  EXPECT_CALL(*a_, GetPartitionMap(_, _, _)).WillOnce(Invoke([](auto*, auto&, v1::PartitionMap* m) {
    *m = MapOnto("a:3100", 1);
    return grpc::Status::OK;
  }));
  EXPECT_CALL(*a_, ApplyUdf(_, _, _))
      .WillOnce(Invoke([](auto*, const v1::ApplyUdfRequest& req, v1::ApplyUdfResponse* r) {
        EXPECT_EQ(req.module(), "m");
        EXPECT_EQ(req.function(), "f");
        EXPECT_EQ(req.args_size(), 2);
        EXPECT_EQ(req.args(1).list_value().items(0).int_value(), 1);
        r->mutable_result()->set_string_value("done");
        return grpc::Status::OK;
      }))
      .WillOnce(Invoke([](grpc::ClientContext* ctx, auto&, auto*) {
        return Answer(ctx, grpc::StatusCode::UNKNOWN, 100);  // not retried
      }));
  auto client = Connect();
  ASSERT_TRUE(client);
  Key key("test", "demo", "k1");
  auto r = client->ApplyUdf(key, "m", "f", {"x", List{{1}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, Value("done"));
  auto failed = client->ApplyUdf(key, "m", "f");
  EXPECT_EQ(failed.status().code(), result::kUdfError);
  EXPECT_EQ(failed.status().message(), "from the fake node");
}

TEST_F(ClientRetryTest, ConnectFailsWhenNoSeedAnswers) {
  EXPECT_CALL(*a_, GetPartitionMap(_, _, _))
      .WillRepeatedly(Return(grpc::Status(grpc::StatusCode::UNAVAILABLE, "refused")));
  ClientConfig cfg;
  cfg.seeds = {"a:3100"};
  auto c = ConnectWithFactory(cfg, [this](const std::string&) { return a_; });
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), result::kConnectionError);
  EXPECT_FALSE(ConnectWithFactory(ClientConfig{}, nullptr).ok());
}

}  // namespace
}  // namespace tern
