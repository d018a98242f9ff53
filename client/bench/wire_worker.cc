#include "bench/workers.h"

namespace tern::bench {

namespace {

class NoWire final : public WorkerFactory {
 public:
  std::unique_ptr<Worker> Make() override { return nullptr; }
  const std::string& error() const override { return error_; }

 private:
  std::string error_ = "--protocol aerospike is not built yet";
};

}  // namespace

std::unique_ptr<WorkerFactory> MakeWireFactory(const Options& o) {
  return std::make_unique<NoWire>();
}

}  // namespace tern::bench
