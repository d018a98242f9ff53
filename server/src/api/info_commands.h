// The info protocol's commands: text in, text out. The wire front door (port 3000) and the
// admin API (`GET /v1/info/{command}`) both answer from here, so they always agree.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "api/cluster_info.h"
#include "base/config.h"
#include "query/index_catalog.h"
#include "query/job_manager.h"
#include "txn/engine.h"
#include "udf/module_registry.h"

namespace tern::api {

struct NodeIdentity {
  uint64_t id = 0;
  std::string name;  // base::NodeName(id)
  std::string cluster_name;
  std::string service_address;  // where clients reach the wire protocol
  uint16_t service_port = 3000;
  uint32_t rack_id = 0;  // node.rack_id: every namespace of this node is in that rack
};

class InfoCommands {
 public:
  // Without `modules`, the udf-* commands answer that UDFs are not available; without `jobs`,
  // no background job is ever found.
  InfoCommands(txn::Engine& engine, NodeIdentity node, udf::ModuleRegistry* modules = nullptr,
               query::JobManager* jobs = nullptr, query::IndexCatalog* indexes = nullptr);

  // Cluster answers (ownership, peers, stability) come from `cluster`; without one this node
  // answers as a cluster of one.
  void AttachCluster(cluster::Cluster* cluster) {
    cluster_ = ClusterInfo(engine_.catalog(), cluster);
  }

  const ClusterInfo& cluster() const { return cluster_; }
  query::JobManager* jobs() const { return jobs_; }

  // Answers one command line (`name`, `name:k=v;k=v` or `name/arg/arg`) with its value,
  // without the echo. Unknown commands answer `ERROR:4:unrecognized command`.
  std::string Answer(std::string_view line);

  // Splits `k=v;k=v;` into a map (exposed for tests and other front doors).
  static std::map<std::string, std::string, std::less<>> ParseParams(std::string_view params);

 private:
  using Params = std::map<std::string, std::string, std::less<>>;

  std::string Namespaces() const;
  std::string ServiceAddress() const;
  std::string NamespaceStats(std::string_view ns) const;
  std::string Sets(std::string_view ns, std::string_view set) const;
  std::string Statistics() const;
  std::string Bins(std::string_view ns) const;
  std::string GetConfig(const Params& p) const;
  std::string SetConfig(const Params& p);
  std::string Truncate(const Params& p, bool whole_namespace);
  std::string UdfPut(const Params& p);
  std::string UdfList() const;
  std::string UdfGet(const Params& p) const;
  std::string UdfRemove(const Params& p);
  std::string JobShow(const Params& p) const;
  std::string SindexCreate(const Params& p);
  std::string SindexDelete(const Params& p);
  std::string SindexList(std::string_view ns) const;
  std::string SindexStat(std::string_view ns, std::string_view name) const;
  std::string JobAbort(const Params& p);

  txn::Engine& engine_;
  NodeIdentity node_;
  udf::ModuleRegistry* modules_;
  query::JobManager* jobs_;
  query::IndexCatalog* indexes_;
  ClusterInfo cluster_;
};

// `ERROR:<code>:<message>` as clients parse it.
std::string InfoError(base::ResultCode code, std::string_view message);

}  // namespace tern::api
