// The Aerospike wire-protocol client (client/wire) against a real ternd: info, put / get /
// exists / delete with every particle type and policy, operate, batch reads; its errors
// against a socket that misbehaves; and `tern bench --protocol aerospike` as a user runs it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/result_code.h"
#include "record/collection.h"
#include "tern/wire/client.h"
#include "test_node.h"

namespace tern::testing {
namespace {

using record::Bin;
using record::Value;
using wire::Key;
using wire::Op;

constexpr char kAddress[] = "127.0.0.62";
constexpr char kFakeAddress[] = "127.0.0.63";  // the misbehaving servers below

class WireClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("tern-it-wire-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    node_ = new TestNode(kAddress, *dir_);
    node_->Start(
        "  - name: test\n    storage: memory\n    nsup_period_sec: 10\n"
        "  - name: bar\n    storage: flash\n");
    ASSERT_TRUE(node_->WaitReady()) << node_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(node_->Stop(), 0) << node_->log();
    std::filesystem::remove_all(*dir_);
    delete node_;
    delete dir_;
  }

  void SetUp() override {
    auto c = wire::Client::Connect({.host = kAddress, .port = 3000});
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }

  static CommandRun Tern(const std::vector<std::string>& args) {
    std::string cmd = std::string(TERN_CLI_PATH) + " --host " + kAddress;
    for (const auto& a : args) cmd += " " + ShellQuote(a);
    return RunCommand(cmd, *dir_);
  }

