#include "tern/render.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace tern::op {
namespace {

json Cluster(json spec) {
  return {{"apiVersion", "tern.dev/v1alpha1"},
          {"kind", "TernCluster"},
          {"metadata", {{"name", "db"}, {"namespace", "prod"}, {"uid", "uid-1"}}},
          {"spec", spec}};
}

json Spec() {
  return {
      {"size", 3},
      {"image", "tern/ternd:0.1.0"},
      {"namespaces",
       json::array({{{"name", "test"},
                     {"storage", {{"type", "memory"}, {"size", "1Gi"}}},
                     {"replicationFactor", 2},
                     {"defaultTTL", 60},
                     {"sets", json::array({{{"name", "s"}, {"stopWritesCount", 100}}})}},
                    {{"name", "disk"},
                     {"storage", {{"type", "flash"}, {"size", "4Gi"}, {"storageClass", "fast"}}},
                     {"replicationFactor", 1}}})}};
}

TEST(Render, EveryObjectIsLabelledAndOwnedByTheCluster) {
  Desired d = Render(Cluster(Spec()));
  for (const json* o :
       {&d.config_map, &d.headless_service, &d.client_service, &d.sets[0].statefulset, &d.pdb}) {
    const json& m = (*o)["metadata"];
    EXPECT_EQ(m["namespace"], "prod");
    EXPECT_EQ(m["labels"]["app.kubernetes.io/name"], "tern");
    EXPECT_EQ(m["labels"]["app.kubernetes.io/instance"], "db");
    EXPECT_EQ(m["labels"]["app.kubernetes.io/managed-by"], "tern-operator");
    ASSERT_EQ(m["ownerReferences"].size(), 1u);
    EXPECT_EQ(m["ownerReferences"][0]["uid"], "uid-1");
    EXPECT_EQ(m["ownerReferences"][0]["kind"], "TernCluster");
    EXPECT_EQ(m["ownerReferences"][0]["controller"], true);
  }
  EXPECT_EQ(d.config_map["metadata"]["name"], "db-config");
  EXPECT_EQ(d.headless_service["metadata"]["name"], "db-hs");
  EXPECT_EQ(d.client_service["metadata"]["name"], "db");
  EXPECT_EQ(d.pdb["metadata"]["name"], "db");
  EXPECT_EQ(d.pdb["spec"]["maxUnavailable"], 1);
}

TEST(Render, Services) {
  Desired d = Render(Cluster(Spec()));
  const json& hs = d.headless_service["spec"];
  EXPECT_EQ(hs["clusterIP"], "None");
  EXPECT_EQ(hs["publishNotReadyAddresses"], true);
  std::vector<int> ports;
  for (const auto& p : hs["ports"]) ports.push_back(p["port"]);
  EXPECT_EQ(ports, (std::vector<int>{3000, 3001, 3100, 8080, 9145}));
  ports.clear();
  for (const auto& p : d.client_service["spec"]["ports"]) ports.push_back(p["port"]);
  EXPECT_EQ(ports, (std::vector<int>{3000, 3100}));
  EXPECT_EQ(d.client_service["spec"]["selector"]["app.kubernetes.io/instance"], "db");
}

TEST(Render, StatefulSet) {
  json spec = Spec();
  spec["resources"] = {{"limits", {{"memory", "2Gi"}}}};
  spec["tolerations"] = json::array({{{"key", "k"}, {"operator", "Exists"}}});
  Desired d = Render(Cluster(spec));
  const json& s = d.sets[0].statefulset["spec"];
  EXPECT_EQ(s["serviceName"], "db-hs");
  EXPECT_EQ(s["replicas"], 3);
  EXPECT_EQ(s["updateStrategy"]["type"], "OnDelete");
  EXPECT_EQ(s["podManagementPolicy"], "Parallel");
  const json& pod = s["template"]["spec"];
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["name"], "ternd");
  EXPECT_EQ(c["image"], "tern/ternd:0.1.0");
  EXPECT_EQ(c["args"],
            json::array({"--config", "/etc/tern/tern.yaml", "--advertise-address", "$(POD_IP)"}));
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/v1/ready");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"], 8080);
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"], "/v1/health");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "2Gi");
  EXPECT_EQ(pod["tolerations"][0]["key"], "k");
  EXPECT_EQ(pod["volumes"][0]["configMap"]["name"], "db-config");
  EXPECT_EQ(s["template"]["metadata"]["annotations"][kConfigHashAnnotation], d.config_hash);
  EXPECT_EQ(s["template"]["metadata"]["labels"]["app.kubernetes.io/instance"], "db");
  // One claim template for the one flash namespace, mounted where its data_dir points.
  ASSERT_EQ(s["volumeClaimTemplates"].size(), 1u);
  const json& claim = s["volumeClaimTemplates"][0];
  EXPECT_EQ(claim["metadata"]["name"], "data-disk");
  EXPECT_EQ(claim["spec"]["storageClassName"], "fast");
  EXPECT_EQ(claim["spec"]["resources"]["requests"]["storage"], "4Gi");
  bool mounted = false;
  for (const auto& m : c["volumeMounts"]) {
    if (m["name"] == "data-disk") mounted = m["mountPath"] == "/var/lib/tern/disk";
  }
  EXPECT_TRUE(mounted);
}

