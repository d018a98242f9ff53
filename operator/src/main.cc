// tern-operator: reconciles TernCluster and TernUDF objects (docs/kubernetes.md).
#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <random>
#include <thread>

#include "controller/controller.h"
#include "controller/metrics.h"
#include "controller/probe_server.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/events.h"
#include "kube/http_transport.h"
#include "kube/informer.h"
#include "kube/leader_election.h"
#include "tern/cluster_reconciler.h"
#include "tern/node_admin.h"
#include "tern/udf_reconciler.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

using tern::kube::json;
namespace r = tern::kube::resources;

// The TernCluster that owns `obj` (controller ownerReference, else the instance label).
std::string OwnerClusterKey(const json& obj) {
  const json& m = obj["metadata"];
  const std::string ns = m.value("namespace", "");
  for (const auto& ref : m.value("ownerReferences", json::array())) {
    if (ref.value("kind", "") == "TernCluster") return ns + "/" + ref.value("name", "");
  }
  const std::string inst =
      m.value("labels", json::object()).value("app.kubernetes.io/instance", "");
  return inst.empty() ? "" : ns + "/" + inst;
}

// "1s", "500ms", "2m", "3" (seconds) -> milliseconds as text, for CLI11.
std::string DurationMs(std::string v) {
  size_t i = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  if (i == 0) throw CLI::ValidationError("duration", "expected e.g. 500ms, 2s, 1m");
  int64_t n = std::stoll(v.substr(0, i));
  const std::string unit = v.substr(i);
  if (unit == "ms") return std::to_string(n);
  if (unit == "s" || unit.empty()) return std::to_string(n * 1000);
  if (unit == "m") return std::to_string(n * 60000);
  throw CLI::ValidationError("duration", "unit must be ms, s or m");
}

