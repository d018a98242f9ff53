// The TernCluster and TernUDF reconciles against an in-memory API (fake_api.h) and fake
// ternd nodes that answer the admin REST calls the operator makes.
#include <gtest/gtest.h>

#include <set>

#include "fake_api.h"
#include "kube/informer.h"
#include "tern/cluster_reconciler.h"
#include "tern/udf_reconciler.h"

namespace tern::op {
namespace {

using kube::FakeApi;
using namespace std::chrono_literals;

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

struct FakeNode {
  bool ready = true;
  int size = 3;
  std::string key = "ABC";
  int migrations = 0;
  bool quiesced = false;
  bool masters = true;
  bool unstable = false;
  int policy_status = 200;
  json policy = {{"default_ttl", 0}, {"stop_writes_pct", 90}};
  json sets = json::array();
  std::map<std::string, std::string> udfs;
};

class FakeNodes : public NodeAdmin {
 public:
  std::map<std::string, FakeNode> nodes;  // "ip:port"
  std::vector<std::string> calls;         // "host METHOD path" except reads

  NodeAnswer Call(const std::string& host, const std::string& method, const std::string& path,
                  const std::string& body) override {
    auto it = nodes.find(host);
    if (it == nodes.end()) return {};
    FakeNode& n = it->second;
    std::string p = Decode(path);
    if (method != "GET" || p.find("quiesce") != std::string::npos ||
        p.find("recluster") != std::string::npos) {
      calls.push_back(host + " " + method + " " + p);
    }
    if (p == "/v1/ready") return {n.ready ? 200 : 503, "{}"};
    if (!n.ready) return {503, ""};
    if (p.rfind("/v1/info/", 0) == 0) {
      std::string cmd = p.substr(9);
      if (cmd == "statistics") {
        return {200, "cluster_size=" + std::to_string(n.size) + ";cluster_key=" + n.key +
                         ";cluster_integrity=true;migrate_partitions_remaining=" +
                         std::to_string(n.migrations) +
                         ";quiesced=" + (n.quiesced ? "true" : "false")};
      }
      if (cmd == "node") return {200, "N-" + host};
      if (cmd.rfind("cluster-stable:", 0) == 0) {
        bool size_ok = cmd.find("size=" + std::to_string(n.size) + ";") != std::string::npos;
        if (!size_ok) return {200, "ERROR::cluster-not-specified-size"};
        if (n.unstable || n.migrations > 0) return {200, "ERROR::unstable-cluster"};
        return {200, n.key};
      }
      if (cmd == "quiesce:") {
        n.quiesced = true;
        return {200, "ok"};
      }
      if (cmd == "quiesce-undo:") {
        n.quiesced = false;
        return {200, "ok"};
      }
      if (cmd == "recluster:") return {200, "ok"};
      if (cmd == "replicas-master") return {200, n.masters ? "test:AAE=" : "test:AAA="};
      return {200, "ERROR::unknown"};
    }
    if (p == "/v1/namespaces/test")
      return {200, json{{"policy", n.policy}, {"sets", n.sets}}.dump()};
    if (p == "/v1/namespaces/test/policy" && method == "PATCH") {
      if (n.policy_status != 200) return {n.policy_status, R"({"error":"no"})"};
      json patch = json::parse(body);
      for (auto& [k, v] : patch.items()) {
        if (k == "sets") {
          for (auto& [set, sp] : v.items()) {
            n.sets.push_back({{"name", set}, {"stop_writes_count", sp["stop_writes_count"]}});
          }
        } else {
          n.policy[k] = v;
        }
      }
      return {200, n.policy.dump()};
    }
    if (p.rfind("/v1/udf/", 0) == 0) {
      std::string file = p.substr(8);
      if (method == "GET") {
        if (!n.udfs.count(file)) return {404, "{}"};
        return {200, json{{"filename", file}, {"source", n.udfs[file]}}.dump()};
      }
      if (method == "PUT") {
        if (body.find("syntax error") != std::string::npos) {
          return {400, R"({"error":"compile_error","line":1,"message":"unexpected symbol"})"};
        }
        n.udfs[file] = body;
        return {200, "{}"};
      }
      if (method == "DELETE") {
        if (!n.udfs.erase(file)) return {404, "{}"};
        return {200, "{}"};
      }
    }
    return {404, "{}"};
  }
  size_t Count(const std::string& what) {
    size_t c = 0;
    for (const auto& s : calls) c += s.find(what) != std::string::npos;
    return c;
  }
};

const std::string kTc = "/apis/tern.dev/v1alpha1/namespaces/default/ternclusters/db";
const std::string kSts = "/apis/apps/v1/namespaces/default/statefulsets/db";
const std::string kPods = "/api/v1/namespaces/default/pods";

class ReconcileTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeApi> api = std::make_shared<FakeApi>();
  kube::Client client{api, kube::RetryPolicy{1, 1ms, 1ms}};
  kube::EventRecorder events{client, "test"};
  FakeNodes nodes;

