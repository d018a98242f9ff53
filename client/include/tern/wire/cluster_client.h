// tern::wire::ClusterClient: the partition-aware wire client. From a seed it learns the nodes
// (info `peers-clear-std`) and, from each node, the partitions it masters (`replicas-master`),
// then sends every command straight to its key's master over one tern::wire::Client per node
// — as the official clients do, so nothing is proxied. It reads the map again when a node's
// `partition-generation` moves (checked at most every `refresh_ms`) and, once, when a
// command cannot reach its node. Works against ternd and Aerospike alike, one node or many.
// Not thread-safe: one ClusterClient per thread.
//
//   auto c = tern::wire::ClusterClient::Connect({.seeds = {"127.0.0.11:3000"}});
//   (*c)->Put(tern::wire::Key::Int("test", "demo", 7), {{"v", tern::record::Value::Integer(1)}});
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tern/wire/client.h"

namespace tern::wire {

struct ClusterOptions {
  std::vector<std::string> seeds;  // host:port of any nodes of the cluster
  ClientOptions node;              // timeouts for each node's connection (host/port unused)
  uint32_t refresh_ms = 1000;      // how often partition generations are compared
};

// One node as peers-clear-std lists it.
struct PeerAddress {
  std::string name;
  std::string host;
  uint16_t port = 0;
};
// Parses `<generation>,<default port>,[[<node>,<tls name>,[<host[:port]>,...]],...]`.
absl::StatusOr<std::vector<PeerAddress>> ParsePeers(std::string_view text);

class ClusterClient {
 public:
  static absl::StatusOr<std::unique_ptr<ClusterClient>> Connect(ClusterOptions options);

  absl::StatusOr<RecordReply> Get(const Key& key, std::span<const std::string> bins = {});
  absl::StatusOr<RecordReply> Exists(const Key& key);
  absl::StatusOr<RecordReply> Put(const Key& key, const std::vector<record::Bin>& bins,
                                  const WritePolicy& policy = {});
  absl::StatusOr<RecordReply> Delete(const Key& key, const WritePolicy& policy = {});
  absl::StatusOr<RecordReply> Operate(const Key& key, const std::vector<Op>& ops,
                                      const WritePolicy& policy = {});

  // Re-reads the nodes and the partition map now.
  absl::Status Refresh();
  size_t node_count() const { return nodes_.size(); }
  // "host:port" of the node a key goes to (empty if its partition has no known master).
  std::string AddressFor(const Key& key) const;

 private:
  struct Node {
    std::string name;
    std::unique_ptr<Client> client;
    std::string generation;  // partition-generation when the map was read
  };

  explicit ClusterClient(ClusterOptions options) : options_(std::move(options)) {}
  // The node for `key`, refreshing first when the check is due.
  absl::StatusOr<Client*> Route(const Key& key);
  template <typename Call>
  absl::StatusOr<RecordReply> Run(const Key& key, Call call);
  bool GenerationsMoved();

  ClusterOptions options_;
  std::vector<Node> nodes_;
  std::map<std::string, std::vector<int>, std::less<>> masters_;  // ns → node index (-1: none)
  int64_t next_check_ns_ = 0;
};

}  // namespace tern::wire