TEST(Render, OneStatefulSetPerRackWithItsRackIdAndZone) {
  json spec = Spec();
  spec["size"] = 5;
  spec["affinity"] = {
      {"nodeAffinity",
       {{"requiredDuringSchedulingIgnoredDuringExecution",
         {{"nodeSelectorTerms",
           json::array(
               {{{"matchExpressions", json::array({{{"key", "disk"},
                                                    {"operator", "In"},
                                                    {"values", json::array({"ssd"})}}})}}})}}}}}};
  spec["racks"] = json::array({{{"id", 1}, {"zone", "eu-a"}}, {{"id", 7}}});
  Desired d = Render(Cluster(spec));
  ASSERT_EQ(d.sets.size(), 2u);
  EXPECT_EQ(d.sets[0].name, "db-1");
  EXPECT_EQ(d.sets[1].name, "db-7");
  EXPECT_EQ(d.sets[0].replicas, 3);
  EXPECT_EQ(d.sets[1].replicas, 2);
  EXPECT_NE(d.sets[0].restart_hash, d.sets[1].restart_hash);
  for (const auto& set : d.sets) {
    const json& s = set.statefulset["spec"];
    const std::string id = std::to_string(*set.rack_id);
    EXPECT_EQ(set.statefulset["metadata"]["name"], set.name);
    EXPECT_EQ(s["replicas"], set.replicas);
    EXPECT_EQ(s["serviceName"], "db-hs");  // one headless service finds every rack's pods
    EXPECT_EQ(s["selector"]["matchLabels"][kRackLabel], id);
    EXPECT_EQ(s["template"]["metadata"]["labels"][kRackLabel], id);
    EXPECT_EQ(s["template"]["metadata"]["annotations"][kRestartHashAnnotation], set.restart_hash);
    EXPECT_EQ(s["template"]["spec"]["containers"][0]["args"],
              json::array({"--config", "/etc/tern/tern.yaml", "--advertise-address", "$(POD_IP)",
                           "--rack-id", id}));
  }
  // Rack 1's zone is ANDed into the user's own required term; rack 7 has no zone.
  const json& exprs = d.sets[0].statefulset["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]
                                           ["requiredDuringSchedulingIgnoredDuringExecution"]
                                           ["nodeSelectorTerms"][0]["matchExpressions"];
  ASSERT_EQ(exprs.size(), 2u);
  EXPECT_EQ(exprs[0]["key"], "disk");
  EXPECT_EQ(exprs[1], json({{"key", "topology.kubernetes.io/zone"},
                            {"operator", "In"},
                            {"values", json::array({"eu-a"})}}));
  EXPECT_EQ(d.sets[1].statefulset["spec"]["template"]["spec"]["affinity"], spec["affinity"]);
  // Services and the PDB select the whole cluster, every rack.
  EXPECT_FALSE(d.pdb["spec"]["selector"]["matchLabels"].contains(kRackLabel));
  EXPECT_FALSE(d.headless_service["spec"]["selector"].contains(kRackLabel));

  // Without racks: one StatefulSet named as the cluster, no rack label or flag.
  Desired plain = Render(Cluster(Spec()));
  ASSERT_EQ(plain.sets.size(), 1u);
  EXPECT_EQ(plain.sets[0].name, "db");
  EXPECT_FALSE(plain.sets[0].rack_id);
  EXPECT_FALSE(plain.sets[0].statefulset["spec"]["selector"]["matchLabels"].contains(kRackLabel));
}

TEST(Render, RackSizesAreEven) {
  EXPECT_EQ(RackSizes(5, 2), (std::vector<int>{3, 2}));
  EXPECT_EQ(RackSizes(4, 2), (std::vector<int>{2, 2}));
  EXPECT_EQ(RackSizes(7, 3), (std::vector<int>{3, 2, 2}));
  EXPECT_EQ(RackSizes(1, 3), (std::vector<int>{1, 0, 0}));
  EXPECT_EQ(RackSizes(3, 1), (std::vector<int>{3}));
}

TEST(Render, ConfigYamlIsATernConfig) {
  json spec = Spec();
  spec["config"] = {{"logging", {{"level", "debug"}}},
                    {"cluster", {{"heartbeat_interval_ms", 100}}}};
  Desired d = Render(Cluster(spec));
  EXPECT_EQ(d.config_hash, Sha256Hex(d.config_yaml));
  EXPECT_EQ(d.config_map["data"]["tern.yaml"], d.config_yaml);
  YAML::Node y = YAML::Load(d.config_yaml);
  EXPECT_EQ(y["node"]["cluster_name"].as<std::string>(), "db");
  EXPECT_EQ(y["cluster"]["seeds"][0].as<std::string>(), "db-hs.prod.svc.cluster.local");
  EXPECT_EQ(y["cluster"]["heartbeat_interval_ms"].as<int>(), 100);  // merged over
  EXPECT_EQ(y["logging"]["level"].as<std::string>(), "debug");
  EXPECT_EQ(y["ports"]["admin"].as<int>(), 8080);
  YAML::Node mem = y["namespaces"][0];
  EXPECT_EQ(mem["name"].as<std::string>(), "test");
  EXPECT_EQ(mem["storage"].as<std::string>(), "memory");
  EXPECT_EQ(mem["memory_size"].as<uint64_t>(), 1ull << 30);
  EXPECT_EQ(mem["default_ttl"].as<int>(), 60);
  EXPECT_EQ(mem["replication_factor"].as<int>(), 2);
  EXPECT_EQ(mem["consistency"].as<std::string>(), "available");
  EXPECT_EQ(mem["sets"][0]["stop_writes_count"].as<int>(), 100);
  YAML::Node flash = y["namespaces"][1];
  EXPECT_EQ(flash["storage"].as<std::string>(), "flash");
  EXPECT_EQ(flash["disk_size"].as<uint64_t>(), 4ull << 30);
  EXPECT_EQ(flash["data_dir"].as<std::string>(), "/var/lib/tern/disk");
  EXPECT_EQ(flash["consistency"].as<std::string>(), "available");
}

TEST(Render, LivePolicyChangesKeepTheRestartHash) {
  Desired a = Render(Cluster(Spec()));
  json spec = Spec();
  spec["namespaces"][0]["defaultTTL"] = 3600;
  spec["namespaces"][0]["stopWritesPct"] = 80;
  spec["namespaces"][0]["sets"][0]["stopWritesCount"] = 5;
  Desired b = Render(Cluster(spec));
  EXPECT_NE(a.config_hash, b.config_hash);
  EXPECT_EQ(a.sets[0].restart_hash, b.sets[0].restart_hash);
  EXPECT_EQ(Render(Cluster(Spec())).sets[0].restart_hash, a.sets[0].restart_hash);  // deterministic
  spec["namespaces"][0]["sets"].push_back({{"name", "new"}, {"stopWritesCount", 1}});
  EXPECT_EQ(Render(Cluster(spec)).sets[0].restart_hash,
            a.sets[0].restart_hash);  // sets are made live

  spec = Spec();
  spec["image"] = "tern/ternd:0.2.0";
  EXPECT_NE(Render(Cluster(spec)).sets[0].restart_hash, a.sets[0].restart_hash);
  spec = Spec();
  spec["namespaces"][0]["replicationFactor"] = 3;
  EXPECT_NE(Render(Cluster(spec)).sets[0].restart_hash, a.sets[0].restart_hash);
  spec = Spec();
  spec["resources"] = {{"requests", {{"cpu", "1"}}}};
  EXPECT_NE(Render(Cluster(spec)).sets[0].restart_hash, a.sets[0].restart_hash);
  // The fallback after a refused live change forces one roll.
  json tc = Cluster(Spec());
  tc["metadata"]["annotations"][kRestartTokenAnnotation] = "x";
  EXPECT_NE(Render(tc).sets[0].restart_hash, a.sets[0].restart_hash);
}

TEST(Render, LivePolicies) {
  json spec = SpecWithDefaults(Spec());
  auto p = LivePolicies(spec);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "test");
  EXPECT_EQ(p[0].default_ttl, 60);
  EXPECT_FALSE(p[0].stop_writes_pct);
  EXPECT_EQ(p[0].set_stop_writes.at("s"), 100u);
  EXPECT_EQ(p[1].default_ttl, 0);
}

