// Admin REST API on port 8080 (cpprestsdk): health, readiness, namespaces and their live
// policies, and the info commands. The operator talks to a node only through this.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "api/info_commands.h"
#include "txn/engine.h"

namespace tern::api {

class AdminServer {
 public:
  // Without `modules`, the /v1/udf routes answer 503.
  AdminServer(txn::Engine& engine, InfoCommands& info, NodeIdentity node,
              udf::ModuleRegistry* modules = nullptr);
  ~AdminServer();

  absl::Status Start(const std::string& address, uint16_t port);
  void Stop();
  // /v1/ready answers 200 only after this (namespaces loaded, front doors up).
  void SetReady(bool ready) { ready_ = ready; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> ready_{false};
};

}  // namespace tern::api