  static TestNode* node_;
  static std::filesystem::path* dir_;
  std::unique_ptr<wire::Client> client_;
};
TestNode* WireClientTest::node_ = nullptr;
std::filesystem::path* WireClientTest::dir_ = nullptr;

TEST_F(WireClientTest, Info) {
  auto build = client_->InfoValue("build");
  ASSERT_TRUE(build.ok()) << build.status();
  EXPECT_FALSE(build->empty());
  auto many = client_->Info({"namespaces", "partition-generation", "status"});
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_EQ(many->size(), 3u);
  EXPECT_EQ((*many)[0].first, "namespaces");
  EXPECT_NE((*many)[0].second.find("test"), std::string::npos);
  EXPECT_EQ((*many)[2].second, "ok");
  auto unknown = client_->InfoValue("no-such-command");
  EXPECT_EQ(base::ResultCodeOf(unknown.status()), base::ResultCode::kParameterError);
  // The connection is still good after an info error.
  EXPECT_TRUE(client_->InfoValue("status").ok());
}

TEST_F(WireClientTest, PutGetExistsDeleteEveryParticleType) {
  const std::vector<Value> items = {Value::Integer(1), Value::String("two")};
  const std::vector<std::pair<Value, Value>> entries = {{Value::String("a"), Value::Integer(1)}};
  const std::vector<Bin> bins = {
      {"int", Value::Integer(-7)},
      {"dbl", Value::Double(1.5)},
      {"str", Value::String("héllo")},
      {"blob", Value::Blob(std::string("\0\xff", 2))},
      {"py", Value::Blob("p", record::ParticleType::kPythonBlob)},
      {"bool", Value::Bool(false)},
      {"list", Value::List(record::EncodeList(items))},
      {"map", Value::Map(record::EncodeMap(entries, record::kMapKeyOrdered))},
      {"geo", Value::GeoJson(R"({"type":"Point","coordinates":[2.35,48.85]})")},
  };
  for (const char* ns : {"test", "bar"}) {
    SCOPED_TRACE(ns);
    const Key key = Key::String(ns, "demo", "every-type");
    auto put = client_->Put(key, bins);
    ASSERT_TRUE(put.ok()) << put.status();
    EXPECT_EQ(put->result, 0);
    EXPECT_EQ(put->generation, 1u);
    EXPECT_EQ(put->void_time, 0u);

    auto get = client_->Get(key);
    ASSERT_TRUE(get.ok()) << get.status();
    EXPECT_EQ(get->result, 0);
    EXPECT_EQ(get->generation, 1u);
    ASSERT_EQ(get->bins.size(), bins.size());
    for (const Bin& b : bins) {
      ASSERT_NE(get->Find(b.name), nullptr) << b.name;
      EXPECT_EQ(*get->Find(b.name), b.value) << b.name;
    }

    const std::vector<std::string> some = {"str", "nope", "int"};
    auto named = client_->Get(key, some);
    ASSERT_TRUE(named.ok());
    ASSERT_EQ(named->bins.size(), 2u);  // missing bins are left out
    EXPECT_EQ(named->bins[0].name, "str");

    auto exists = client_->Exists(key);
    ASSERT_TRUE(exists.ok());
    EXPECT_EQ(exists->result, 0);
    EXPECT_EQ(exists->generation, 1u);
    EXPECT_TRUE(exists->bins.empty());

    auto del = client_->Delete(key);
    ASSERT_TRUE(del.ok());
    EXPECT_EQ(del->result, 0);
    EXPECT_EQ(client_->Get(key)->result, 2);
    EXPECT_EQ(client_->Delete(key)->result, 2);
    EXPECT_EQ(client_->Exists(key)->result, 2);
  }
}

TEST_F(WireClientTest, WritePolicies) {
  const Key key = Key::Int("test", "policy", 1);
  const std::vector<Bin> bins = {{"a", Value::Integer(1)}};
  wire::WritePolicy create_only;
  create_only.exists = wire::RecordExists::kCreateOnly;
  wire::WritePolicy update_only;
  update_only.exists = wire::RecordExists::kUpdateOnly;
  EXPECT_EQ(client_->Put(key, bins, update_only)->result, 2);
  EXPECT_EQ(client_->Put(key, bins, create_only)->result, 0);
  EXPECT_EQ(client_->Put(key, bins, create_only)->result, 5);

  wire::WritePolicy replace;
  replace.exists = wire::RecordExists::kReplace;
  ASSERT_EQ(client_->Put(key, {{"b", Value::Integer(2)}})->result, 0);
  ASSERT_EQ(client_->Put(key, {{"c", Value::Integer(3)}}, replace)->result, 0);
  auto replaced = client_->Get(key);
  ASSERT_EQ(replaced->bins.size(), 1u);
  EXPECT_EQ(replaced->bins[0].name, "c");
  EXPECT_EQ(replaced->generation, 3u);

  wire::WritePolicy gen;
  gen.generation_policy = wire::GenerationPolicy::kEqual;
  gen.generation = 2;
  EXPECT_EQ(client_->Put(key, bins, gen)->result, 3);
  gen.generation = 3;
  EXPECT_EQ(client_->Put(key, bins, gen)->result, 0);
  wire::WritePolicy gen_gt;
  gen_gt.generation_policy = wire::GenerationPolicy::kGreater;
  gen_gt.generation = 4;
  EXPECT_EQ(client_->Put(key, bins, gen_gt)->result, 3);
  gen_gt.generation = 5;
  EXPECT_EQ(client_->Put(key, bins, gen_gt)->result, 0);

  wire::WritePolicy ttl;
  ttl.ttl = 1000;
  auto with_ttl = client_->Put(key, bins, ttl);
  ASSERT_EQ(with_ttl->result, 0);
  const int64_t now = std::time(nullptr) - wire::kCitrusleafEpoch;
  EXPECT_GE(with_ttl->void_time, now + 1000 - 60);
  EXPECT_LE(with_ttl->void_time, now + 1000 + 60);
  wire::WritePolicy never;
  never.ttl = wire::kTtlNever;
  EXPECT_EQ(client_->Put(key, bins, never)->void_time, 0u);

  // Send-key stores the key; a request whose key differs from the stored one is refused.
  const Key sent = Key::String("test", "policy", "k");
  wire::WritePolicy send_key;
  send_key.send_key = true;
  ASSERT_EQ(client_->Put(sent, bins, send_key)->result, 0);
  Key other = sent;
  other.user_key = Value::String("not-k");
  EXPECT_EQ(client_->Put(other, bins, send_key)->result, 19);
}

TEST_F(WireClientTest, Operate) {
  const Key key = Key::String("test", "ops", "counter");
  wire::WritePolicy all;
  all.respond_all_ops = true;
  auto r = client_->Operate(key,
                            {Op::Write("s", Value::String("b")), Op::Incr("n", Value::Integer(5)),
                             Op::Append("s", Value::String("c")),
                             Op::Prepend("s", Value::String("a")), Op::Read("n"), Op::Read("s")},
                            all);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->result, 0);
  ASSERT_EQ(r->bins.size(), 6u);  // one entry per op
  EXPECT_EQ(r->bins[4].value, Value::Integer(5));
  EXPECT_EQ(r->bins[5].value, Value::String("abc"));