TEST(Render, DefaultsAndValidation) {
  json s = SpecWithDefaults(json::object());
  EXPECT_EQ(s["size"], 3);
  EXPECT_EQ(s["image"], "tern/ternd:0.1.0");
  EXPECT_EQ(s["namespaces"][0]["name"], "test");
  EXPECT_EQ(s["namespaces"][0]["replicationFactor"], 2);
  EXPECT_THROW(SpecWithDefaults({{"size", 0}}), RenderError);
  EXPECT_THROW(SpecWithDefaults({{"namespaces", json::array({{{"name", "Bad!"}}})}}), RenderError);
  EXPECT_THROW(
      SpecWithDefaults({{"namespaces", json::array({{{"name", "a"}, {"replicationFactor", 5}}})}}),
      RenderError);
  EXPECT_THROW(SpecWithDefaults({{"namespaces", json::array({{{"name", "a"}}, {{"name", "a"}}})}}),
               RenderError);
  EXPECT_THROW(
      SpecWithDefaults(
          {{"namespaces", json::array({{{"name", "a"}, {"storage", {{"size", "lots"}}}}})}}),
      RenderError);
  EXPECT_THROW(
      SpecWithDefaults({{"namespaces", json::array({{{"name", "a"}, {"consistency", "strong"}}})}}),
      RenderError);
  EXPECT_THROW(SpecWithDefaults({{"racks", json::array({{{"id", 0}}})}}), RenderError);
  EXPECT_THROW(SpecWithDefaults({{"racks", json::array({{{"zone", "a"}}})}}), RenderError);
  EXPECT_THROW(SpecWithDefaults({{"racks", json::array({{{"id", 2}}, {{"id", 2}}})}}), RenderError);
  EXPECT_THROW(SpecWithDefaults({{"racks", "1,2"}}), RenderError);
}

