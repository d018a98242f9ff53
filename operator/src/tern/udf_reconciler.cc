#include "tern/udf_reconciler.h"

#include <spdlog/spdlog.h>

#include "kube/client.h"
#include "tern/render.h"

namespace tern::op {

namespace r = kube::resources;

std::vector<std::string> UdfReconciler::ReadyHosts(const std::string& ns,
                                                   const std::string& cluster) {
  std::vector<std::string> out;
  for (const auto& pod : d_.pods->ByLabel(ns, "app.kubernetes.io/instance", cluster)) {
    if (pod["metadata"].contains("deletionTimestamp")) continue;
    const std::string ip = pod.value("status", json::object()).value("podIP", "");
    if (ip.empty()) continue;
    const std::string host = ip + ":" + std::to_string(d_.admin_port);
    if (d_.admin->Ready(host)) out.push_back(host);
  }
  return out;
}

bool UdfReconciler::Remove(const std::vector<std::string>& hosts, const std::string& module) {
  bool ok = true;
  for (const auto& h : hosts) {
    NodeAnswer a = d_.admin->Call(h, "DELETE", "/v1/udf/" + kube::UrlEncode(module));
    // 404: not there (already removed, or removed on a peer and synced) is what we want.
    if (!a.ok() && a.status != 404) {
      spdlog::warn("removing UDF {} on {}: HTTP {} {}", module, h, a.status, a.body);
      ok = false;
    }
  }
  return ok;
}

void UdfReconciler::SetStatus(const json& udf, const std::string& phase, const std::string& hash,
                              const std::string& message) {
  json status = {{"phase", phase},
                 {"hash", hash},
                 {"message", message},
                 {"observedGeneration", udf["metadata"].value("generation", 0)}};
  if (udf.value("status", json::object()) == status) return;
  d_.client->MergePatch(r::kTernUdfs, udf["metadata"].value("namespace", ""),
                        udf["metadata"]["name"].get<std::string>(), {{"status", status}}, "status");
}

Result UdfReconciler::Reconcile(const std::string& key) {
  auto slash = key.find('/');
  const std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
  if (!d_.udfs->Get(ns, name)) return {};
  json udf = d_.client->GetIfExists(r::kTernUdfs, ns, name).value_or(json());
  if (udf.is_null()) return {};
  udf["kind"] = "TernUDF";
  udf["apiVersion"] = "tern.dev/v1alpha1";
  const json meta = udf["metadata"];  // a copy: udf is replaced below
  const json spec = udf.value("spec", json::object());
  const std::string cluster = spec.value("cluster", "");
  const std::string module = spec.value("module", "");
  json finalizers = meta.value("finalizers", json::array());
  const bool has_finalizer =
      std::find(finalizers.begin(), finalizers.end(), kUdfFinalizer) != finalizers.end();

  if (meta.contains("deletionTimestamp")) {
    if (!has_finalizer) return {};
    auto hosts = ReadyHosts(ns, cluster);
    const std::string registered = AnnotationOf(udf, kUdfModuleAnnotation);
    bool ok = Remove(hosts, module);
    if (!registered.empty() && registered != module) ok = Remove(hosts, registered) && ok;
    if (!ok) {
      SetStatus(udf, "Failed", udf.value("status", json::object()).value("hash", ""),
                "could not remove " + module + " from every pod; retrying");
      return {true, {}};
    }
    json rest = json::array();
    for (const auto& f : finalizers) {
      if (f != kUdfFinalizer) rest.push_back(f);
    }
    // The test makes the patch fail if someone changed the finalizers meanwhile.
    d_.client->JsonPatch(
        r::kTernUdfs, ns, name,
        json::array({{{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", finalizers}},
                     {{"op", "replace"}, {"path", "/metadata/finalizers"}, {"value", rest}}}));
    d_.events->Record(udf, "Normal", "Removed",
                      "removed " + module + " from " + std::to_string(hosts.size()) + " pods");
    return {};
  }
  if (!has_finalizer) {
    json op =
        meta.contains("finalizers")
            ? json{{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", kUdfFinalizer}}
            : json{{"op", "add"},
                   {"path", "/metadata/finalizers"},
                   {"value", json::array({kUdfFinalizer})}};
    udf = d_.client->JsonPatch(r::kTernUdfs, ns, name, json::array({op}));
    udf["kind"] = "TernUDF";
    udf["apiVersion"] = "tern.dev/v1alpha1";
  }

  std::string source;
  if (spec.contains("source") && spec["source"].is_string()) {
    source = spec["source"];
  } else if (spec.contains("configMapRef")) {
    const json& ref = spec["configMapRef"];
    auto cm = d_.client->GetIfExists(r::kConfigMaps, ns, ref.value("name", ""));
    const std::string k = ref.value("key", "");
    if (!cm || !(*cm).value("data", json::object()).contains(k)) {
      SetStatus(udf, "Failed", "",
                "ConfigMap " + ref.value("name", "") + " has no key '" + k + "'");
      return {false, d_.poll * 5};
    }
    source = (*cm)["data"][k];
  } else {
    SetStatus(udf, "Failed", "", "spec needs source or configMapRef");
    return {};
  }
  const std::string hash = Sha256Hex(source);
  auto hosts = ReadyHosts(ns, cluster);
  if (hosts.empty()) {
    SetStatus(udf, "Pending", hash, "TernCluster " + cluster + " has no ready pods");
    return {false, d_.poll};
  }
  // A renamed module: the old file goes first, so the cluster does not keep both.
  const std::string registered = AnnotationOf(udf, kUdfModuleAnnotation);
  if (!registered.empty() && registered != module) Remove(hosts, registered);

  int changed = 0;
  for (const auto& h : hosts) {
    NodeAnswer cur = d_.admin->Call(h, "GET", "/v1/udf/" + kube::UrlEncode(module));
    if (cur.ok()) {
      json j = json::parse(cur.body, nullptr, false);
      if (j.is_object() && j.value("source", "") == source) continue;
    }
    NodeAnswer put = d_.admin->Call(h, "PUT", "/v1/udf/" + kube::UrlEncode(module), source);
    if (put.status == 400) {
      json err = json::parse(put.body, nullptr, false);
      std::string msg =
          err.is_object() && err.contains("message")
              ? module + ":" + err.value("line", json(0)).dump() + ": " + err.value("message", "")
              : put.body;
      SetStatus(udf, "Failed", hash, "does not compile: " + msg);
      d_.events->Record(udf, "Warning", "CompileError", msg);
      return {false, d_.resync};
    }
    if (!put.ok()) {
      SetStatus(udf, "Pending", hash,
                "registering on " + h + " failed: HTTP " + std::to_string(put.status));
      return {true, {}};
    }
    ++changed;
  }
  if (registered != module) {
    d_.client->MergePatch(r::kTernUdfs, ns, name,
                          {{"metadata", {{"annotations", {{kUdfModuleAnnotation, module}}}}}});
  }
  if (changed > 0) {
    d_.events->Record(udf, "Normal", "Registered",
                      "registered " + module + " (sha256 " + hash.substr(0, 12) + ") on " +
                          std::to_string(changed) + " pods");
  }
  SetStatus(udf, "Registered", hash,
            "registered on " + std::to_string(hosts.size()) + " ready pods of " + cluster);
  // New pods of the cluster need the module too: look again later.
  return {false, d_.resync};
}

}  // namespace tern::op