  void SetUp() override {
    api->Put(kTc,
             {{"apiVersion", "tern.dev/v1alpha1"},
              {"kind", "TernCluster"},
              {"metadata", {{"name", "db"}, {"namespace", "default"}}},
              {"spec",
               {{"size", 3},
                {"namespaces", json::array({{{"name", "test"},
                                             {"storage", {{"type", "memory"}, {"size", "1Gi"}}},
                                             {"replicationFactor", 2}}})}}}});
  }

  json& Tc() { return api->objects[kTc]; }
  void SetSpec(const json& patch) {
    json tc = Tc();
    tc["spec"].merge_patch(patch);
    tc["metadata"]["generation"] = tc["metadata"]["generation"].get<int>() + 1;
    api->Put(kTc, tc);
  }

  Result Reconcile() {
    kube::Informer clusters(client, kube::resources::kTernClusters, "default");
    kube::Informer sts(client, kube::resources::kStatefulSets, "default");
    kube::Informer pods(client, kube::resources::kPods, "default");
    for (auto* i : {&clusters, &sts, &pods}) i->Step();
    ClusterReconciler rec(
        ClusterDeps{&client, &clusters, &sts, &pods, &events, &nodes, 8080, 30s, 1s, 0ms});
    return rec.Reconcile("default/db");
  }

  // The StatefulSet controller and kubelet: pods 0..replicas-1 from the template, each
  // with a ready node; pods beyond replicas go.
  void RunStatefulSet() {
    json& s = api->objects[kSts];
    int replicas = s["spec"]["replicas"];
    for (int i = 0; i < 20; ++i) {
      std::string name = "db-" + std::to_string(i);
      std::string ip = "10.0.0." + std::to_string(i);
      if (i >= replicas) {
        api->objects.erase(kPods + "/" + name);
        nodes.nodes.erase(ip + ":8080");
        continue;
      }
      if (api->Find(kPods + "/" + name)) continue;
      json pod = {{"apiVersion", "v1"},
                  {"kind", "Pod"},
                  {"metadata", s["spec"]["template"]["metadata"]},
                  {"status", {{"podIP", ip}}}};
      pod["metadata"]["name"] = name;
      pod["metadata"]["namespace"] = "default";
      api->Put(kPods + "/" + name, pod);
      nodes.nodes[ip + ":8080"];
    }
    for (auto& [h, n] : nodes.nodes) n.size = replicas;
  }