TEST(Render, NullAnnotationsAreNoAnnotations) {
  json tc = Cluster(Spec());
  tc["metadata"]["annotations"] = nullptr;
  EXPECT_NO_THROW(Render(tc));
  EXPECT_EQ(AnnotationOf(tc, kRestartTokenAnnotation), "");
  tc["metadata"]["annotations"] = {{kRestartTokenAnnotation, "t"}};
  EXPECT_EQ(AnnotationOf(tc, kRestartTokenAnnotation), "t");
}

TEST(Render, Quantities) {
  EXPECT_EQ(ParseQuantity("4Gi"), 4ull << 30);
  EXPECT_EQ(ParseQuantity("512Mi"), 512ull << 20);
  EXPECT_EQ(ParseQuantity("1G"), 1000000000ull);
  EXPECT_EQ(ParseQuantity("1000"), 1000ull);
  EXPECT_THROW(ParseQuantity("1.5Gi"), RenderError);
  EXPECT_THROW(ParseQuantity("Gi"), RenderError);
}

TEST(Render, Helpers) {
  auto m = ParseInfo("cluster_size=3;cluster_key=AB;quiesced=false\n");
  EXPECT_EQ(m["cluster_size"], "3");
  EXPECT_EQ(m["cluster_key"], "AB");
  EXPECT_EQ(m["quiesced"], "false");
  EXPECT_EQ(PodOrdinal("db", "db-12"), 12);
  EXPECT_EQ(PodOrdinal("db", "dbx-1"), -1);
  EXPECT_EQ(PodOrdinal("db", "db-"), -1);
  EXPECT_EQ(PodOrdinal("db", "db-1a"), -1);
  json have = {{"a", 1}, {"b", {{"c", 2}, {"d", 3}}}, {"l", json::array({{{"x", 1}, {"y", 2}}})}};
  EXPECT_TRUE(Contains(have, {{"b", {{"c", 2}}}, {"l", json::array({{{"x", 1}}})}}));
  EXPECT_FALSE(Contains(have, {{"b", {{"c", 3}}}}));
  EXPECT_FALSE(Contains(have, {{"l", json::array()}}));
  EXPECT_FALSE(Contains(have, {{"z", 1}}));
  EXPECT_EQ(SelectorString("db"), "app.kubernetes.io/instance=db,app.kubernetes.io/name=tern");
}

}  // namespace
}  // namespace tern::op
