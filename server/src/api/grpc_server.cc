#include "api/grpc_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "api/kv_service.h"
#include "base/logging.h"
#include "grpcpp/grpcpp.h"

namespace tern::api {

GrpcServer::GrpcServer(txn::Engine& engine, InfoCommands& info, NodeIdentity node,
                       uint32_t max_batch_rows, udf::ModuleRegistry* modules,
                       query::IndexCatalog* indexes)
    : engine_(engine),
      info_(info),
      node_(std::move(node)),
      max_batch_rows_(max_batch_rows),
      modules_(modules),
      indexes_(indexes) {}

GrpcServer::~GrpcServer() { Stop(); }

absl::Status GrpcServer::Start(const std::string& address, uint16_t port) {
  const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  const std::string listen = absl::StrCat(host, ":", port);
  int selected = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &selected);
  // Batches of up to max_batch_rows records: allow large messages both ways.
  builder.SetMaxReceiveMessageSize(128 << 20);
  builder.SetMaxSendMessageSize(128 << 20);
  // Clients are told the advertised address (the listen address may be 0.0.0.0).
  const std::string& shown = node_.service_address;
  const std::string advertised =
      absl::StrCat(shown.find(':') != std::string::npos ? "[" + shown + "]" : shown, ":", port);
  service_ = std::make_unique<KvService>(
      engine_, info_, node_, KvServiceOptions{advertised, max_batch_rows_}, modules_, indexes_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || selected == 0) {
    server_.reset();
    service_.reset();
    return absl::UnavailableError(absl::StrCat("gRPC: cannot listen on ", listen));
  }
  port_ = static_cast<uint16_t>(selected);
  base::Logger("api")->info("gRPC API listening on {}", listen);
  return absl::OkStatus();
}

void GrpcServer::Stop() {
  if (!server_) return;
  service_->CancelWatches();
  // Calls still running after the grace period are cancelled.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
  service_.reset();
}

}  // namespace tern::api