  auto incr = client_->Operate(key, {Op::Incr("n", Value::Integer(-2)), Op::Read("n")});
  ASSERT_EQ(incr->result, 0);
  ASSERT_EQ(incr->bins.size(), 1u);
  EXPECT_EQ(incr->bins[0].value, Value::Integer(3));
  EXPECT_EQ(incr->generation, 2u);

  EXPECT_EQ(client_->Operate(key, {Op::Incr("s", Value::Integer(1))})->result, 12);

  auto touched = client_->Operate(key, {Op::Touch(), Op::ReadAll()});
  ASSERT_EQ(touched->result, 0);
  EXPECT_EQ(touched->generation, 3u);
  EXPECT_EQ(touched->bins.size(), 2u);

  EXPECT_EQ(client_->Operate(key, {Op::Delete()})->result, 0);
  EXPECT_EQ(client_->Get(key)->result, 2);
  EXPECT_EQ(client_->Operate(Key::String("test", "ops", "none"), {Op::Touch()})->result, 2);
}

TEST_F(WireClientTest, BatchReads) {
  std::vector<Key> keys;
  for (int i = 0; i < 5; ++i) {
    keys.push_back(Key::Int("test", i < 3 ? "b1" : "b2", i));
    if (i != 2) {
      ASSERT_EQ(
          client_->Put(keys.back(), {{"i", Value::Integer(i)}, {"j", Value::Integer(-i)}})->result,
          0);
    }
  }
  keys.push_back(Key::Int("bar", "b3", 9));  // another namespace
  ASSERT_EQ(client_->Put(keys.back(), {{"i", Value::Integer(9)}})->result, 0);

  auto all = client_->BatchGet(keys);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->result, 0);
  ASSERT_EQ(all->rows.size(), keys.size());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(all->rows[i].has_value()) << i;
    if (i == 2) {
      EXPECT_EQ(all->rows[i]->result, 2);
      continue;
    }
    EXPECT_EQ(all->rows[i]->result, 0);
    EXPECT_EQ(*all->rows[i]->Find("i"), Value::Integer(i));
    EXPECT_EQ(all->rows[i]->bins.size(), 2u);
  }
  EXPECT_EQ(*all->rows[5]->Find("i"), Value::Integer(9));

  const std::vector<std::string> only_j = {"j"};
  auto named = client_->BatchGet(keys, wire::BatchReadMode::kNamedBins, only_j);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->rows[1]->bins.size(), 1u);
  EXPECT_EQ(*named->rows[1]->Find("j"), Value::Integer(-1));

  auto header = client_->BatchGet(keys, wire::BatchReadMode::kHeaderOnly);
  ASSERT_TRUE(header.ok());
  EXPECT_TRUE(header->rows[0]->bins.empty());
  EXPECT_EQ(header->rows[0]->generation, 1u);
  EXPECT_EQ(header->rows[2]->result, 2);

  auto unknown = client_->BatchGet(std::vector<Key>{Key::Int("nope", "s", 1)});
  ASSERT_TRUE(unknown.ok());
  ASSERT_TRUE(unknown->rows[0].has_value());
  EXPECT_EQ(unknown->rows[0]->result, 20);
}

TEST_F(WireClientTest, ClientSideErrors) {
  auto refused = wire::Client::Connect({.host = kAddress, .port = 3999});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("127.0.0.62:3999"), std::string::npos);
  EXPECT_EQ(wire::Client::Connect({.host = "no-such-host.invalid"}).status().code(),
            absl::StatusCode::kUnavailable);
  auto too_long = client_->Put(Key::Int("test", "s", 1), {{"a-bin-name-too-long", Value()}});
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->InfoValue("status").value_or(""), "ok");
}

// A server on kFakeAddress that answers each request by `respond` (which may do nothing).
class FakeServer {
 public:
  explicit FakeServer(std::function<void(int fd)> respond) : respond_(std::move(respond)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, kFakeAddress, &a.sin_addr);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(listen_fd_, 4);
    thread_ = std::jthread([this] {
      for (;;) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        char buf[4096];
        while (::recv(fd, buf, sizeof buf, 0) > 0) respond_(fd);
        ::close(fd);
      }
    });
  }
  ~FakeServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }

 private:
  std::function<void(int)> respond_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::jthread thread_;
};

