#include "tern/render.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <regex>
#include <set>

namespace tern::op {

namespace {

constexpr int kServicePort = 3000, kFabricPort = 3001, kGrpcPort = 3100, kAdminPort = 8080,
              kMetricsPort = 9145;

void EmitJson(YAML::Emitter& out, const json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, x] : v.items()) {
      out << YAML::Key << k << YAML::Value;
      EmitJson(out, x);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& x : v) EmitJson(out, x);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    out << YAML::DoubleQuoted << v.get<std::string>();
  } else if (v.is_boolean()) {
    out << (v.get<bool>() ? "true" : "false");
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();  // numbers as JSON writes them
  }
}

std::string ToYaml(const json& v) {
  YAML::Emitter out;
  EmitJson(out, v);
  return std::string(out.c_str()) + "\n";
}

const std::regex kNsName("^[a-z0-9_-]{1,31}$");

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

uint64_t ParseQuantity(const std::string& q) {
  static const std::regex re(R"(^([0-9]+)(Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?$)");
  std::smatch m;
  if (!std::regex_match(q, m, re)) throw RenderError("invalid quantity '" + q + "'");
  uint64_t n = std::stoull(m[1].str());
  const std::string unit = m[2].str();
  static const std::map<std::string, uint64_t> mult = {{"", 1},
                                                       {"Ki", 1ull << 10},
                                                       {"Mi", 1ull << 20},
                                                       {"Gi", 1ull << 30},
                                                       {"Ti", 1ull << 40},
                                                       {"Pi", 1ull << 50},
                                                       {"k", 1000},
                                                       {"K", 1000},
                                                       {"M", 1000000},
                                                       {"G", 1000000000},
                                                       {"T", 1000000000000},
                                                       {"P", 1000000000000000}};
  return n * mult.at(unit);
}

json SpecWithDefaults(const json& in) {
  json s = in.is_object() ? in : json::object();
  if (!s.contains("size")) s["size"] = 3;
  if (!s.contains("image")) s["image"] = "tern/ternd:0.1.0";
  if (!s.contains("namespaces") || !s["namespaces"].is_array() || s["namespaces"].empty()) {
    s["namespaces"] = json::array({{{"name", "test"},
                                    {"storage", {{"type", "memory"}, {"size", "1Gi"}}},
                                    {"replicationFactor", 2}}});
  }
  if (!s["size"].is_number_integer() || s["size"].get<int64_t>() < 1) {
    throw RenderError("spec.size must be an integer >= 1");
  }
  std::set<std::string> names;
  for (auto& n : s["namespaces"]) {
    if (!n.is_object() || !n.contains("name") || !n["name"].is_string()) {
      throw RenderError("every namespace needs a name");
    }
    const std::string name = n["name"];
    if (!std::regex_match(name, kNsName)) {
      throw RenderError("namespace name '" + name + "' must match [a-z0-9_-]{1,31}");
    }
    if (!names.insert(name).second) throw RenderError("namespace '" + name + "' given twice");
    json& st = n["storage"];
    if (!st.is_object()) st = json::object();
    if (!st.contains("type")) st["type"] = "memory";
    if (!st.contains("size")) st["size"] = st["type"] == "flash" ? "4Gi" : "1Gi";
    if (st["type"] != "memory" && st["type"] != "flash") {
      throw RenderError("namespace '" + name + "': storage.type must be memory or flash");
    }
    ParseQuantity(st["size"].get<std::string>());
    if (!n.contains("replicationFactor")) n["replicationFactor"] = 2;
    int rf = n["replicationFactor"].get<int>();
    if (rf < 1 || rf > 4) throw RenderError("namespace '" + name + "': replicationFactor 1..4");
    if (!n.contains("defaultTTL")) n["defaultTTL"] = 0;
    if (!n.contains("consistency")) n["consistency"] = "ap";
    // The CRD allows only ap today; a spec written past it is still refused by name.
    if (n["consistency"] != "ap") {
      throw RenderError("namespace '" + name +
                        "': consistency must be ap (strong consistency is not available yet)");
    }
  }
  if (!s.contains("racks") || s["racks"].is_null()) s["racks"] = json::array();
  if (!s["racks"].is_array()) throw RenderError("spec.racks must be a list");
  std::set<int64_t> ids;
  for (const auto& r : s["racks"]) {
    // Rack 0 is what every node has without racks; a named rack must differ from it.
    if (!r.is_object() || !r.contains("id") || !r["id"].is_number_integer() ||
        r["id"].get<int64_t>() < 1 || r["id"].get<int64_t>() > 1000000) {
      throw RenderError("every rack needs an integer id from 1 to 1000000");
    }
    if (!ids.insert(r["id"].get<int64_t>()).second) {
      throw RenderError("rack " + r["id"].dump() + " given twice");
    }
    if (r.contains("zone") && !r["zone"].is_string()) {
      throw RenderError("rack " + r["id"].dump() + ": zone must be a string");
    }
  }
  return s;
}

