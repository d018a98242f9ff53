#include "bench/workers.h"
#include "tern/client.h"

namespace tern::bench {

namespace {

class GrpcWorker final : public Worker {
 public:
  GrpcWorker(Client& client, const Options& o) : client_(client), o_(o) {}
  bool Read(uint64_t key) override {
    auto r = client_.Get(Key(o_.ns, o_.set, static_cast<int64_t>(key)));
    if (r.ok() || r.status().code() == result::kRecordNotFound) return true;
    error_ = r.status().ToString();
    return false;
  }
  bool Write(uint64_t key, const std::string& value) override {
    auto r = client_.Put(Key(o_.ns, o_.set, static_cast<int64_t>(key)), {{"v", value}});
    if (r.ok()) return true;
    error_ = r.status().ToString();
    return false;
  }
  std::string last_error() const override { return error_; }

 private:
  Client& client_;
  const Options& o_;
  std::string error_;
};

// One client (one channel per node) shared by every worker, as an application would.
class GrpcFactory final : public WorkerFactory {
 public:
  explicit GrpcFactory(const Options& o) : o_(o) {
    ClientConfig cfg;
    cfg.seeds = {o.host + ":" + std::to_string(o.port)};
    auto c = Client::Connect(cfg);
    if (!c.ok()) {
      error_ = "cannot connect to " + cfg.seeds[0] + ": " + c.status().ToString();
      return;
    }
    client_ = std::move(*c);
  }
  std::unique_ptr<Worker> Make() override {
    if (!client_) return nullptr;
    return std::make_unique<GrpcWorker>(*client_, o_);
  }
  const std::string& error() const override { return error_; }

 private:
  const Options& o_;
  std::unique_ptr<Client> client_;
  std::string error_;
};

}  // namespace

std::unique_ptr<WorkerFactory> MakeGrpcFactory(const Options& o) {
  return std::make_unique<GrpcFactory>(o);
}

}  // namespace tern::bench