void Send(int fd, std::string_view bytes) { ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

TEST(WireClientFakeServerTest, MalformedRepliesAreErrorsAndTheClientReconnects) {
  int replies = 0;
  FakeServer server([&](int fd) {
    ++replies;
    if (replies == 1) {
      Send(fd, std::string("\x02\x03\x00\x00\x00\x00\x00\x05hello", 13));  // not a msg
    } else if (replies == 2) {
      Send(fd, std::string("\x07\x03\x00\x00\x00\x00\x00\x01x", 9));  // protocol version 7
    } else if (replies == 3) {
      ::shutdown(fd, SHUT_RDWR);  // closes without an answer
    } else {
      Send(fd, std::string("\x02\x01\x00\x00\x00\x00\x00\x0astatus\tok\n", 18));
    }
  });
  auto c = wire::Client::Connect({.host = kFakeAddress, .port = server.port()});
  ASSERT_TRUE(c.ok()) << c.status();
  const Key key = Key::Int("test", "s", 1);
  EXPECT_EQ((*c)->Get(key).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ((*c)->Get(key).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ((*c)->Get(key).status().code(), absl::StatusCode::kUnavailable);
  auto status = (*c)->InfoValue("status");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, "ok");
}

TEST(WireClientFakeServerTest, NoReplyIsADeadline) {
  FakeServer server([](int) {});
  auto c = wire::Client::Connect({.host = kFakeAddress, .port = server.port(), .timeout_ms = 100});
  ASSERT_TRUE(c.ok());
  auto r = (*c)->InfoValue("status");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
}

TEST_F(WireClientTest, BenchOverTheWireProtocol) {
  CommandRun b = Tern({"--json", "bench", "--protocol", "aerospike", "--duration", "2", "--keys",
                       "500", "--concurrency", "8", "--value-size", "64"});
  ASSERT_EQ(b.code, 0) << b.err;
  nlohmann::json j = nlohmann::json::parse(b.out);
  EXPECT_EQ(j["protocol"], "aerospike");
  EXPECT_EQ(j["load"]["ops"], 500);
  EXPECT_GT(j["run"]["ops"].get<int64_t>(), 0);
  EXPECT_GT(j["run"]["ops_per_sec"].get<double>(), 0);
  EXPECT_EQ(j["run"]["errors"], 0);
  for (const char* k : {"p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"}) {
    EXPECT_GT(j["run"][k].get<double>(), 0) << k;
  }
  // Every workload, a flash namespace, the table output.
  for (const char* wl : {"read", "update", "95-5", "insert"}) {
    CommandRun r = Tern({"bench", "--protocol", "aerospike", "--workload", wl, "--namespace", "bar",
                         "--duration", "1", "--keys", "200", "--concurrency", "4"});
    ASSERT_EQ(r.code, 0) << wl << ": " << r.err;
    EXPECT_NE(r.out.find("tern bench: aerospike " + std::string(kAddress) + ":3000"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("summary"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("errors 0"), std::string::npos) << r.out;
  }
}

TEST_F(WireClientTest, BenchErrors) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"bench", "--protocol", "memcache"},
           {"bench", "--protocol", "aerospike", "--concurrency", "0"},
           {"bench", "--protocol", "aerospike", "--value-size", "0"},
           {"bench", "--protocol", "aerospike", "--workload", "scan"},
           {"bench", "--protocol", "aerospike", "--duration", "-1"},
       }) {
    CommandRun r = Tern(args);
    EXPECT_EQ(r.code, 2) << args[2] << " " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("tern: ", 0), 0u) << r.err;
  }
  // Nothing listening: one line saying where, exit code 1.
  CommandRun down = Tern({"bench", "--protocol", "aerospike", "--port", "3999", "--duration", "1"});
  EXPECT_EQ(down.code, 1) << down.err;
  EXPECT_EQ(std::count(down.err.begin(), down.err.end(), '\n'), 1) << down.err;
  EXPECT_NE(down.err.find("127.0.0.62:3999"), std::string::npos) << down.err;
  // An unknown namespace: every write fails, and the bench says so.
  CommandRun ns = Tern({"bench", "--protocol", "aerospike", "--namespace", "nope", "--duration",
                        "1", "--keys", "10", "--concurrency", "1"});
  EXPECT_EQ(ns.code, 1);
  EXPECT_NE(ns.err.find("nope"), std::string::npos) << ns.err;
}

}  // namespace
}  // namespace tern::testing
