// Runs the tern.v1.Kv service on the gRPC port (3100): the server, its listening socket and
// an orderly stop (open watch streams end first, in-flight calls get a short grace period).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "api/info_commands.h"
#include "query/index_catalog.h"
#include "txn/engine.h"
#include "udf/module_registry.h"

namespace grpc {
class Server;
}

namespace tern::api {

class KvService;

class GrpcServer {
 public:
  // `modules` (optional) backs the UDF module calls, `indexes` SQL's CREATE/DROP INDEX.
  GrpcServer(txn::Engine& engine, InfoCommands& info, NodeIdentity node, uint32_t max_batch_rows,
             udf::ModuleRegistry* modules = nullptr, query::IndexCatalog* indexes = nullptr);
  ~GrpcServer();

  // Listens on address:port; fails when the port is taken.
  absl::Status Start(const std::string& address, uint16_t port);
  void Stop();
  uint16_t port() const { return port_; }

 private:
  txn::Engine& engine_;
  InfoCommands& info_;
  NodeIdentity node_;
  uint32_t max_batch_rows_;
  udf::ModuleRegistry* modules_;
  query::IndexCatalog* indexes_;
  std::unique_ptr<KvService> service_;
  std::unique_ptr<grpc::Server> server_;
  uint16_t port_ = 0;
};

}  // namespace tern::api
