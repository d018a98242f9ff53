#include "partition_router.h"

namespace tern::client_internal {

Result<PartitionRouter> PartitionRouter::FromProto(const tern::v1::PartitionMap& map) {
  PartitionRouter r;
  r.generation_ = map.generation();
  for (const auto& n : map.nodes()) {
    r.nodes_.push_back(NodeInfo{n.name(), n.grpc_address(), n.service_address()});
  }
  for (const auto& ns : map.namespaces()) {
    Namespace n;
    n.copies = ns.copies();
    if (n.copies == 0 || static_cast<size_t>(ns.owners_size()) != kPartitionCount * n.copies) {
      return Status(result::kClientError,
                    "partition map of namespace '" + ns.namespace_() + "' is malformed");
    }
    n.owners.assign(ns.owners().begin(), ns.owners().end());
    for (uint32_t o : n.owners) {
      if (o >= r.nodes_.size()) {
        return Status(result::kClientError, "partition map names an unknown node");
      }
    }
    r.namespaces_[ns.namespace_()] = std::move(n);
  }
  return r;
}

std::string PartitionRouter::NodeFor(std::string_view ns, uint32_t partition, Replica replica,
                                     int attempt) const {
  if (nodes_.empty()) return "";
  auto it = namespaces_.find(ns);
  if (it == namespaces_.end() || partition >= kPartitionCount) return nodes_[0].grpc_address;
  const Namespace& n = it->second;
  uint32_t copy = 0;
  if (replica == Replica::kPreferReplica && n.copies > 1) {
    copy = static_cast<uint32_t>(1 + attempt) % n.copies;
  }
  return nodes_[n.owners[partition * n.copies + copy]].grpc_address;
}

}  // namespace tern::client_internal