tern::kube::EventHandlers Enqueue(std::function<void(const json&)> f) {
  return {f, [f](const json&, const json& o) { f(o); }, f};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tern-operator: runs TernCluster and TernUDF on Kubernetes"};
  std::string kubeconfig, watch_ns, metrics_addr = ":8080", health_addr = ":8081";
  std::string le_ns, le_id = "tern-operator-leader", log_level = "info";
  bool leader_elect = false;
  int resync = 30, workers = 2, admin_port = 8080, watch_timeout = 300;
  int64_t requeue = 2000, settle = 3000;  // milliseconds
  app.add_option("--kubeconfig", kubeconfig, "kubeconfig file (default: $KUBECONFIG, in-cluster)");
  app.add_option("--namespace", watch_ns, "namespace to watch (default: all)");
  app.add_flag("--leader-elect", leader_elect, "elect one active operator through a Lease");
  app.add_option("--leader-election-namespace", le_ns,
                 "namespace of the Lease (default: the pod's / kubeconfig's namespace)");
  app.add_option("--leader-election-id", le_id, "name of the Lease");
  app.add_option("--metrics-address,--metrics-bind-address", metrics_addr,
                 "host:port for /metrics (\"0\" = off)");
  app.add_option("--health-address,--health-probe-bind-address", health_addr,
                 "host:port for /healthz and /readyz");
  app.add_option("--requeue-interval", requeue, "poll interval while something is in progress")
      ->transform(DurationMs);
  app.add_option("--stable-settle", settle,
                 "how long a cluster must look stable before a pod is removed or restarted")
      ->transform(DurationMs);
  app.add_option("--resync-seconds", resync, "reconcile every object at least this often")
      ->check(CLI::Range(1, 86400));
  app.add_option("--workers", workers, "concurrent reconciles per controller")
      ->check(CLI::Range(1, 64));
  app.add_option("--pod-admin-port", admin_port, "ternd admin REST port on each pod");
  app.add_option("--watch-timeout-seconds", watch_timeout, "server-side watch timeout")
      ->check(CLI::Range(5, 3600));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  tern::kube::Config config;
  try {
    config = tern::kube::LoadConfig(kubeconfig);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }
  spdlog::info("tern-operator: API server {}, watching {}", config.server,
               watch_ns.empty() ? "all namespaces" : "namespace " + watch_ns);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);

  auto transport = tern::kube::MakeHttpTransport(config);
  tern::kube::Client client(transport);
  tern::op::Metrics metrics;
  tern::kube::EventRecorder events(client, "tern-operator");
  tern::op::HttpNodeAdmin admin;

  const std::string owned = "app.kubernetes.io/managed-by=tern-operator";
  tern::kube::Informer clusters(client, r::kTernClusters, watch_ns, "", watch_timeout);
  tern::kube::Informer udfs(client, r::kTernUdfs, watch_ns, "", watch_timeout);
  tern::kube::Informer statefulsets(client, r::kStatefulSets, watch_ns, owned, watch_timeout);
  tern::kube::Informer services(client, r::kServices, watch_ns, owned, watch_timeout);
  // Every ConfigMap, not just ours: a TernUDF's configMapRef names one of the user's.
  tern::kube::Informer configmaps(client, r::kConfigMaps, watch_ns, "", watch_timeout);
  tern::kube::Informer pdbs(client, r::kPdbs, watch_ns, owned, watch_timeout);
  tern::kube::Informer pods(client, r::kPods, watch_ns, owned, watch_timeout);
  std::vector<tern::kube::Informer*> informers = {&clusters,   &udfs, &statefulsets, &services,
                                                  &configmaps, &pdbs, &pods};

  tern::op::ClusterReconciler cluster_rec(
      tern::op::ClusterDeps{&client, &clusters, &statefulsets, &pods, &events, &admin, admin_port,
                            std::chrono::seconds(resync), std::chrono::milliseconds(requeue),
                            std::chrono::milliseconds(settle)});
  tern::op::UdfReconciler udf_rec(tern::op::UdfDeps{&client, &udfs, &pods, &events, &admin,
                                                    admin_port, std::chrono::seconds(resync),
                                                    std::chrono::milliseconds(requeue)});
  tern::op::Controller cluster_ctl(
      "terncluster", [&](const std::string& k) { return cluster_rec.Reconcile(k); }, &metrics,
      workers);
  tern::op::Controller udf_ctl(
      "ternudf", [&](const std::string& k) { return udf_rec.Reconcile(k); }, &metrics, workers);

  clusters.AddHandlers(Enqueue([&](const json& o) {
    cluster_ctl.queue().Add(tern::kube::ObjectKey(o));
    // UDFs follow their cluster: new pods need the modules.
    const std::string ns = o["metadata"].value("namespace", "");
    const std::string name = o["metadata"].value("name", "");
    for (const auto& u : udfs.List(ns)) {
      if (u.value("spec", json::object()).value("cluster", "") == name) {
        udf_ctl.queue().Add(tern::kube::ObjectKey(u));
      }
    }
  }));
  udfs.AddHandlers(Enqueue([&](const json& o) { udf_ctl.queue().Add(tern::kube::ObjectKey(o)); }));
  for (auto* inf : {&statefulsets, &services, &configmaps, &pdbs, &pods}) {
    inf->AddHandlers(Enqueue([&](const json& o) {
      if (auto k = OwnerClusterKey(o); !k.empty()) cluster_ctl.queue().Add(k);
    }));
  }
  // An edited (or created, or deleted) ConfigMap re-registers the modules read from it now,
  // not at the next resync.
  configmaps.AddHandlers(Enqueue([&](const json& o) {
    const std::string ns = o["metadata"].value("namespace", "");
    const std::string name = o["metadata"].value("name", "");
    for (const auto& u : udfs.List(ns)) {
      const json& ref = u.value("spec", json::object()).value("configMapRef", json::object());
      if (ref.is_object() && ref.value("name", "") == name) {
        udf_ctl.queue().Add(tern::kube::ObjectKey(u));
      }
    }
  }));

  std::unique_ptr<prometheus::Exposer> exposer;
  if (metrics_addr != "0") {
    try {
      exposer = std::make_unique<prometheus::Exposer>(tern::op::ListenAddress(metrics_addr));
      exposer->RegisterCollectable(metrics.registry());
    } catch (const std::exception& e) {
      spdlog::error("metrics on {}: {}", metrics_addr, e.what());
      return 1;
    }
  }
  auto synced = [&] {
    for (auto* inf : informers) {
      if (!inf->HasSynced()) return false;
    }
    return true;
  };
  tern::op::ProbeServer probes(health_addr, synced);
  try {
    probes.Start();
  } catch (const std::exception& e) {
    spdlog::error("health probes on {}: {}", health_addr, e.what());
    return 1;
  }

  for (auto* inf : informers) inf->Start();

  std::atomic<bool> leading{!leader_elect};
  auto active = [&] { return leading.load() && synced(); };
  cluster_ctl.Start(active);
  udf_ctl.Start(active);
  metrics.SetLeader(leading);

  std::unique_ptr<tern::kube::LeaderElector> elector;
  std::thread election;
  if (leader_elect) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::mt19937_64 rng{std::random_device{}()};
    tern::kube::LeaderElector::Options opt;
    opt.ns = !le_ns.empty() ? le_ns : (!watch_ns.empty() ? watch_ns : config.default_namespace);
    opt.name = le_id;
    opt.identity = std::string(host) + "_" + std::to_string(rng() % 1000000000);
    elector = std::make_unique<tern::kube::LeaderElector>(client, opt);
    election = std::thread([&] {
      elector->Run(
          g_stop,
          [&] {
            leading = true;
            metrics.SetLeader(true);
            // Whatever happened while another replica led: look at everything again.
            for (const auto& o : clusters.List()) cluster_ctl.queue().Add(tern::kube::ObjectKey(o));
            for (const auto& o : udfs.List()) udf_ctl.queue().Add(tern::kube::ObjectKey(o));
          },
          [&] {
            leading = false;
            metrics.SetLeader(false);
          });
    });
  }

  // Periodic resync: level-based reconciles catch whatever an event missed.
  auto next_resync = std::chrono::steady_clock::now() + std::chrono::seconds(resync);
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (std::chrono::steady_clock::now() < next_resync) continue;
    next_resync = std::chrono::steady_clock::now() + std::chrono::seconds(resync);
    for (const auto& o : clusters.List()) cluster_ctl.queue().Add(tern::kube::ObjectKey(o));
    for (const auto& o : udfs.List()) udf_ctl.queue().Add(tern::kube::ObjectKey(o));
  }
  spdlog::info("stopping");
  cluster_ctl.Stop();
  udf_ctl.Stop();
  if (election.joinable()) election.join();  // releases the lease
  for (auto* inf : informers) inf->RequestStop();
  transport->Cancel();
  for (auto* inf : informers) inf->Stop();
  probes.Stop();
  return 0;
}
