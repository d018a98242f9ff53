#include "cluster/fabric_client.h"

#include "grpcpp/create_channel.h"

namespace tern::cluster {

std::shared_ptr<fabric::v1::Fabric::Stub> FabricClient::StubFor(const std::string& address) {
  absl::MutexLock lock(&mu_);
  auto& stub = stubs_[address];
  if (!stub) {
    grpc::ChannelArguments args;
    // Fail fast and retry soon: a peer that went away must not stall heartbeats for long.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 256 << 20);
    // Pings find a peer that stopped answering (cut off, frozen) in seconds: a call or a
    // migration stream on a dead connection fails instead of waiting for TCP to give up.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kFabricKeepaliveMs);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kFabricKeepaliveMs);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    stub = fabric::v1::Fabric::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return stub;
}

}  // namespace tern::cluster
