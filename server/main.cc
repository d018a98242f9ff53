// ternd: one Tern node. Loads tern.yaml (or the embedded default), opens the namespaces
// (cold start for flash), starts the front doors and runs until SIGTERM or SIGINT.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "api/admin_server.h"
#include "api/grpc_server.h"
#include "api/info_commands.h"
#include "api/metrics_exposer.h"
#include "base/config.h"
#include "base/logging.h"
#include "base/node_id.h"
#include "base/version.h"
#include "cluster/cluster.h"
#include "ns/catalog.h"
#include "prometheus/registry.h"
#include "query/index_catalog.h"
#include "query/job_manager.h"
#include "smd/metadata_store.h"
#include "txn/engine.h"
#include "txn/metrics.h"
#include "udf/lua_runtime.h"
#include "udf/module_registry.h"
#include "wire/dispatcher.h"
#include "wire/server.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "ternd: %.*s\n", static_cast<int>(status.message().size()),
               status.message().data());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tern;
  CLI::App app{"ternd: a Tern database node"};
  std::string config_path;
  bool print_default = false;
  std::string advertise;
  std::optional<uint32_t> rack_id;
  app.add_option("-c,--config", config_path, "tern.yaml to run on (default: the embedded one)");
  app.add_option("--advertise-address", advertise,
                 "the address peers and clients are told (overrides node.advertise_address)");
  // One ConfigMap serves every pod of a Kubernetes cluster; the rack is per StatefulSet.
  app.add_option("--rack-id", rack_id, "this node's rack (overrides node.rack_id)");
  app.add_flag("--print-default-config", print_default, "print the embedded tern.yaml and exit");
  app.set_version_flag("--version", std::string("ternd ") + base::kTernVersion);
  CLI11_PARSE(app, argc, argv);

  if (print_default) {
    std::fwrite(base::DefaultConfigYaml().data(), 1, base::DefaultConfigYaml().size(), stdout);
    return 0;
  }
  auto config = config_path.empty()
                    ? base::ParseConfig(base::DefaultConfigYaml(), "<embedded tern.yaml>")
                    : base::LoadConfigFile(config_path);
  if (!config.ok()) return Fail(config.status());
  if (absl::Status s = base::SetLogLevel(config->logging.level); !s.ok()) return Fail(s);
  auto log = base::Logger("ternd");

  if (!advertise.empty()) config->node.advertise_address = advertise;
  if (rack_id) config->node.rack_id = *rack_id;
  auto advertised = base::AdvertiseAddress(config->node.address, config->node.advertise_address);
  if (!advertised.ok()) return Fail(advertised.status());
  // Without a configured id it is hashed from the advertised address — or, listening on every
  // interface, from the host name, which a Kubernetes pod keeps across restarts (its IP not).
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  const bool wildcard = base::IsWildcardAddress(config->node.address);
  auto node_id = base::ResolveNodeId(config->node.id, wildcard ? hostname : *advertised,
                                     config->ports.service);
  if (!node_id.ok()) return Fail(node_id.status());
  api::NodeIdentity node{*node_id,    base::NodeName(*node_id), config->node.cluster_name,
                         *advertised, config->ports.service,    config->node.rack_id};
  log->info("ternd {} node {} starting", base::kTernVersion, node.name);

  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto catalog = ns::Catalog::Open(*config);
  if (!catalog.ok()) return Fail(catalog.status());
  (*catalog)->StartSweeper();

  std::vector<std::string> ns_names;
  for (const auto& n : config->namespaces) ns_names.push_back(n.name);
  auto registry = std::make_shared<prometheus::Registry>();
  txn::TxnMetrics metrics(*registry, ns_names);
  auto smd = smd::MetadataStore::Open(
      (std::filesystem::path(config->node.data_dir) / "smd").string(), *node_id);
  if (!smd.ok()) return Fail(smd.status());
  udf::ModuleRegistry modules(**smd);
  udf::LuaRuntime lua(modules, udf::Limits{});
  txn::Engine engine(**catalog, &metrics, &lua);
  const auto hostport = [&](uint16_t port) { return absl::StrCat(*advertised, ":", port); };
  cluster::Cluster cluster(
      cluster::SelfInfo{*node_id,
                        config->node.cluster_name,
                        config->node.rack_id,
                        {hostport(config->ports.fabric), hostport(config->ports.service),
                         hostport(config->ports.grpc)}},
      *config);
  cluster.Attach(&engine);
  cluster.AttachMetadata(smd->get());
  engine.AttachCluster(&cluster);
  engine.AttachMetadata(smd->get());
  query::JobManager jobs;
  query::IndexCatalog indexes(**catalog, **smd);
  indexes.Reconcile();
  api::InfoCommands info(engine, node, &modules, &jobs, &indexes);
  info.AttachCluster(&cluster);

  const std::string& address = config->node.address;
  api::MetricsExposer exposer(registry, **catalog);
  exposer.AttachCluster(&cluster);
  if (absl::Status s = cluster.Start(address, config->ports.fabric); !s.ok()) return Fail(s);
  if (absl::Status s = exposer.Start(address, config->ports.metrics); !s.ok()) return Fail(s);
  api::AdminServer admin(engine, info, node, &modules);
  if (absl::Status s = admin.Start(address, config->ports.admin); !s.ok()) return Fail(s);
  wire::Dispatcher dispatcher(engine, info, wire::DispatchOptions{config->service.max_batch_rows},
                              &jobs);
  wire::Server service(dispatcher, config->service);
  if (absl::Status s = service.Start(address, config->ports.service); !s.ok()) return Fail(s);
  api::GrpcServer grpc_api(engine, info, node, config->service.max_batch_rows, &modules, &indexes);
  if (absl::Status s = grpc_api.Start(address, config->ports.grpc); !s.ok()) return Fail(s);
  // Ready once this node is in a cluster view (at once without seeds; after the seeds answer,
  // or one heartbeat timeout, with them): before that every request would be refused.
  while (true) {
    auto v = cluster.view();
    if (v && v->self >= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  admin.SetReady(true);
  log->info("node {} ready", node.name);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log->info("signal {}: shutting down", sig);
  admin.SetReady(false);
  grpc_api.Stop();
  log->debug("gRPC API stopped");
  service.Stop();
  log->debug("wire protocol stopped");
  admin.Stop();
  log->debug("admin API stopped");
  cluster.Stop();
  log->info("stopped");
  return 0;
}
