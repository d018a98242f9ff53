// The transaction engine: the one code path behind every front door. It finds the namespace
// and partition, takes the record lock for writes, applies the ops with generation / TTL /
// exists rules, stores the new record copy-on-write and records metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "cluster/local_data.h"
#include "index/index_entry.h"
#include "ns/catalog.h"
#include "record/expression.h"
#include "record/projection.h"
#include "storage/record_ref.h"
#include "txn/metrics.h"
#include "txn/request.h"

namespace tern::udf {
class LuaRuntime;
}
namespace tern::smd {
class MetadataStore;
}
namespace tern::cluster {
class Cluster;
}

namespace tern::txn {

// The current version of a record as the index and storage have it (engine internal).
struct Current {
  bool exists = false;  // present and live
  bool entry = false;   // an index entry exists (perhaps expired or truncated)
  index::RecordMeta meta;
  storage::RecordRef rec;
};

struct ScanOptions {
  std::string ns;
  std::string set;                // empty = every set
  std::vector<std::string> bins;  // empty = every bin
  bool metadata_only = false;
  record::Projection projection;  // read ops instead of bin names (then `bins` is empty)
  // Filter expression: records it does not match are skipped.
  std::shared_ptr<const record::Expression> filter;
};

// One record a scan yields: digest, metadata and (unless metadata_only) the selected bins.
struct ScannedRecord {
  base::Digest digest;
  index::RecordMeta meta;
  std::string set;
  const record::Record* record = nullptr;  // valid only during the callback
};

// The records a secondary-index query matched, and how to check a record still matches.
struct QueryMatches {
  std::vector<base::Digest> digests;
  std::function<bool(const record::Record&)> still_matches;
};

class Engine final : public cluster::LocalData {
 public:
  // `metrics` may be null (tests, tools); without `udf`, UDF commands are refused.
  Engine(ns::Catalog& catalog, TxnMetrics* metrics, udf::LuaRuntime* udf = nullptr);

  // In a cluster, requests for partitions another node masters are proxied there and writes
  // are replicated before they are acknowledged. Without one, every partition is local.
  void AttachCluster(cluster::Cluster* cluster) { cluster_ = cluster; }
  // With system metadata, truncations are recorded there (module "truncate") and applied by
  // every node that has it, now or when it joins; without, they apply here only.
  void AttachMetadata(smd::MetadataStore* store);

  Response Execute(const Request& req);
  // Each request answered independently; responses in request order.
  std::vector<Response> ExecuteBatch(std::span<const Request> reqs);

  // Visits the live records of one partition as of a snapshot, in ascending digest order
  // (the same on every node and storage engine, so a scan can resume anywhere), starting after
  // `after` when given; `fn` returns false to stop. Writers are never blocked by a scan.
  absl::Status ScanPartition(const ScanOptions& opts, uint32_t partition,
                             const std::optional<base::Digest>& after,
                             absl::FunctionRef<bool(const ScannedRecord&)> fn);

  // Reads one live record of `opts.ns` (whole, bins not projected) for a query; false when
  // it is absent, expired, truncated or outside `opts.set`.
  bool ReadForQuery(const ScanOptions& opts, const base::Digest& digest,
                    absl::FunctionRef<void(const ScannedRecord&)> fn);

  // Runs a stream UDF (aggregation) over the live records of a namespace or set on this node;
  // each value the pipeline yields goes to `emit`. kUdfError carries a pipeline failure.
  // With `matches`, only those records (an index query's result) are fed.
  absl::Status Aggregate(const ScanOptions& opts, std::string_view module,
                         std::string_view function, std::span<const record::Value> args,
                         const QueryMatches* matches, absl::FunctionRef<void(record::Value)> emit);
  // Merges the values every node's Aggregate yielded into the stream's answer (the final
  // reduce and the stages after it), as a client does.
  absl::Status MergeAggregates(std::string_view module, std::string_view function,
                               std::span<const record::Value> args,
                               std::span<const record::Value> partials,
                               absl::FunctionRef<void(record::Value)> emit);

  // Truncates a set (or the whole namespace when `set` is empty); `before_ms` 0 = now.
  absl::Status Truncate(std::string_view ns, std::string_view set, int64_t before_ms);
  // Applies every truncation recorded in the metadata (idempotent: times only move forward).
  void ApplyTruncations();

  ns::Catalog& catalog() { return catalog_; }
  // Whether scans and queries of `partition` run here: always on a single node; in a cluster
  // where this node acts as its master with a complete copy.
  bool Serves(std::string_view ns, uint32_t partition) const;

  // cluster::LocalData: replica writes, migrations and proxied requests from other nodes.
  absl::StatusOr<bool> ApplyImage(std::string_view ns, const base::Digest& digest,
                                  std::string_view image, bool merge) override;
  absl::Status ForEachImage(
      std::string_view ns, uint32_t partition,
      absl::FunctionRef<bool(const base::Digest&, std::string image)> fn) override;
  uint64_t RecordsIn(std::string_view ns, uint32_t partition) override;
  absl::Status DropPartition(std::string_view ns, uint32_t partition) override;
  void ExecuteProxied(const fabric::v1::ProxyRequest& req, fabric::v1::ProxyReply* reply) override;

 private:
  Response ExecuteLocal(const Request& req);
  // Removes the current version (device first), its index entry and index keys.
  absl::Status RemoveVersion(ns::Namespace& ns, const base::Digest& digest, const Current& cur,
                             bool sync);
  // Stores `body` as the record's version with `meta`, moving secondary-index keys from the
  // current version; returns the stored size.
  absl::Status StoreVersion(ns::Namespace& ns, const base::Digest& digest, const Current& cur,
                            uint16_t set_id, const record::StoredMeta& meta,
                            storage::RecordRef body);
  // Hands a committed change to the replicas (no-op outside a cluster).
  absl::Status Replicate(ns::Namespace& ns, const base::Digest& digest,
                         const record::StoredMeta* meta, const record::Record* body);
  Response Read(ns::Namespace& ns, const Request& req);
  Response Write(ns::Namespace& ns, const Request& req);
  Response Delete(ns::Namespace& ns, const Request& req);
  Response ApplyUdf(ns::Namespace& ns, const Request& req);
  // Stores `next` as the record's new version (or removes the record when it has no bins),
  // applying TTL, size and generation rules; fills generation and void time in *resp.
  absl::Status Commit(ns::Namespace& ns, const Request& req, const Current& cur,
                      record::Record next, uint16_t set_id, bool fresh, uint32_t now,
                      Response* resp);
  void MaybeReadTouch(ns::Namespace& ns, const Request& req, const index::RecordMeta& meta,
                      uint32_t now);

  ns::Catalog& catalog_;
  TxnMetrics* metrics_;
  udf::LuaRuntime* udf_;
  cluster::Cluster* cluster_ = nullptr;
  smd::MetadataStore* smd_ = nullptr;
};

}  // namespace tern::txn
