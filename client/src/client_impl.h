// The inside of tern::Client: the partition router, one stub (gRPC channel) per node, the
// retry loop. Tests build a Client on fake stubs through Client::Impl's StubFactory.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "grpcpp/grpcpp.h"
#include "partition_router.h"
#include "tern/client.h"
#include "tern/v1/kv.grpc.pb.h"

namespace tern {

using StubFactory =
    std::function<std::shared_ptr<tern::v1::Kv::StubInterface>(const std::string& address)>;

// Trailing-metadata key carrying the server's Aerospike result code.
inline constexpr char kResultCodeMetadataKey[] = "tern-result-code";

// The client-side reading of a finished call: the server's result code when it sent one.
Status StatusFromGrpc(const grpc::Status& s, const grpc::ClientContext& ctx);

// Codes after which the request is tried again; the first three also refresh the map.
bool IsRetryable(int code);
bool NeedsMapRefresh(int code);

struct Client::Impl {
  ClientConfig config;
  StubFactory factory;

  mutable std::mutex mu;
  std::shared_ptr<const client_internal::PartitionRouter> router;
  std::map<std::string, std::shared_ptr<tern::v1::Kv::StubInterface>> stubs;

  // In-flight async calls; the destructor waits for them.
  std::mutex async_mu;
  std::condition_variable async_cv;
  int async_in_flight = 0;

  std::shared_ptr<const client_internal::PartitionRouter> Router() const;
  std::shared_ptr<tern::v1::Kv::StubInterface> Stub(const std::string& address);
  // Fetches the map from `first` (when not empty), then each known node, then each seed.
  Status Refresh(const std::string& first = "");

  std::string Route(const Key& key, Replica replica, int attempt) const;

  // Opens one node's record stream (Scan or Query) over `cursors`, at most `max_records` of
  // them (0 = no limit).
  using OpenStream =
      std::function<std::unique_ptr<grpc::ClientReaderInterface<tern::v1::ScanResponse>>(
          tern::v1::Kv::StubInterface*, grpc::ClientContext*,
          const google::protobuf::RepeatedPtrField<tern::v1::PartitionCursor>& cursors,
          uint64_t max_records)>;
  // Sends each partition still to do (all, or `resume`'s) to its master through `open`, hands
  // every record to `fn` (false stops), resumes a broken stream from the last record, and
  // leaves in `cursor` what is left.
  Status StreamPartitions(const std::string& ns, uint64_t max_records,
                          const std::optional<ScanCursor>& resume, const OpenStream& open,
                          const std::function<bool(const Record&)>& fn, ScanCursor* cursor);

  // Runs `call` on the key's node with the policy's timeout, retrying as the policy says.
  Status Run(
      const Key& key, const Policy& policy, Replica replica,
      const std::function<grpc::Status(tern::v1::Kv::StubInterface*, grpc::ClientContext*)>& call);
};

// For tests: a client whose connections come from `factory` (no network).
Result<std::unique_ptr<Client>> ConnectWithFactory(ClientConfig config, StubFactory factory);

}  // namespace tern
