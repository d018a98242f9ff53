// The fabric gRPC service (tern.fabric.v1.Fabric on ports.fabric): the receiving end of
// heartbeats, replica writes, migration streams, proxied requests and system metadata.
#pragma once

#include "tern/fabric/v1/fabric.grpc.pb.h"

namespace tern::cluster {

class Cluster;

class FabricService final : public fabric::v1::Fabric::Service {
 public:
  explicit FabricService(Cluster& cluster) : cluster_(cluster) {}

  grpc::Status Heartbeat(grpc::ServerContext*, const fabric::v1::Beat* req,
                         fabric::v1::Beat* reply) override;
  grpc::Status Replicate(grpc::ServerContext*, const fabric::v1::ReplicateRequest* req,
                         fabric::v1::ReplicateReply* reply) override;
  grpc::Status Migrate(grpc::ServerContext*, grpc::ServerReader<fabric::v1::MigrateChunk>* reader,
                       fabric::v1::MigrateReply* reply) override;
  grpc::Status Proxy(grpc::ServerContext*, const fabric::v1::ProxyRequest* req,
                     fabric::v1::ProxyReply* reply) override;
  grpc::Status Smd(grpc::ServerContext*, const fabric::v1::SmdExchange* req,
                   fabric::v1::SmdExchange* reply) override;
  grpc::Status Sql(grpc::ServerContext*, const fabric::v1::SqlShare* req,
                   fabric::v1::SqlShareReply* reply) override;

 private:
  Cluster& cluster_;
};

}  // namespace tern::cluster