std::vector<int> RackSizes(int size, size_t racks) {
  std::vector<int> out;
  for (size_t i = 0; i < racks; ++i) {
    out.push_back(size / static_cast<int>(racks) + (i < size % racks ? 1 : 0));
  }
  return out;
}

const RackSet* Desired::Find(const std::string& set) const {
  for (const auto& r : sets) {
    if (r.name == set) return &r;
  }
  return nullptr;
}

json Labels(const std::string& cluster) {
  return {{"app.kubernetes.io/name", "tern"},
          {"app.kubernetes.io/instance", cluster},
          {"app.kubernetes.io/managed-by", kManagedBy}};
}

std::string SelectorString(const std::string& cluster) {
  return "app.kubernetes.io/instance=" + cluster + ",app.kubernetes.io/name=tern";
}

json OwnerReference(const json& tc) {
  return {{"apiVersion", "tern.dev/v1alpha1"},
          {"kind", "TernCluster"},
          {"name", tc["metadata"]["name"]},
          {"uid", tc["metadata"].value("uid", "")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

std::vector<NamespacePolicy> LivePolicies(const json& spec) {
  std::vector<NamespacePolicy> out;
  for (const auto& n : spec["namespaces"]) {
    NamespacePolicy p;
    p.name = n["name"];
    p.default_ttl = n.value("defaultTTL", 0);
    if (n.contains("stopWritesPct")) p.stop_writes_pct = n["stopWritesPct"].get<int64_t>();
    for (const auto& s : n.value("sets", json::array())) {
      if (s.contains("name") && s.contains("stopWritesCount")) {
        p.set_stop_writes[s["name"]] = s["stopWritesCount"].get<uint64_t>();
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string RenderConfigYaml(const std::string& name, const std::string& ns, const json& spec,
                             bool live_fields) {
  json namespaces = json::array();
  for (const auto& n : spec["namespaces"]) {
    const bool flash = n["storage"]["type"] == "flash";
    const uint64_t size = ParseQuantity(n["storage"]["size"].get<std::string>());
    json out = {{"name", n["name"]},
                {"storage", flash ? "flash" : "memory"},
                {"replication_factor", n["replicationFactor"]},
                {"consistency", "available"}};
    if (flash) {
      out["disk_size"] = size;
      out["data_dir"] = std::string(kDataRoot) + "/" + n["name"].get<std::string>();
    } else {
      out["memory_size"] = size;
    }
    if (live_fields) {
      out["default_ttl"] = n.value("defaultTTL", 0);
      if (n.contains("stopWritesPct")) out["stop_writes_pct"] = n["stopWritesPct"];
    }
    json sets = json::array();
    for (const auto& s : n.value("sets", json::array())) {
      json set = {{"name", s.value("name", "")}};
      if (live_fields && s.contains("stopWritesCount")) {
        set["stop_writes_count"] = s["stopWritesCount"];
      }
      sets.push_back(set);
    }
    // Sets only carry live policy (ternd creates a set when it is first named), so a set
    // list change is not a reason to restart.
    if (!sets.empty() && live_fields) out["sets"] = sets;
    namespaces.push_back(out);
  }
  json config = {
      // Every port listens on all of the pod's addresses: the pod IP is not known here.
      {"node", {{"address", "0.0.0.0"}, {"data_dir", kDataRoot}, {"cluster_name", name}}},
      {"ports",
       {{"service", kServicePort},
        {"fabric", kFabricPort},
        {"grpc", kGrpcPort},
        {"admin", kAdminPort},
        {"metrics", kMetricsPort}}},
      // The headless service names every pod (publishNotReadyAddresses), so new pods find
      // the cluster before they are ready.
      {"cluster", {{"seeds", json::array({name + "-hs." + ns + ".svc.cluster.local"})}}},
      {"namespaces", namespaces},
  };
  if (spec.contains("config") && spec["config"].is_object()) config.merge_patch(spec["config"]);
  return ToYaml(config);
}

namespace {

json Meta(const json& tc, const std::string& name) {
  return {{"name", name},
          {"namespace", tc["metadata"].value("namespace", "default")},
          {"labels", Labels(tc["metadata"]["name"])},
          {"ownerReferences", json::array({OwnerReference(tc)})}};
}

json Port(const std::string& name, int port) {
  return {{"name", name}, {"port", port}, {"targetPort", port}, {"protocol", "TCP"}};
}

}  // namespace

Desired Render(const json& tc) {
  const std::string name = tc["metadata"]["name"];
  const std::string ns = tc["metadata"].value("namespace", "default");
  const json spec = SpecWithDefaults(tc.value("spec", json::object()));
  Desired d;
  d.config_yaml = RenderConfigYaml(name, ns, spec);
  d.config_hash = Sha256Hex(d.config_yaml);
  const std::string static_hash = Sha256Hex(RenderConfigYaml(name, ns, spec, false));

  d.config_map = {{"apiVersion", "v1"},
                  {"kind", "ConfigMap"},
                  {"metadata", Meta(tc, name + "-config")},
                  {"data", {{"tern.yaml", d.config_yaml}}}};

  json all_ports = json::array({Port("service", kServicePort), Port("fabric", kFabricPort),
                                Port("grpc", kGrpcPort), Port("admin", kAdminPort),
                                Port("metrics", kMetricsPort)});
  json selector = {{"app.kubernetes.io/name", "tern"}, {"app.kubernetes.io/instance", name}};
  d.headless_service = {{"apiVersion", "v1"},
                        {"kind", "Service"},
                        {"metadata", Meta(tc, name + "-hs")},
                        {"spec",
                         {{"clusterIP", "None"},
                          {"publishNotReadyAddresses", true},
                          {"selector", selector},
                          {"ports", all_ports}}}};
  d.client_service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", Meta(tc, name)},
      {"spec",
       {{"selector", selector},
        {"ports", json::array({Port("service", kServicePort), Port("grpc", kGrpcPort)})}}}};
  d.pdb = {{"apiVersion", "policy/v1"},
           {"kind", "PodDisruptionBudget"},
           {"metadata", Meta(tc, name)},
           {"spec", {{"maxUnavailable", 1}, {"selector", {{"matchLabels", selector}}}}}};

  json mounts = json::array({{{"name", "config"}, {"mountPath", "/etc/tern"}},
                             {{"name", "data"}, {"mountPath", kDataRoot}}});
  json claims = json::array();
  for (const auto& n : spec["namespaces"]) {
    if (n["storage"]["type"] != "flash") continue;
    const std::string claim = "data-" + n["name"].get<std::string>();
    mounts.push_back({{"name", claim},
                      {"mountPath", std::string(kDataRoot) + "/" + n["name"].get<std::string>()}});
    json cs = {{"accessModes", json::array({"ReadWriteOnce"})},
               {"resources", {{"requests", {{"storage", n["storage"]["size"]}}}}}};
    if (n["storage"].contains("storageClass")) {
      cs["storageClassName"] = n["storage"]["storageClass"];
    }
    claims.push_back({{"metadata", {{"name", claim}, {"labels", Labels(name)}}}, {"spec", cs}});
  }
  auto probe = [](const std::string& path, int period, int failures) {
    return json{{"httpGet", {{"path", path}, {"port", kAdminPort}}},
                {"periodSeconds", period},
                {"failureThreshold", failures}};
  };
  json container = {
      {"name", "ternd"},
      {"image", spec["image"]},
      // ternd listens on 0.0.0.0 and tells peers and clients the pod's IP.
      {"args",
       json::array({"--config", "/etc/tern/tern.yaml", "--advertise-address", "$(POD_IP)"})},
      {"ports", json::array({{{"name", "service"}, {"containerPort", kServicePort}},
                             {{"name", "fabric"}, {"containerPort", kFabricPort}},
                             {{"name", "grpc"}, {"containerPort", kGrpcPort}},
                             {{"name", "admin"}, {"containerPort", kAdminPort}},
                             {{"name", "metrics"}, {"containerPort", kMetricsPort}}})},
      {"env", json::array({{{"name", "POD_IP"},
                            {"valueFrom", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}}},
                           {{"name", "POD_NAME"},
                            {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}})},
      {"readinessProbe", probe("/v1/ready", 2, 3)},
      {"livenessProbe", probe("/v1/health", 10, 6)},
      {"volumeMounts", mounts},
  };
  if (spec.contains("resources")) container["resources"] = spec["resources"];
  json pod_spec = {
      {"containers", json::array({container})},
      {"volumes", json::array({{{"name", "config"}, {"configMap", {{"name", name + "-config"}}}},
                               {{"name", "data"}, {"emptyDir", json::object()}}})},
      {"terminationGracePeriodSeconds", 30},
  };
  for (const char* k : {"tolerations", "affinity", "topologySpreadConstraints"}) {
    if (spec.contains(k)) pod_spec[k] = spec[k];
  }
  json template_meta = {{"labels", Labels(name)}, {"annotations", json::object()}};
  if (auto token = AnnotationOf(tc, kRestartTokenAnnotation); !token.empty()) {
    template_meta["annotations"][kRestartTokenAnnotation] = token;
  }

  std::vector<std::pair<std::optional<int64_t>, json>> racks;  // id, zone
  if (spec["racks"].empty()) racks.emplace_back(std::nullopt, json());
  for (const auto& r : spec["racks"])
    racks.emplace_back(r["id"].get<int64_t>(), r.value("zone", json()));
  const std::vector<int> sizes = RackSizes(spec["size"].get<int>(), racks.size());
  for (size_t i = 0; i < racks.size(); ++i) {
    const auto& [rack_id, zone] = racks[i];
    RackSet set;
    set.name = rack_id ? name + "-" + std::to_string(*rack_id) : name;
    set.rack_id = rack_id;
    set.replicas = sizes[i];
    json set_pod = pod_spec;
    json set_meta = template_meta;
    json set_selector = selector;
    if (rack_id) {
      set_pod["containers"][0]["args"].push_back("--rack-id");
      set_pod["containers"][0]["args"].push_back(std::to_string(*rack_id));
      set_meta["labels"][kRackLabel] = std::to_string(*rack_id);
      set_selector[kRackLabel] = std::to_string(*rack_id);
    }
    if (zone.is_string() && !zone.get<std::string>().empty()) {
      // Required node affinity: every term (they are ORed) also demands the rack's zone.
      json expr = {{"key", "topology.kubernetes.io/zone"},
                   {"operator", "In"},
                   {"values", json::array({zone})}};
      json& terms = set_pod["affinity"]["nodeAffinity"]
                           ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
      if (!terms.is_array() || terms.empty()) terms = json::array({json::object()});
      for (auto& t : terms) t["matchExpressions"].push_back(expr);
    }
    // The restart hash covers everything a running pod cannot pick up without a restart: the
    // pod spec and the config minus its live policy fields.
    set.restart_hash =
        Sha256Hex(json{{"spec", set_pod}, {"meta", set_meta}, {"config", static_hash}}.dump());
    set_meta["annotations"][kConfigHashAnnotation] = d.config_hash;
    set_meta["annotations"][kRestartHashAnnotation] = set.restart_hash;

    json sts_spec = {{"serviceName", name + "-hs"},
                     {"replicas", set.replicas},
                     {"podManagementPolicy", "Parallel"},
                     {"updateStrategy", {{"type", "OnDelete"}}},
                     {"selector", {{"matchLabels", set_selector}}},
                     {"template", {{"metadata", set_meta}, {"spec", set_pod}}}};
    if (!claims.empty()) sts_spec["volumeClaimTemplates"] = claims;
    set.statefulset = {{"apiVersion", "apps/v1"},
                       {"kind", "StatefulSet"},
                       {"metadata", Meta(tc, set.name)},
                       {"spec", sts_spec}};
    d.sets.push_back(std::move(set));
  }
  return d;
}

std::map<std::string, std::string> ParseInfo(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    auto semi = text.find(';');
    std::string_view kv = text.substr(0, semi);
    auto eq = kv.find('=');
    if (!kv.empty()) {
      std::string k(kv.substr(0, eq));
      std::string v = eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
      while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
      out[k] = v;
    }
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  return out;
}

bool Contains(const json& have, const json& want) {
  if (want.is_object()) {
    if (!have.is_object()) return false;
    for (const auto& [k, v] : want.items()) {
      auto it = have.find(k);
      if (it == have.end() || !Contains(*it, v)) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!have.is_array() || have.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (!Contains(have[i], want[i])) return false;
    }
    return true;
  }
  if (want.is_number() && have.is_number()) return want.dump() == have.dump();
  return have == want;
}

std::string AnnotationOf(const json& obj, const std::string& key) {
  if (!obj.is_object()) return "";
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return "";
  auto a = m->find("annotations");
  if (a == m->end() || !a->is_object()) return "";
  auto v = a->find(key);
  return v != a->end() && v->is_string() ? v->get<std::string>() : "";
}

int PodOrdinal(const std::string& sts, const std::string& pod) {
  if (pod.size() <= sts.size() + 1 || pod.compare(0, sts.size(), sts) != 0 ||
      pod[sts.size()] != '-') {
    return -1;
  }
  int n = 0;
  for (size_t i = sts.size() + 1; i < pod.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(pod[i]))) return -1;
    n = n * 10 + (pod[i] - '0');
    if (n > 1000000) return -1;
  }
  return n;
}

}  // namespace tern::op