  // RunStatefulSet for every StatefulSet (one per rack): pod <sts>-<i> from its template,
  // each with its own address; pods of a gone StatefulSet or beyond replicas go.
  void RunStatefulSets() {
    const std::string prefix = "/apis/apps/v1/namespaces/default/statefulsets/";
    int total = 0;
    std::set<std::string> wanted;
    for (const auto& [path, s] : api->objects) {
      if (path.rfind(prefix, 0) != 0) continue;
      const std::string sts = path.substr(prefix.size());
      const int replicas = s["spec"]["replicas"];
      total += replicas;
      for (int i = 0; i < replicas; ++i) {
        const std::string name = sts + "-" + std::to_string(i);
        wanted.insert(name);
        if (api->Find(kPods + "/" + name)) continue;
        if (!ips_.count(name)) ips_[name] = "10.0.1." + std::to_string(ips_.size());
        json pod = {{"apiVersion", "v1"},
                    {"kind", "Pod"},
                    {"metadata", s["spec"]["template"]["metadata"]},
                    {"status", {{"podIP", ips_[name]}}}};
        pod["metadata"]["name"] = name;
        pod["metadata"]["namespace"] = "default";
        api->Put(kPods + "/" + name, pod);
        nodes.nodes[ips_[name] + ":8080"];
      }
    }
    for (const auto& [name, ip] : ips_) {
      if (wanted.count(name)) continue;
      api->objects.erase(kPods + "/" + name);
      nodes.nodes.erase(ip + ":8080");
    }
    for (auto& [h, n] : nodes.nodes) n.size = total;
  }
  std::map<std::string, std::string> ips_;  // pod -> address, kept across restarts
  FakeNode& NodeOf(const std::string& pod) { return nodes.nodes[ips_.at(pod) + ":8080"]; }
  std::vector<std::string> StatefulSets() {
    std::vector<std::string> out;
    const std::string prefix = "/apis/apps/v1/namespaces/default/statefulsets/";
    for (const auto& [path, s] : api->objects) {
      if (path.rfind(prefix, 0) == 0) {
        out.push_back(path.substr(prefix.size()) + ":" + s["spec"]["replicas"].dump());
      }
    }
    return out;
  }

