// The client's copy of the partition map: for each namespace and partition, which nodes hold
// it (master first). Immutable once built; the client swaps in a new one on refresh.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tern/client.h"
#include "tern/status.h"
#include "tern/v1/kv.pb.h"

namespace tern::client_internal {

class PartitionRouter {
 public:
  // Checks the map (owner counts and node indexes) as it builds.
  static Result<PartitionRouter> FromProto(const tern::v1::PartitionMap& map);

  uint64_t generation() const { return generation_; }
  const std::vector<NodeInfo>& nodes() const { return nodes_; }

  // The gRPC address to send a request for (ns, partition) to: the master, or with
  // kPreferReplica a replica (rotating with `attempt` so a retry tries another copy). A
  // namespace the map does not know goes to the first node, which answers "namespace not
  // found". Empty when the map has no nodes.
  std::string NodeFor(std::string_view ns, uint32_t partition, Replica replica = Replica::kMaster,
                      int attempt = 0) const;

 private:
  struct Namespace {
    uint32_t copies = 1;
    std::vector<uint32_t> owners;  // partition * copies + copy → node index
  };
  uint64_t generation_ = 0;
  std::vector<NodeInfo> nodes_;
  std::map<std::string, Namespace, std::less<>> namespaces_;
};

}  // namespace tern::client_internal
