// Connections to other nodes' fabric ports: one gRPC channel per address, made on first use
// and kept (gRPC reconnects by itself).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "tern/fabric/v1/fabric.grpc.pb.h"

namespace tern::cluster {

class FabricClient {
 public:
  std::shared_ptr<fabric::v1::Fabric::Stub> StubFor(const std::string& address);

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<fabric::v1::Fabric::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tern::cluster
