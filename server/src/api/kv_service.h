// tern.v1.Kv, the gRPC front door (port 3100). Every call builds txn::Requests and runs them
// through the one txn::Engine, as the wire protocol does; this class only translates. It uses
// gRPC's callback API, so no thread is held per call (the watch stream waits without one).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "api/arena_message_allocator.h"
#include "api/info_commands.h"
#include "api/sql_executor.h"
#include "base/result_code.h"
#include "grpcpp/grpcpp.h"
#include "tern/v1/kv.grpc.pb.h"
#include "txn/engine.h"
#include "udf/module_registry.h"

namespace tern::api {

// Trailing-metadata key of a failed call's Aerospike result code (decimal text).
inline constexpr char kResultCodeMetadataKey[] = "tern-result-code";

// The gRPC status code a result code reads as (docs/grpc.md).
grpc::StatusCode GrpcCodeOf(base::ResultCode code);

struct KvServiceOptions {
  std::string grpc_address;  // host:port clients dial for this API
  uint32_t max_batch_rows = 10000;
};

class KvService final : public tern::v1::Kv::CallbackService {
 public:
  // Without `modules`, RegisterUdf, ListUdfs and RemoveUdf answer UNIMPLEMENTED; without
  // `indexes`, CreateIndex, DropIndex and SQL's CREATE/DROP INDEX do.
  KvService(txn::Engine& engine, InfoCommands& info, NodeIdentity node, KvServiceOptions options,
            udf::ModuleRegistry* modules = nullptr, query::IndexCatalog* indexes = nullptr);
  ~KvService() override;

  // Ends every open WatchPartitionMap stream (before the server shuts down).
  void CancelWatches();

  // Builds the current partition map (exposed for tests).
  tern::v1::PartitionMap CurrentMap() const;

  using Ctx = grpc::CallbackServerContext;
  grpc::ServerUnaryReactor* Get(Ctx* ctx, const tern::v1::GetRequest* req,
                                tern::v1::Record* resp) override;
  grpc::ServerUnaryReactor* Put(Ctx* ctx, const tern::v1::PutRequest* req,
                                tern::v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(Ctx* ctx, const tern::v1::DeleteRequest* req,
                                   tern::v1::DeleteResponse* resp) override;
  grpc::ServerUnaryReactor* Exists(Ctx* ctx, const tern::v1::ExistsRequest* req,
                                   tern::v1::ExistsResponse* resp) override;
  grpc::ServerUnaryReactor* Touch(Ctx* ctx, const tern::v1::TouchRequest* req,
                                  tern::v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Operate(Ctx* ctx, const tern::v1::OperateRequest* req,
                                    tern::v1::Record* resp) override;
  grpc::ServerUnaryReactor* BatchGet(Ctx* ctx, const tern::v1::BatchGetRequest* req,
                                     tern::v1::BatchGetResponse* resp) override;
  grpc::ServerUnaryReactor* BatchOperate(Ctx* ctx, const tern::v1::BatchOperateRequest* req,
                                         tern::v1::BatchOperateResponse* resp) override;
  grpc::ServerWriteReactor<tern::v1::ScanResponse>* Scan(Ctx* ctx,
                                                         const tern::v1::ScanRequest* req) override;
  grpc::ServerWriteReactor<tern::v1::ScanResponse>* Query(
      Ctx* ctx, const tern::v1::QueryRequest* req) override;
  grpc::ServerUnaryReactor* ApplyUdf(Ctx* ctx, const tern::v1::ApplyUdfRequest* req,
                                     tern::v1::ApplyUdfResponse* resp) override;
  grpc::ServerUnaryReactor* CreateIndex(Ctx* ctx, const tern::v1::CreateIndexRequest* req,
                                        tern::v1::CreateIndexResponse* resp) override;
  grpc::ServerUnaryReactor* DropIndex(Ctx* ctx, const tern::v1::DropIndexRequest* req,
                                      tern::v1::DropIndexResponse* resp) override;
  grpc::ServerUnaryReactor* ListIndexes(Ctx* ctx, const tern::v1::ListIndexesRequest* req,
                                        tern::v1::ListIndexesResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterUdf(Ctx* ctx, const tern::v1::RegisterUdfRequest* req,
                                        tern::v1::RegisterUdfResponse* resp) override;
  grpc::ServerUnaryReactor* ListUdfs(Ctx* ctx, const tern::v1::ListUdfsRequest* req,
                                     tern::v1::ListUdfsResponse* resp) override;
  grpc::ServerUnaryReactor* RemoveUdf(Ctx* ctx, const tern::v1::RemoveUdfRequest* req,
                                      tern::v1::RemoveUdfResponse* resp) override;
  grpc::ServerUnaryReactor* Info(Ctx* ctx, const tern::v1::InfoRequest* req,
                                 tern::v1::InfoResponse* resp) override;
  grpc::ServerUnaryReactor* GetPartitionMap(Ctx* ctx, const tern::v1::PartitionMapRequest* req,
                                            tern::v1::PartitionMap* resp) override;
  grpc::ServerWriteReactor<tern::v1::PartitionMap>* WatchPartitionMap(
      Ctx* ctx, const tern::v1::PartitionMapRequest* req) override;
  grpc::ServerUnaryReactor* Sql(Ctx* ctx, const tern::v1::SqlRequest* req,
                                tern::v1::SqlResponse* resp) override;

 private:
  class WatchReactor;
  friend class WatchReactor;

  txn::Engine& engine_;
  InfoCommands& info_;
  NodeIdentity node_;
  KvServiceOptions options_;
  udf::ModuleRegistry* modules_;
  query::IndexCatalog* indexes_;
  SqlExecutor sql_;

  // Pushes a new map to every watch stream when the partition generation changes.
  void WatchMap(std::stop_token stop);

  std::mutex watch_mu_;
  std::set<WatchReactor*> watches_;
  bool stopping_ = false;
  std::jthread map_watcher_;

  // The single-record calls, the hot path, parse and answer on pooled arenas.
  ArenaMessageAllocator<tern::v1::GetRequest, tern::v1::Record> get_messages_;
  ArenaMessageAllocator<tern::v1::PutRequest, tern::v1::WriteResponse> put_messages_;
  ArenaMessageAllocator<tern::v1::DeleteRequest, tern::v1::DeleteResponse> delete_messages_;
  ArenaMessageAllocator<tern::v1::ExistsRequest, tern::v1::ExistsResponse> exists_messages_;
  ArenaMessageAllocator<tern::v1::TouchRequest, tern::v1::WriteResponse> touch_messages_;
  ArenaMessageAllocator<tern::v1::OperateRequest, tern::v1::Record> operate_messages_;
};

}  // namespace tern::api