  std::vector<std::string> EventReasons() {
    std::vector<std::string> out;
    for (const auto& [p, o] : api->objects) {
      if (o.value("kind", "") == "Event") out.push_back(o["reason"]);
    }
    return out;
  }
  bool HasEvent(const std::string& reason) {
    auto r = EventReasons();
    return std::find(r.begin(), r.end(), reason) != r.end();
  }
  json Condition(const std::string& type) {
    for (const auto& c : Tc()["status"]["conditions"]) {
      if (c["type"] == type) return c;
    }
    return json();
  }
};

TEST_F(ReconcileTest, CreatesWhatTheClusterOwnsThenReportsItRunning) {
  Reconcile();
  for (const std::string& p : std::vector<std::string>{
           "/api/v1/namespaces/default/configmaps/db-config",
           "/api/v1/namespaces/default/services/db-hs", "/api/v1/namespaces/default/services/db",
           "/apis/policy/v1/namespaces/default/poddisruptionbudgets/db", kSts}) {
    json* o = api->Find(p);
    ASSERT_TRUE(o) << p;
    EXPECT_EQ((*o)["metadata"]["ownerReferences"][0]["uid"], Tc()["metadata"]["uid"]) << p;
  }
  EXPECT_EQ(Tc()["status"]["phase"], "Creating");
  EXPECT_TRUE(HasEvent("Creating"));

  RunStatefulSet();
  // All pods ready, but one node is not in the same cluster yet: not Ready.
  nodes.nodes["10.0.0.1:8080"].key = "OTHER";
  Reconcile();
  EXPECT_EQ(Tc()["status"]["phase"], "Creating");
  EXPECT_EQ(Condition("Ready")["status"], "False");
  nodes.nodes["10.0.0.1:8080"].key = "ABC";
  Result r = Reconcile();
  const json& st = Tc()["status"];
  EXPECT_EQ(st["phase"], "Running");
  EXPECT_EQ(st["readyPods"], 3);
  EXPECT_EQ(st["size"], 3);
  EXPECT_EQ(st["observedGeneration"], 1);
  EXPECT_EQ(st["selector"], "app.kubernetes.io/instance=db,app.kubernetes.io/name=tern");
  ASSERT_EQ(st["pods"].size(), 3u);
  EXPECT_EQ(st["pods"][1]["nodeId"], "N-10.0.0.1:8080");
  EXPECT_EQ(st["pods"][1]["podIP"], "10.0.0.1");
  EXPECT_EQ(Condition("Ready")["status"], "True");
  EXPECT_EQ(Condition("Ready")["observedGeneration"], 1);
  EXPECT_EQ(r.requeue_after, 30s);  // settled: back at resync

  // Level-based: nothing changed, nothing written.
  size_t writes = api->log.size();
  Reconcile();
  EXPECT_EQ(api->log.size(), writes);
}

TEST_F(ReconcileTest, ScaleUpRaisesReplicasAndStatusFollowsMigrations) {
  Reconcile();
  RunStatefulSet();
  Reconcile();
  SetSpec({{"size", 4}});
  Reconcile();
  EXPECT_EQ(api->objects[kSts]["spec"]["replicas"], 4);
  EXPECT_TRUE(HasEvent("ScalingUp"));
  EXPECT_EQ(Tc()["status"]["phase"], "Scaling");
  RunStatefulSet();
  for (auto& [h, n] : nodes.nodes) n.migrations = 5;
  Result r = Reconcile();
  EXPECT_EQ(Tc()["status"]["phase"], "Scaling");
  EXPECT_EQ(Tc()["status"]["migrationsRemaining"], 20);
  EXPECT_EQ(r.requeue_after, 1s);
  for (auto& [h, n] : nodes.nodes) n.migrations = 0;
  Reconcile();
  EXPECT_EQ(Tc()["status"]["phase"], "Running");
}

TEST_F(ReconcileTest, RefusesAScaleDownBelowTheReplicationFactor) {
  Reconcile();
  RunStatefulSet();
  Reconcile();
  SetSpec({{"size", 1}});
  Reconcile();
  EXPECT_EQ(api->objects[kSts]["spec"]["replicas"], 3);
  EXPECT_TRUE(HasEvent("RefusedScaleDown"));
  EXPECT_EQ(nodes.Count("quiesce"), 0u);
  EXPECT_EQ(Condition("Degraded")["status"], "True");
  EXPECT_EQ(Condition("Degraded")["reason"], "ScaleDownRefused");
  EXPECT_NE(Tc()["status"]["message"].get<std::string>().find("replicationFactor"),
            std::string::npos);
}

TEST_F(ReconcileTest, ScaleDownQuiescesWaitsForMigrationsThenShrinks) {
  Reconcile();
  RunStatefulSet();
  Reconcile();
  SetSpec({{"size", 2}});

  // Not while the cluster is unstable.
  nodes.nodes["10.0.0.0:8080"].unstable = true;
  Reconcile();
  EXPECT_EQ(nodes.Count("quiesce"), 0u);
  EXPECT_TRUE(HasEvent("RefusedScaleDown"));
  EXPECT_EQ(api->objects[kSts]["spec"]["replicas"], 3);
  nodes.nodes["10.0.0.0:8080"].unstable = false;

  Reconcile();
  EXPECT_EQ(nodes.Count("10.0.0.2:8080 GET /v1/info/quiesce:"), 1u);
  EXPECT_EQ(nodes.Count("10.0.0.1:8080 GET /v1/info/quiesce:"), 0u);  // only the leaving pod
  EXPECT_GE(nodes.Count("recluster:"), 1u);
  EXPECT_TRUE(HasEvent("Quiesced"));
  EXPECT_EQ(api->objects[kSts]["spec"]["replicas"], 3);
  EXPECT_EQ(Tc()["metadata"]["annotations"][kScaleDownAnnotation], "3->2");

  // Migrating: still three.
  for (auto& [h, n] : nodes.nodes) n.migrations = 7;
  Reconcile();
  EXPECT_EQ(api->objects[kSts]["spec"]["replicas"], 3);
  // Migrations done but the quiesced node still masters partitions: still three.
  for (auto& [h, n] : nodes.nodes) n.migrations = 0;
  Reconcile();
  EXPECT_EQ(api->objects[kSts]["spec"]["replicas"], 3);
  // Hand-off complete: shrink (a restarted operator gets here from the nodes' state alone).
  nodes.nodes["10.0.0.2:8080"].masters = false;
  Reconcile();
  EXPECT_EQ(api->objects[kSts]["spec"]["replicas"], 2);
  EXPECT_TRUE(HasEvent("ScalingDown"));
  EXPECT_EQ(nodes.Count("10.0.0.2:8080 GET /v1/info/quiesce:"), 1u);  // never twice
  RunStatefulSet();
  Reconcile();
  EXPECT_EQ(Tc()["status"]["phase"], "Running");
  EXPECT_EQ(Tc()["status"]["size"], 2);
}

TEST_F(ReconcileTest, AbandonedScaleDownUndoesTheQuiesce) {
  Reconcile();
  RunStatefulSet();
  Reconcile();
  SetSpec({{"size", 2}});
  Reconcile();
  ASSERT_TRUE(nodes.nodes["10.0.0.2:8080"].quiesced);
  SetSpec({{"size", 3}});
  Reconcile();
  EXPECT_FALSE(nodes.nodes["10.0.0.2:8080"].quiesced);
  EXPECT_TRUE(HasEvent("QuiesceUndone"));
  EXPECT_EQ(api->objects[kSts]["spec"]["replicas"], 3);
}

TEST_F(ReconcileTest, ImageChangeRollsOnePodAtATimeBehindTheStabilityCheck) {
  Reconcile();
  RunStatefulSet();
  Reconcile();
  SetSpec({{"image", "tern/ternd:0.2.0"}});
  const std::string deletes = "DELETE " + kPods;
  Reconcile();
  EXPECT_EQ(api->objects[kSts]["spec"]["template"]["spec"]["containers"][0]["image"],
            "tern/ternd:0.2.0");
  // First the highest ordinal hands its partitions over...
  EXPECT_EQ(nodes.Count("10.0.0.2:8080 GET /v1/info/quiesce:"), 1u);
  EXPECT_EQ(api->Count(deletes), 0u);
  EXPECT_EQ(Tc()["status"]["phase"], "Upgrading");
  Reconcile();
  EXPECT_EQ(api->Count(deletes), 0u);                  // it still masters partitions
  EXPECT_TRUE(nodes.nodes["10.0.0.2:8080"].quiesced);  // not undone: it is on its way out
  // ...and goes once it holds none.
  nodes.nodes["10.0.0.2:8080"].masters = false;
  Reconcile();
  EXPECT_EQ(api->Count(deletes), 1u);
  EXPECT_FALSE(api->Find(kPods + "/db-2"));
  EXPECT_TRUE(HasEvent("RollingPod"));
  // The pod has not come back: nothing else happens.
  nodes.nodes.erase("10.0.0.2:8080");
  Reconcile();
  EXPECT_EQ(api->Count(deletes), 1u);
  EXPECT_EQ(nodes.Count("10.0.0.1:8080 GET /v1/info/quiesce:"), 0u);
  // Back, but the cluster is migrating: still waiting.
  RunStatefulSet();
  for (auto& [h, n] : nodes.nodes) n.migrations = 3;
  Reconcile();
  EXPECT_EQ(nodes.Count("10.0.0.1:8080 GET /v1/info/quiesce:"), 0u);
  for (auto& [h, n] : nodes.nodes) n.migrations = 0;
  Reconcile();
  EXPECT_EQ(nodes.Count("10.0.0.1:8080 GET /v1/info/quiesce:"), 1u);
  nodes.nodes["10.0.0.1:8080"].masters = false;
  Reconcile();
  EXPECT_EQ(api->Count(deletes), 2u);
  EXPECT_FALSE(api->Find(kPods + "/db-1"));
  RunStatefulSet();
  Reconcile();
  nodes.nodes["10.0.0.0:8080"].masters = false;
  Reconcile();
  EXPECT_EQ(api->Count(deletes), 3u);
  RunStatefulSet();
  Reconcile();
  EXPECT_EQ(api->Count(deletes), 3u);
  EXPECT_EQ(Tc()["status"]["phase"], "Running");
}

TEST_F(ReconcileTest, PolicyChangesGoLiveWithoutRestarts) {
  Reconcile();
  RunStatefulSet();
  Reconcile();
  SetSpec({{"namespaces",
            json::array({{{"name", "test"},
                          {"storage", {{"type", "memory"}, {"size", "1Gi"}}},
                          {"replicationFactor", 2},
                          {"defaultTTL", 600},
                          {"sets", json::array({{{"name", "s"}, {"stopWritesCount", 9}}})}}})}});
  Reconcile();
  EXPECT_EQ(api->Count("DELETE " + kPods), 0u);
  EXPECT_EQ(nodes.Count("PATCH /v1/namespaces/test/policy"), 3u);
  for (auto& [h, n] : nodes.nodes) {
    EXPECT_EQ(n.policy["default_ttl"], 600) << h;
    EXPECT_EQ(n.sets[0]["stop_writes_count"], 9) << h;
  }
  EXPECT_TRUE(HasEvent("PolicyApplied"));
  // Pods report the new config hash although they were never restarted.
  const std::string hash =
      api->objects[kSts]["spec"]["template"]["metadata"]["annotations"][kConfigHashAnnotation];
  for (const auto& p : Tc()["status"]["pods"]) EXPECT_EQ(p["configHash"], hash);
  Reconcile();
  EXPECT_EQ(nodes.Count("PATCH /v1/namespaces/test/policy"), 3u);  // in sync: no more
}

TEST_F(ReconcileTest, ARefusedLivePolicyFallsBackToARollingRestart) {
  Reconcile();
  RunStatefulSet();
  Reconcile();
  for (auto& [h, n] : nodes.nodes) n.policy_status = 400;
  SetSpec({{"namespaces", json::array({{{"name", "test"},
                                        {"storage", {{"type", "memory"}, {"size", "1Gi"}}},
                                        {"replicationFactor", 2},
                                        {"defaultTTL", 600}}})}});
  Reconcile();
  EXPECT_TRUE(HasEvent("LivePolicyFailed"));
  EXPECT_FALSE(Tc()["metadata"]["annotations"].value(kRestartTokenAnnotation, "").empty());
  Reconcile();  // the token changes the restart hash: the roll starts
  EXPECT_EQ(nodes.Count("10.0.0.2:8080 GET /v1/info/quiesce:"), 1u);
}

const std::string kUdf = "/apis/tern.dev/v1alpha1/namespaces/default/ternudfs/greet";

TEST_F(ReconcileTest, RacksGetAStatefulSetEachAndARemovedRackDrainsAway) {
  SetSpec({{"racks", json::array({{{"id", 1}, {"zone", "a"}}, {{"id", 2}}})}});
  Reconcile();
  EXPECT_EQ(StatefulSets(), (std::vector<std::string>{"db-1:2", "db-2:1"}));
  RunStatefulSets();
  Reconcile();
  const json& st = Tc()["status"];
  EXPECT_EQ(st["phase"], "Running");
  ASSERT_EQ(st["pods"].size(), 3u);
  EXPECT_EQ(st["pods"][0]["name"], "db-1-0");
  EXPECT_EQ(st["pods"][0]["rackId"], 1);
  EXPECT_EQ(st["pods"][2]["name"], "db-2-0");
  EXPECT_EQ(st["pods"][2]["rackId"], 2);

  // Racks 1, 2 -> 2, 3: rack 2 grows to 2 and rack 3 appears while rack 1 still serves.
  SetSpec({{"racks", json::array({{{"id", 2}}, {{"id", 3}}})}});
  Reconcile();
  EXPECT_EQ(StatefulSets(), (std::vector<std::string>{"db-1:2", "db-2:2", "db-3:1"}));
  EXPECT_EQ(Tc()["status"]["phase"], "Scaling");
  EXPECT_EQ(nodes.Count("quiesce"), 0u);
  RunStatefulSets();
  Reconcile();  // stable with the new pods: rack 1 is quiesced, nothing removed yet
  EXPECT_TRUE(NodeOf("db-1-0").quiesced);
  EXPECT_TRUE(NodeOf("db-1-1").quiesced);
  EXPECT_FALSE(NodeOf("db-2-0").quiesced);
  EXPECT_FALSE(HasEvent("RefusedScaleDown"));
  EXPECT_EQ(StatefulSets(), (std::vector<std::string>{"db-1:2", "db-2:2", "db-3:1"}));
  NodeOf("db-1-0").masters = NodeOf("db-1-1").masters = false;  // their partitions moved
  Reconcile();
  EXPECT_EQ(StatefulSets(), (std::vector<std::string>{"db-1:0", "db-2:2", "db-3:1"}));
  RunStatefulSets();
  Reconcile();  // rack 1's pods are gone: its StatefulSet goes
  EXPECT_EQ(StatefulSets(), (std::vector<std::string>{"db-2:2", "db-3:1"}));
  EXPECT_TRUE(HasEvent("RemovedRack"));
  Reconcile();
  EXPECT_EQ(Tc()["status"]["phase"], "Running");
}

TEST_F(ReconcileTest, MovingToRacksDrainsTheOldStatefulSet) {
  Reconcile();
  RunStatefulSets();
  Reconcile();
  EXPECT_EQ(StatefulSets(), (std::vector<std::string>{"db:3"}));
  SetSpec({{"racks", json::array({{{"id", 1}}, {{"id", 2}}})}});
  Reconcile();
  EXPECT_EQ(StatefulSets(), (std::vector<std::string>{"db:3", "db-1:2", "db-2:1"}));
  RunStatefulSets();
  Reconcile();
  for (const char* pod : {"db-0", "db-1", "db-2"}) EXPECT_TRUE(NodeOf(pod).quiesced) << pod;
  EXPECT_FALSE(NodeOf("db-1-0").quiesced);
  for (const char* pod : {"db-0", "db-1", "db-2"}) NodeOf(pod).masters = false;
  Reconcile();
  RunStatefulSets();
  Reconcile();
  EXPECT_EQ(StatefulSets(), (std::vector<std::string>{"db-1:2", "db-2:1"}));
}

TEST_F(ReconcileTest, ARollAcrossRacksRestartsOnePodAtATime) {
  SetSpec({{"racks", json::array({{{"id", 1}}, {{"id", 2}}})}});
  Reconcile();
  RunStatefulSets();
  Reconcile();
  SetSpec({{"image", "tern/ternd:0.2.0"}});
  std::vector<std::string> order;
  for (int pass = 0; pass < 20 && order.size() < 3; ++pass) {
    Reconcile();
    size_t gone = 0;
    for (const auto& [name, ip] : ips_) {
      if (api->Find(kPods + "/" + name)) continue;
      ++gone;
      if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
      nodes.nodes.erase(ip + ":8080");  // it comes back as a fresh node
    }
    ASSERT_LE(gone, 1u) << "two pods down at once";
    for (auto& [h, n] : nodes.nodes) n.masters = !n.quiesced;  // a quiesced node lets go
    RunStatefulSets();  // the deleted pod comes back from the new template
  }
  EXPECT_EQ(order, (std::vector<std::string>{"db-2-0", "db-1-1", "db-1-0"}));
  for (const auto& set : {"db-1", "db-2"}) {
    EXPECT_EQ(api->objects["/apis/apps/v1/namespaces/default/statefulsets/" + std::string(set)]
                          ["spec"]["template"]["spec"]["containers"][0]["image"],
              "tern/ternd:0.2.0");
  }
}

TEST_F(ReconcileTest, ANewFlashNamespaceReplacesTheStatefulSetThenRollsThePods) {
  Reconcile();
  RunStatefulSet();
  Reconcile();
  json namespaces = Tc()["spec"]["namespaces"];
  namespaces.push_back({{"name", "disk"}, {"storage", {{"type", "flash"}, {"size", "1Gi"}}}});
  SetSpec({{"namespaces", namespaces}});
  Reconcile();
  EXPECT_EQ(api->Count("DELETE " + kSts), 1u);  // with propagationPolicy Orphan
  EXPECT_TRUE(HasEvent("ReplacingStatefulSet"));
  EXPECT_EQ(nodes.Count("quiesce"), 0u);  // no roll while the StatefulSet is away
  Reconcile();  // recreated around the running pods, with the new claim template
  ASSERT_TRUE(api->Find(kSts));
  const json& sts = api->objects[kSts]["spec"];
  EXPECT_EQ(sts["replicas"], 3);
  ASSERT_EQ(sts["volumeClaimTemplates"].size(), 1u);
  EXPECT_EQ(sts["volumeClaimTemplates"][0]["metadata"]["name"], "data-disk");
  Reconcile();  // then the roll starts: one pod quiesced
  EXPECT_EQ(nodes.Count("quiesce:"), 1u);
  EXPECT_TRUE(nodes.nodes["10.0.0.2:8080"].quiesced);
}

class UdfTest : public ReconcileTest {
 protected:
  Result ReconcileUdf() {
    kube::Informer udfs(client, kube::resources::kTernUdfs, "default");
    kube::Informer pods(client, kube::resources::kPods, "default");
    udfs.Step();
    pods.Step();
    UdfReconciler rec(UdfDeps{&client, &udfs, &pods, &events, &nodes, 8080, 30s, 1s});
    return rec.Reconcile("default/greet");
  }
};

TEST_F(UdfTest, RegistersOnEveryReadyPodAndRemovesOnDelete) {
  Reconcile();
  RunStatefulSet();
  const std::string src = "function f(r) return 1 end\n";
  api->Put(kUdf, {{"apiVersion", "tern.dev/v1alpha1"},
                  {"kind", "TernUDF"},
                  {"metadata", {{"name", "greet"}, {"namespace", "default"}}},
                  {"spec", {{"cluster", "db"}, {"module", "greet.lua"}, {"source", src}}}});
  ReconcileUdf();
  json& u = api->objects[kUdf];
  EXPECT_EQ(u["metadata"]["finalizers"], json::array({kUdfFinalizer}));
  EXPECT_EQ(u["status"]["phase"], "Registered");
  EXPECT_EQ(u["status"]["hash"], Sha256Hex(src));
  for (auto& [h, n] : nodes.nodes) EXPECT_EQ(n.udfs["greet.lua"], src) << h;
  ReconcileUdf();
  EXPECT_EQ(nodes.Count("PUT /v1/udf"), 3u);  // already there: not again

  // Renamed: the new file is registered and the old one removed.
  u["spec"]["module"] = "greet2.lua";
  ReconcileUdf();
  for (auto& [h, n] : nodes.nodes) {
    EXPECT_EQ(n.udfs.count("greet.lua"), 0u) << h;
    EXPECT_EQ(n.udfs["greet2.lua"], src) << h;
  }
  EXPECT_EQ(AnnotationOf(api->objects[kUdf], kUdfModuleAnnotation), "greet2.lua");

  api->objects[kUdf]["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  ReconcileUdf();
  for (auto& [h, n] : nodes.nodes) EXPECT_TRUE(n.udfs.empty()) << h;
  EXPECT_EQ(api->objects[kUdf]["metadata"]["finalizers"], json::array());
}

TEST_F(UdfTest, ACompileErrorFailsWithTheNodesMessage) {
  Reconcile();
  RunStatefulSet();
  api->Put(kUdf,
           {{"apiVersion", "tern.dev/v1alpha1"},
            {"kind", "TernUDF"},
            {"metadata", {{"name", "greet"}, {"namespace", "default"}}},
            {"spec", {{"cluster", "db"}, {"module", "greet.lua"}, {"source", "syntax error"}}}});
  ReconcileUdf();
  const json& st = api->objects[kUdf]["status"];
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_NE(st["message"].get<std::string>().find("unexpected symbol"), std::string::npos);
}

TEST_F(UdfTest, WaitsForACLusterWithReadyPods) {
  api->Put(kUdf, {{"apiVersion", "tern.dev/v1alpha1"},
                  {"kind", "TernUDF"},
                  {"metadata", {{"name", "greet"}, {"namespace", "default"}}},
                  {"spec", {{"cluster", "db"}, {"module", "greet.lua"}, {"source", "x"}}}});
  Result r = ReconcileUdf();
  EXPECT_EQ(api->objects[kUdf]["status"]["phase"], "Pending");
  EXPECT_EQ(r.requeue_after, 1s);
}

}  // namespace
}  // namespace tern::op
