// The node's configuration: one YAML file (tern.yaml; a ConfigMap in Kubernetes). Parsing is
// strict: an unknown key, a wrong type or an invalid value fails with the key's path and line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tern::base {

enum class StorageKind { kMemory, kFlash };

// Per-set overrides of the namespace policy.
struct SetConfig {
  std::string name;
  std::optional<int64_t> default_ttl;  // seconds; unset = the namespace's
  uint64_t stop_writes_count = 0;      // 0 = no limit on the set's record count
  bool disable_eviction = false;       // records of this set are never evicted
};

// How geo2dsphere indexes cover regions with S2 cells: stored regions and query regions alike
// (Aerospike's geo2dsphere-within, with its defaults).
struct GeoConfig {
  uint32_t min_level = 1;                  // 0..30, cells no bigger than this level
  uint32_t max_level = 20;                 // min_level..30, cells no smaller than this level
  uint32_t max_cells = 12;                 // 1..256 per covering
  uint32_t level_mod = 1;                  // 1..3: only levels min_level + k·level_mod
  uint64_t earth_radius_meters = 6371000;  // turns AeroCircle radii into angles
};

struct NamespaceConfig {
  std::string name;
  StorageKind storage = StorageKind::kMemory;
  std::string data_dir;             // flash: own RocksDB directory; empty = the node's shared one
                                    // at <node.data_dir>/flash (a column family per namespace)
  bool commit_to_device = false;    // flash: sync the WAL before acknowledging a write
  uint32_t replication_factor = 2;  // 1..8
  int64_t default_ttl = 0;          // seconds; 0 = records never expire by default
  uint64_t max_record_size = 1 << 20;
  uint64_t memory_size = uint64_t{1} << 30;  // budget for data + index in RAM
  uint64_t disk_size = uint64_t{16} << 30;   // flash budget
  uint32_t stop_writes_pct = 90;             // refuse writes above this % of the budget
  uint32_t evict_pct = 0;                    // evict soonest-expiring above this % (0 = off)
  uint32_t nsup_period_sec = 10;             // expiration/eviction sweep period (0 = no sweeper)
  uint32_t sprigs_per_partition = 16;        // power of two, 1..256
  GeoConfig geo2dsphere_within;
  std::vector<SetConfig> sets;
};

struct NodeConfig {
  std::string id;                     // hex node id; empty = derived from address and port
  std::string address = "127.0.0.1";  // listen address of every port
  // What peers and clients are told; empty = `address` (for 0.0.0.0: the host's first
  // non-loopback IPv4 address). ternd --advertise-address overrides it.
  std::string advertise_address;
  std::string data_dir = "./data";
  std::string cluster_name = "tern";
  uint32_t rack_id = 0;
};

struct PortsConfig {
  uint16_t service = 3000;  // Aerospike wire protocol
  uint16_t fabric = 3001;   // node to node
  uint16_t grpc = 3100;
  uint16_t admin = 8080;    // admin REST
  uint16_t metrics = 9145;  // Prometheus
};

// The Aerospike wire-protocol front door (port 3000).
struct ServiceConfig {
  uint32_t threads = 0;                             // event loops; 0 = one per core
  uint32_t max_connections = 10000;                 // beyond this, new connections are closed
  uint64_t max_message_size = uint64_t{128} << 20;  // larger frames close the connection
  uint32_t idle_timeout_sec = 0;                    // close idle client connections; 0 = never
  uint32_t max_batch_rows = 10000;                  // larger batches answer 151
};

// Membership and data movement between nodes (the fabric, ports.fabric).
struct ClusterConfig {
  // Fabric addresses (host:port; port defaults to 3001) of nodes to join. Empty = a cluster
  // of one. This node's own address may be listed (one seed list for every node).
  std::vector<std::string> seeds;
  uint32_t heartbeat_interval_ms = 150;
  uint32_t heartbeat_timeout_beats = 10;     // a peer silent this many intervals is gone
  uint32_t replication_timeout_ms = 2000;    // a replica write not acknowledged by then fails
  uint32_t migrate_fill_delay_sec = 0;       // wait this long after a change before migrating
  uint32_t migrate_max_records_per_sec = 0;  // per node; 0 = no throttle
};

struct LoggingConfig {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct Config {
  NodeConfig node;
  PortsConfig ports;
  ServiceConfig service;
  ClusterConfig cluster;
  LoggingConfig logging;
  std::vector<NamespaceConfig> namespaces;

  const NamespaceConfig* FindNamespace(std::string_view name) const;
};

// A byte count as config and live policies write it: digits with an optional K/M/G/T suffix
// (powers of 1024, either case). False for anything else, negative values or overflow.
bool ParseSize(std::string_view text, uint64_t* bytes);

// Parses YAML text; `source` names it in error messages ("tern.yaml:12: ...").
absl::StatusOr<Config> ParseConfig(std::string_view yaml, std::string_view source);
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// config/tern.yaml as compiled into the binary: what `ternd` runs on without --config.
std::string_view DefaultConfigYaml();

}  // namespace tern::base
