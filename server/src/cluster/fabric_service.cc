#include "cluster/fabric_service.h"

#include "base/result_code.h"
#include "cluster/cluster.h"

namespace tern::cluster {

grpc::Status FabricService::Heartbeat(grpc::ServerContext*, const fabric::v1::Beat* req,
                                      fabric::v1::Beat* reply) {
  *reply = cluster_.membership_->OnBeat(*req);
  return grpc::Status::OK;
}

grpc::Status FabricService::Replicate(grpc::ServerContext*, const fabric::v1::ReplicateRequest* req,
                                      fabric::v1::ReplicateReply* reply) {
  absl::Status s = cluster_.ApplyReplica(*req);
  reply->set_result(static_cast<uint32_t>(base::ResultCodeOf(s)));
  return grpc::Status::OK;
}

grpc::Status FabricService::Migrate(grpc::ServerContext*,
                                    grpc::ServerReader<fabric::v1::MigrateChunk>* reader,
                                    fabric::v1::MigrateReply* reply) {
  if (!cluster_.data_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not ready");
  auto n =
      cluster_.migrator_->Receive([&](fabric::v1::MigrateChunk* c) { return reader->Read(c); });
  reply->set_result(static_cast<uint32_t>(base::ResultCodeOf(n.status())));
  if (n.ok()) reply->set_records(*n);
  return grpc::Status::OK;
}

grpc::Status FabricService::Proxy(grpc::ServerContext*, const fabric::v1::ProxyRequest* req,
                                  fabric::v1::ProxyReply* reply) {
  if (!cluster_.data_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not ready");
  cluster_.data_->ExecuteProxied(*req, reply);
  return grpc::Status::OK;
}

grpc::Status FabricService::Smd(grpc::ServerContext*, const fabric::v1::SmdExchange* req,
                                fabric::v1::SmdExchange* reply) {
  if (!cluster_.metadata_sync_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no metadata");
  *reply = cluster_.metadata_sync_->OnExchange(*req);
  return grpc::Status::OK;
}

grpc::Status FabricService::Sql(grpc::ServerContext*, const fabric::v1::SqlShare* req,
                                fabric::v1::SqlShareReply* reply) {
  std::shared_lock lock(cluster_.sql_mu_);
  if (!cluster_.sql_handler_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no SQL here");
  cluster_.sql_handler_(*req, reply);
  return grpc::Status::OK;
}

}  // namespace tern::cluster
