#include "absl/strings/str_cat.h"
#include "bench/workers.h"
#include "tern/wire/cluster_client.h"

namespace tern::bench {

namespace {

// One connection per node per worker, one command in flight: the closed loop of an official
// client's pooled socket, each key sent to its partition's master.
class WireWorker final : public Worker {
 public:
  WireWorker(std::unique_ptr<wire::ClusterClient> client, const Options& o)
      : client_(std::move(client)), o_(o) {
    bins_.push_back({"v", record::Value()});
  }
  bool Read(uint64_t key) override {
    auto r = client_->Get(wire::Key::Int(o_.ns, o_.set, static_cast<int64_t>(key)));
    if (!r.ok()) return Failed(r.status().ToString());
    if (r->result == 0 || r->result == 2) return true;
    return Failed(absl::StrCat("get: result code ", r->result));
  }
  bool Write(uint64_t key, const std::string& value) override {
    if (bins_[0].value.bytes() != value) bins_[0].value = record::Value::String(value);
    auto r = client_->Put(wire::Key::Int(o_.ns, o_.set, static_cast<int64_t>(key)), bins_);
    if (!r.ok()) return Failed(r.status().ToString());
    if (r->result == 0) return true;
    return Failed(absl::StrCat("put: result code ", r->result));
  }
  std::string last_error() const override { return error_; }

 private:
  bool Failed(std::string error) {
    error_ = std::move(error);
    return false;
  }

  std::unique_ptr<wire::ClusterClient> client_;
  const Options& o_;
  std::vector<record::Bin> bins_;  // the one bin "v", reused
  std::string error_;
};

class WireFactory final : public WorkerFactory {
 public:
  explicit WireFactory(const Options& o) : o_(o) {}
  std::unique_ptr<Worker> Make() override {
    wire::ClusterOptions opts;
    opts.seeds.push_back(absl::StrCat(o_.host, ":", o_.port));
    auto c = wire::ClusterClient::Connect(opts);
    if (!c.ok()) {
      error_ = std::string(c.status().message());
      return nullptr;
    }
    return std::make_unique<WireWorker>(*std::move(c), o_);
  }
  const std::string& error() const override { return error_; }

 private:
  const Options& o_;
  std::string error_;
};

}  // namespace

std::unique_ptr<WorkerFactory> MakeWireFactory(const Options& o) {
  return std::make_unique<WireFactory>(o);
}

}  // namespace tern::bench
