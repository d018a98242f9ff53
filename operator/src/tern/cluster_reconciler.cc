#include "tern/cluster_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "kube/leader_election.h"

namespace tern::op {

namespace r = kube::resources;

std::string PodView::host() const { return ip + ":" + std::to_string(admin_port); }

namespace {

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

int64_t StatInt(const PodView& p, const std::string& k) {
  auto it = p.stats.find(k);
  if (it == p.stats.end()) return 0;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return 0;
  }
}

std::string Annotation(const json& obj, const std::string& key) { return AnnotationOf(obj, key); }

// replicas-master answers "ns:<base64 bitmap>;..."; true when no bit is set.
bool HoldsNoMasters(const std::string& answer) {
  std::string_view text = answer;
  while (!text.empty()) {
    auto semi = text.find(';');
    std::string_view part = text.substr(0, semi);
    auto colon = part.find(':');
    if (colon != std::string_view::npos) {
      std::string bits;
      if (!absl::Base64Unescape(std::string(part.substr(colon + 1)), &bits)) return false;
      for (char c : bits) {
        if (c != 0) return false;
      }
    }
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  return true;
}

// Unstable() answers starting with this mean "stable, but not for long enough yet".
const std::string kSettling = "settling: ";

int Of(const Replicas& r, const std::string& set) {
  auto it = r.find(set);
  return it == r.end() ? 0 : it->second;
}

int Total(const Replicas& r) {
  int n = 0;
  for (const auto& [set, k] : r) n += k;
  return n;
}

// A pod of a StatefulSet no longer desired (a removed rack) has no restart hash to reach.
std::string RestartHashOf(const Desired& d, const std::string& set) {
  const RackSet* r = d.Find(set);
  return r ? r->restart_hash : "";
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

void ClusterReconciler::Ensure(const kube::Resource& res, const json& desired) {
  const std::string ns = desired["metadata"]["namespace"];
  const std::string name = desired["metadata"]["name"];
  auto cur = d_.client->GetIfExists(res, ns, name);
  if (!cur) {
    try {
      d_.client->Create(res, ns, desired);
      spdlog::info("created {} {}/{}", res.kind, ns, name);
    } catch (const kube::ConflictError&) {
      // created meanwhile (a stale cache elsewhere); the next pass compares it
    }
    return;
  }
  if (Contains(*cur, desired)) return;
  // A merge patch of what we own: fields the server or others filled in (clusterIP, defaults)
  // stay as they are, and there is no resourceVersion race with status writers.
  d_.client->MergePatch(res, ns, name, desired);
  spdlog::info("updated {} {}/{}", res.kind, ns, name);
}

bool ClusterReconciler::EnsureStatefulSet(const json& tc, json desired, const json* observed) {
  const std::string ns = desired["metadata"]["namespace"];
  const std::string name = desired["metadata"]["name"];
  if (!observed) {
    d_.client->Create(r::kStatefulSets, ns, desired);
    return true;
  }
  json cur = d_.client->Get(r::kStatefulSets, ns, name);
  const json& cur_claims = cur["spec"].value("volumeClaimTemplates", json::array());
  const json want_claims = desired["spec"].value("volumeClaimTemplates", json::array());
  std::vector<std::string> added;
  for (const auto& claim : want_claims) {
    const auto same_name = [&](const json& c) {
      return c["metadata"].value("name", "") == claim["metadata"].value("name", "");
    };
    if (std::none_of(cur_claims.begin(), cur_claims.end(), same_name)) {
      added.push_back(claim["metadata"].value("name", ""));
    }
  }
  if (!added.empty()) {
    // A new flash namespace needs a claim template, and templates cannot change on a live
    // StatefulSet: delete it leaving its pods running (Orphan); the next passes recreate it
    // with the new templates (it adopts the pods) and roll the pods onto their new claims.
    d_.client->Delete(r::kStatefulSets, ns, name, "Orphan");
    d_.events->Record(tc, "Normal", "ReplacingStatefulSet",
                      "recreating StatefulSet " + name + " for the new volume claim templates " +
                          Join(added) + "; its pods keep running and then roll one at a time");
    return false;
  }
  if (!Contains(cur_claims, want_claims)) {
    // Claim templates cannot change on a live StatefulSet: grow the existing claims instead
    // (where the storage class allows expansion) and keep the templates as they are.
    const int replicas = cur["spec"].value("replicas", 0);
    for (const auto& claim : want_claims) {
      const std::string want = claim["spec"]["resources"]["requests"]["storage"];
      for (int i = 0; i < replicas; ++i) {
        const std::string pvc_name =
            claim["metadata"]["name"].get<std::string>() + "-" + name + "-" + std::to_string(i);
        auto pvc = d_.client->GetIfExists(r::kPvcs, ns, pvc_name);
        if (!pvc) continue;
        const std::string have = (*pvc)["spec"]["resources"]["requests"].value("storage", "0");
        try {
          if (ParseQuantity(have) >= ParseQuantity(want)) continue;
        } catch (const RenderError&) {
          continue;
        }
        try {
          d_.client->MergePatch(r::kPvcs, ns, pvc_name,
                                {{"spec", {{"resources", {{"requests", {{"storage", want}}}}}}}});
          d_.events->Record(tc, "Normal", "ExpandingVolume",
                            "growing " + pvc_name + " from " + have + " to " + want);
        } catch (const kube::ApiError& e) {
          d_.events->Record(tc, "Warning", "ExpandVolumeFailed",
                            "cannot grow " + pvc_name + ": " + e.what());
        }
      }
    }
    if (cur["spec"].contains("volumeClaimTemplates")) {
      desired["spec"]["volumeClaimTemplates"] = cur_claims;
    } else {
      desired["spec"].erase("volumeClaimTemplates");
    }
  }
  if (Contains(cur, desired)) return true;
  // Only the mutable part of a StatefulSet's spec goes in the patch.
  json patch = {{"metadata", desired["metadata"]},
                {"spec",
                 {{"replicas", desired["spec"]["replicas"]},
                  {"template", desired["spec"]["template"]},
                  {"updateStrategy", desired["spec"]["updateStrategy"]}}}};
  spdlog::info("updating StatefulSet {}/{} (replicas {})", ns, name,
               desired["spec"]["replicas"].dump());
  d_.client->MergePatch(r::kStatefulSets, ns, name, patch);
  return true;
}

std::vector<PodView> ClusterReconciler::ObservePods(const std::string& ns, const std::string& name,
                                                    const std::vector<std::string>& sets) {
  std::vector<PodView> out;
  for (auto& pod : d_.pods->ByLabel(ns, "app.kubernetes.io/instance", name)) {
    PodView p;
    p.name = pod["metadata"].value("name", "");
    // By name, not owner: "<set>-<n>" names one pod of one set ("db-1" is pod 1 of "db",
    // "db-1-0" pod 0 of rack 1's "db-1"), and an orphaned pod has no owner for a while.
    for (const auto& set : sets) {
      if (int ordinal = PodOrdinal(set, p.name); ordinal >= 0) {
        p.set = set;
        p.ordinal = ordinal;
      }
    }
    if (p.ordinal < 0) continue;
    p.admin_port = d_.admin_port;
    p.ip = pod.value("status", json::object()).value("podIP", "");
    p.deleting = pod["metadata"].contains("deletionTimestamp");
    if (!p.ip.empty() && !p.deleting) {
      p.ready = d_.admin->Ready(p.host());
      if (p.ready) {
        if (auto s = d_.admin->Info(p.host(), "statistics")) p.stats = ParseInfo(*s);
        if (auto n = d_.admin->Info(p.host(), "node")) p.node_id = *n;
      }
    }
    p.pod = std::move(pod);
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const PodView& a, const PodView& b) {
    return std::tie(a.set, a.ordinal) < std::tie(b.set, b.ordinal);
  });
  return out;
}

std::string ClusterReconciler::Unstable(const std::string& cluster_key,
                                        const std::vector<PodView>& pods,
                                        const Replicas& replicas) {
  std::vector<std::string> missing;
  for (const auto& [set, n] : replicas) {
    for (int i = 0; i < n; ++i) {
      auto it = std::find_if(pods.begin(), pods.end(), [&](const PodView& p) {
        return p.set == set && p.ordinal == i && p.ready && !p.deleting;
      });
      if (it == pods.end()) missing.push_back(set + "-" + std::to_string(i));
    }
  }
  if (!missing.empty()) return "pods not ready: " + Join(missing);
  const int size = Total(replicas);
  std::string key;
  for (const auto& p : pods) {
    if (p.ordinal >= Of(replicas, p.set)) continue;
    auto ans = d_.admin->Info(
        p.host(), "cluster-stable:size=" + std::to_string(size) + ";ignore-migrations=false");
    if (!ans) return p.name + " did not answer cluster-stable";
    if (ans->rfind("ERROR", 0) == 0) return p.name + " says " + *ans;
    if (key.empty()) {
      key = *ans;
    } else if (*ans != key) {
      return "pods report different cluster keys (" + key + ", " + *ans + ")";
    }
  }
  // One good look is not enough: a node that just joined may not have started migrating.
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto& [seen_key, since] = stable_since_[cluster_key];
  if (seen_key != key) {
    seen_key = key;
    since = now;
  }
  if (now - since < d_.settle) return kSettling + ("cluster key " + key + " is new");
  return "";
}

bool ClusterReconciler::ScaleDown(const json& tc, const json& spec, std::vector<PodView>& pods,
                                  const Replicas& current, const Replicas& want, Step& step) {
  const int size = spec["size"];
  const std::string key = kube::ObjectKey(tc);
  const std::string what =
      "scale-down from " + std::to_string(Total(current)) + " to " + std::to_string(size);
  for (const auto& n : spec["namespaces"]) {
    if (n["replicationFactor"].get<int>() > size) {
      step.refused = "refusing " + what + ": namespace " + n["name"].get<std::string>() +
                     " has replicationFactor " + n["replicationFactor"].dump() + ", more than " +
                     std::to_string(size) + " pods can hold";
      d_.events->Record(tc, "Warning", "RefusedScaleDown", step.refused);
      return false;
    }
  }
  step.phase = "Scaling";
  step.progressing = true;
  std::vector<PodView*> leaving;
  int expected = 0;
  for (const auto& [set, n] : current) expected += std::max(0, n - Of(want, set));
  for (auto& p : pods) {
    if (p.ordinal >= Of(want, p.set) && p.ordinal < Of(current, p.set)) leaving.push_back(&p);
  }
  bool all_quiesced = static_cast<int>(leaving.size()) == expected;
  for (auto* p : leaving) {
    if (!p->ready || p->stats["quiesced"] != "true") all_quiesced = false;
  }
  if (!all_quiesced) {
    std::string why = Unstable(key, pods, current);
    if (!why.empty()) {
      step.message = what + " waits for a stable cluster: " + why;
      // Pods still joining or partitions still moving is the normal first half of a rack
      // change (the new rack comes up before the old one drains), not a refusal.
      int64_t migrations = 0;
      for (const auto& p : pods) migrations += StatInt(p, "migrate_partitions_remaining");
      const bool joining = std::count_if(pods.begin(), pods.end(), [&](const PodView& p) {
                             return p.ordinal < Of(want, p.set) && p.ready && !p.deleting;
                           }) < Total(want);
      if (why.rfind(kSettling, 0) != 0 && !joining && migrations == 0) {
        d_.events->Record(tc, "Warning", "RefusedScaleDown",
                          "not starting " + what + " yet: cluster not stable: " + why);
      }
      return false;
    }
    std::vector<std::string> names;
    for (auto* p : leaving) {
      auto ans = d_.admin->Info(p->host(), "quiesce:");
      if (!ans || *ans != "ok") {
        throw NodeError("quiesce on " + p->name + " failed: " + ans.value_or("no answer"));
      }
      p->stats["quiesced"] = "true";
      names.push_back(p->name);
    }
    for (auto& p : pods) {
      if (p.ready) d_.admin->Info(p.host(), "recluster:");
    }
    Annotate(tc, kScaleDownAnnotation,
             std::to_string(Total(current)) + "->" + std::to_string(size));
    d_.events->Record(tc, "Normal", "Quiesced",
                      "quiesced " + Join(names) + " for the " + what +
                          "; waiting for their partitions to migrate away");
    step.message = what + ": quiesced " + Join(names) + ", waiting for migrations";
    return false;
  }
  int64_t migrations = 0;
  for (const auto& p : pods) migrations += StatInt(p, "migrate_partitions_remaining");
  if (migrations > 0) {
    step.message = what + ": " + std::to_string(migrations) + " partition migrations remaining";
    return false;
  }
  for (auto* p : leaving) {
    auto ans = d_.admin->Info(p->host(), "replicas-master");
    if (!ans || !HoldsNoMasters(*ans)) {
      step.message = what + ": " + p->name + " still masters partitions";
      // The principal may have missed the recluster (e.g. it restarted): ask again.
      for (auto& q : pods) {
        if (q.ready) d_.admin->Info(q.host(), "recluster:");
      }
      return false;
    }
  }
  if (std::string why = Unstable(key, pods, current); !why.empty()) {
    step.message = what + ": waiting for a stable cluster: " + why;
    return false;
  }
  std::vector<std::string> names;
  for (auto* p : leaving) names.push_back(p->name);
  d_.events->Record(tc, "Normal", "ScalingDown",
                    "removing " + Join(names) + ": their partitions have moved");
  Annotate(tc, kScaleDownAnnotation, "");
  step.message = what + ": removing " + Join(names);
  return true;
}

void ClusterReconciler::UndoStrayQuiesce(const json& tc, const Desired& desired,
                                         std::vector<PodView>& pods, const Replicas& want) {
  std::vector<std::string> names;
  for (auto& p : pods) {
    // A pod still on an old template is quiesced on purpose: it is about to be restarted.
    if (p.ordinal < Of(want, p.set) && p.ready && p.stats["quiesced"] == "true" &&
        Annotation(p.pod, kRestartHashAnnotation) == RestartHashOf(desired, p.set)) {
      d_.admin->Info(p.host(), "quiesce-undo:");
      p.stats["quiesced"] = "false";
      names.push_back(p.name);
    }
  }
  if (names.empty()) return;
  for (auto& p : pods) {
    if (p.ready) d_.admin->Info(p.host(), "recluster:");
  }
  Annotate(tc, kScaleDownAnnotation, "");
  d_.events->Record(tc, "Normal", "QuiesceUndone",
                    "scale-down abandoned: " + Join(names) + " serve partitions again");
}

bool ClusterReconciler::RollOne(const json& tc, const Desired& desired, std::vector<PodView>& pods,
                                const Replicas& want, Step& step) {
  const int size = Total(want);
  std::vector<PodView*> outdated;
  for (auto& p : pods) {
    if (p.ordinal < Of(want, p.set) &&
        Annotation(p.pod, kRestartHashAnnotation) != RestartHashOf(desired, p.set)) {
      outdated.push_back(&p);
    }
  }
  if (outdated.empty()) return false;
  step.phase = "Upgrading";
  step.progressing = true;
  const std::string key = kube::ObjectKey(tc);
  if (std::string why = Unstable(key, pods, want); !why.empty()) {
    step.message = std::to_string(outdated.size()) + " pods to restart; waiting: " + why;
    return true;
  }
  PodView* victim =
      outdated.back();  // highest ordinal (of the last rack) first, as StatefulSets roll
  // Hand the victim's partitions over before it goes (quiesce), so clients do not see its
  // partitions vanish and a memory namespace with one copy keeps its records. A cluster of one
  // has nowhere to hand them to.
  if (size > 1) {
    if (victim->stats["quiesced"] != "true") {
      auto ans = d_.admin->Info(victim->host(), "quiesce:");
      if (!ans || *ans != "ok") {
        throw NodeError("quiesce on " + victim->name + " failed: " + ans.value_or("no answer"));
      }
      for (auto& p : pods) {
        if (p.ready) d_.admin->Info(p.host(), "recluster:");
      }
      {
        std::lock_guard lock(mu_);
        quiesced_at_[key + "/" + victim->name] = std::chrono::steady_clock::now();
      }
      step.message = "quiesced " + victim->name + " before restarting it";
      return true;
    }
    int64_t migrations = 0;
    for (const auto& p : pods) migrations += StatInt(p, "migrate_partitions_remaining");
    auto masters = d_.admin->Info(victim->host(), "replicas-master");
    if (migrations > 0 || !masters || !HoldsNoMasters(*masters)) {
      std::lock_guard lock(mu_);
      auto [it, fresh] =
          quiesced_at_.emplace(key + "/" + victim->name, std::chrono::steady_clock::now());
      // A node that never lets go (e.g. the principal missed the recluster) would stall the
      // roll for good: after a while, with no migrations left, restart it anyway.
      const bool waited = std::chrono::steady_clock::now() - it->second > std::chrono::minutes(2);
      if (migrations > 0 || !waited) {
        step.message = "waiting for " + victim->name + " to hand its partitions over (" +
                       std::to_string(migrations) + " migrations remaining)";
        if (migrations == 0) {
          for (auto& p : pods) {
            if (p.ready) d_.admin->Info(p.host(), "recluster:");
          }
        }
        return true;
      }
    }
  }
  d_.client->Delete(r::kPods, tc["metadata"].value("namespace", ""), victim->name);
  victim->deleting = true;
  victim->ready = false;
  {
    std::lock_guard lock(mu_);
    stable_since_.erase(key);  // the next pod waits for a fresh stable period
    quiesced_at_.erase(key + "/" + victim->name);
  }
  d_.events->Record(tc, "Normal", "RollingPod",
                    "restarting " + victim->name + " for the new pod template (" +
                        std::to_string(outdated.size() - 1) + " more after it)");
  step.message = "restarting " + victim->name;
  return true;
}

bool ClusterReconciler::ApplyLivePolicy(const json& tc, const json& spec, const Desired& desired,
                                        std::vector<PodView>& pods,
                                        std::map<std::string, bool>& in_sync, std::string& error) {
  bool ok = true;
  std::vector<std::string> applied;
  const auto policies = LivePolicies(spec);
  for (auto& p : pods) {
    if (!p.ready || p.deleting) continue;
    if (Annotation(p.pod, kRestartHashAnnotation) != RestartHashOf(desired, p.set)) continue;
    bool synced = true;
    for (const auto& pol : policies) {
      NodeAnswer cur = d_.admin->Call(p.host(), "GET", "/v1/namespaces/" + pol.name);
      json ns = json::parse(cur.body, nullptr, false);
      if (!cur.ok() || !ns.is_object()) {
        synced = false;
        continue;
      }
      const json& have = ns.value("policy", json::object());
      json patch = json::object();
      if (have.value("default_ttl", int64_t{-1}) != pol.default_ttl) {
        patch["default_ttl"] = pol.default_ttl;
      }
      if (pol.stop_writes_pct &&
          have.value("stop_writes_pct", int64_t{-1}) != *pol.stop_writes_pct) {
        patch["stop_writes_pct"] = *pol.stop_writes_pct;
      }
      for (const auto& [set, count] : pol.set_stop_writes) {
        bool same = false;
        for (const auto& s : ns.value("sets", json::array())) {
          if (s.value("name", "") == set) same = s.value("stop_writes_count", uint64_t{0}) == count;
        }
        if (!same) patch["sets"][set]["stop_writes_count"] = count;
      }
      if (patch.empty()) continue;
      NodeAnswer res =
          d_.admin->Call(p.host(), "PATCH", "/v1/namespaces/" + pol.name + "/policy", patch.dump());
      if (res.ok()) {
        applied.push_back(p.name + " " + pol.name + " " + patch.dump());
        continue;
      }
      synced = false;
      if (res.status >= 400 && res.status < 500) {
        ok = false;
        error = p.name + " refused policy " + patch.dump() + " for namespace " + pol.name + ": " +
                res.body;
      }
    }
    in_sync[p.name] = synced;
  }
  if (!applied.empty()) {
    d_.events->Record(tc, "Normal", "PolicyApplied",
                      "namespace policy changed live, no restart: " + Join(applied));
  }
  return ok;
}

void ClusterReconciler::Annotate(const json& tc, const std::string& key, const std::string& value) {
  if (Annotation(tc, key) == value) return;
  json v = value.empty() ? json() : json(value);
  d_.client->MergePatch(r::kTernClusters, tc["metadata"].value("namespace", ""),
                        tc["metadata"]["name"].get<std::string>(),
                        {{"metadata", {{"annotations", {{key, v}}}}}});
}

bool ClusterReconciler::WriteStatus(const json& tc, const json& spec, const Desired* desired,
                                    const std::vector<PodView>& pods, const Step& step,
                                    const std::map<std::string, bool>& in_sync) {
  const json old = tc.value("status", json::object());
  const std::string prev = old.value("phase", "");
  const int want = spec.is_object() && spec.contains("size") ? spec["size"].get<int>() : 0;
  json status = json::object();
  status["observedGeneration"] = tc["metadata"].value("generation", 0);
  status["selector"] = SelectorString(tc["metadata"]["name"]);
  json pod_list = json::array();
  int ready = 0;
  int64_t cluster_size = 0, migrations = 0;
  bool agreed = true;
  std::string cluster_key;
  for (const auto& p : pods) {
    std::string hash = Annotation(p.pod, kConfigHashAnnotation);
    if (desired) {
      auto it = in_sync.find(p.name);
      if (it != in_sync.end() && it->second) hash = desired->config_hash;
    }
    const bool up = p.ready && !p.deleting;
    json entry = {{"name", p.name},
                  {"podIP", p.ip},
                  {"nodeId", p.node_id},
                  {"configHash", hash},
                  {"ready", up}};
    const json& labels = p.pod["metadata"].value("labels", json::object());
    if (auto rack = labels.find(kRackLabel); rack != labels.end() && rack->is_string()) {
      try {
        entry["rackId"] = std::stoll(rack->get<std::string>());
      } catch (const std::exception&) {
        // not ours to judge: a label someone else wrote
      }
    }
    pod_list.push_back(std::move(entry));
    if (!up) continue;
    ++ready;
    cluster_size = std::max(cluster_size, StatInt(p, "cluster_size"));
    migrations += StatInt(p, "migrate_partitions_remaining");
    // What cluster-stable checks, from the statistics we already have: every node in the
    // same cluster (key), whole (integrity), of the size we want.
    auto key = p.stats.find("cluster_key");
    const std::string k = key == p.stats.end() ? "" : key->second;
    if (k.empty() || k == "0" || (!cluster_key.empty() && k != cluster_key) ||
        StatInt(p, "cluster_size") != want || p.stats.count("cluster_integrity") == 0 ||
        p.stats.at("cluster_integrity") != "true") {
      agreed = false;
    }
    cluster_key = k;
  }
  status["pods"] = pod_list;
  status["readyPods"] = ready;
  status["size"] = cluster_size;
  status["migrationsRemaining"] = migrations;

  const bool converged = ready == want && agreed && cluster_size == want && migrations == 0;
  std::string phase;
  if (step.phase == "Failed") {
    phase = "Failed";
  } else if (!step.refused.empty()) {
    phase = "Degraded";
  } else if (!step.phase.empty()) {
    phase = step.phase;
  } else if (converged) {
    phase = "Running";
  } else if (prev.empty() || prev == "Pending" || prev == "Creating") {
    phase = "Creating";
  } else if (prev == "Scaling" || prev == "Upgrading") {
    phase = prev;  // the operation is done on our side; the cluster is still catching up
  } else if (ready < want || cluster_size != want) {
    phase = "Degraded";
  } else {
    phase = "Running";  // migrating after something outside our control (Progressing says so)
  }
  status["phase"] = phase;
  std::string message = step.refused.empty() ? step.message : step.refused;
  if (message.empty()) {
    message = std::to_string(ready) + "/" + std::to_string(want) + " pods ready, cluster size " +
              std::to_string(cluster_size) + ", " + std::to_string(migrations) +
              " migrations remaining";
  }
  status["message"] = message;

  const bool progressing = phase == "Creating" || phase == "Scaling" || phase == "Upgrading" ||
                           (phase == "Running" && !converged);
  const bool degraded = phase == "Degraded" || phase == "Failed";
  std::string degraded_reason = !step.refused.empty() ? "ScaleDownRefused"
                                : phase == "Failed"   ? "InvalidSpec"
                                                      : "PodsNotReady";
  auto condition = [&](const std::string& type, bool on, const std::string& reason) {
    json c = {{"type", type},
              {"status", on ? "True" : "False"},
              {"reason", reason},
              {"message", message},
              {"observedGeneration", status["observedGeneration"]},
              {"lastTransitionTime", kube::TimeNow()}};
    for (const auto& o : old.value("conditions", json::array())) {
      if (o.value("type", "") == type && o.value("status", "") == c["status"]) {
        c["lastTransitionTime"] = o.value("lastTransitionTime", c["lastTransitionTime"]);
      }
    }
    return c;
  };
  status["conditions"] =
      json::array({condition("Ready", phase == "Running" && converged,
                             phase != "Running" ? phase
                             : converged        ? "ClusterReady"
                                                : "Converging"),
                   condition("Progressing", progressing,
                             progressing ? (phase == "Running" ? "Converging" : phase) : "Stable"),
                   condition("Degraded", degraded, degraded ? degraded_reason : "AsExpected")});
  const bool running = phase == "Running" && converged;
  if (status == old) return running;
  d_.client->MergePatch(r::kTernClusters, tc["metadata"].value("namespace", ""),
                        tc["metadata"]["name"].get<std::string>(), {{"status", status}}, "status");
  return running;
}

Result ClusterReconciler::Reconcile(const std::string& key) {
  auto [ns, name] = SplitKey(key);
  auto found = d_.clusters->Get(ns, name);
  if (!found) {
    std::lock_guard lock(mu_);
    stable_since_.erase(key);
    return {};  // deleted: garbage collection removes what it owned
  }
  // A fresh read: the cache may lag behind our own last status write.
  json tc = d_.client->GetIfExists(r::kTernClusters, ns, name).value_or(json());
  if (tc.is_null() || tc["metadata"].contains("deletionTimestamp")) return {};
  tc["kind"] = "TernCluster";
  tc["apiVersion"] = "tern.dev/v1alpha1";

  json spec;
  Desired desired;
  try {
    spec = SpecWithDefaults(tc.value("spec", json::object()));
    desired = Render(tc);
  } catch (const RenderError& e) {
    Step step{"Failed", e.what(), "", false};
    d_.events->Record(tc, "Warning", "InvalidSpec", e.what());
    WriteStatus(tc, spec, nullptr, {}, step, {});
    return {};
  }
  Ensure(r::kConfigMaps, desired.config_map);
  Ensure(r::kServices, desired.headless_service);
  Ensure(r::kServices, desired.client_service);
  Ensure(r::kPdbs, desired.pdb);

  const int size = spec["size"];
  // The cluster's StatefulSets as they are: the desired ones, plus any a removed rack (or the
  // switch to racks) left behind, which drain like a scale-down and then go.
  std::map<std::string, json> existing;
  std::set<std::string> going;  // being deleted: left alone until they are gone
  const json listed = d_.client->List(r::kStatefulSets, ns, {SelectorString(name)});
  for (const auto& sts : listed["items"]) {
    const std::string n = sts["metadata"].value("name", "");
    const bool ours = n == name || PodOrdinal(name, n) > 0;  // "<name>" or "<name>-<rackId>"
    if (!ours) continue;
    existing[n] = sts;
    if (sts["metadata"].contains("deletionTimestamp")) going.insert(n);
  }
  Replicas current, want;
  std::vector<std::string> set_names;
  for (const auto& [n, sts] : existing) {
    current[n] = sts["spec"].value("replicas", 1);
    want[n] = 0;
    set_names.push_back(n);
  }
  for (const auto& set : desired.sets) {
    want[set.name] = set.replicas;
    if (!existing.count(set.name)) set_names.push_back(set.name);
  }
  std::vector<PodView> pods = ObservePods(ns, name, set_names);
  // A StatefulSet replaced for new claim templates is briefly absent while its pods run on:
  // they count as its replicas, so the new one takes them over as they are.
  for (const auto& p : pods) {
    if (!existing.count(p.set)) current[p.set] = std::max(Of(current, p.set), p.ordinal + 1);
  }
  Step step;
  // Grow first (a new rack's pods join while the leaving ones still serve), then shrink.
  Replicas grown;
  bool growing = false, shrinking = false;
  for (const auto& [n, w] : want) {
    grown[n] = std::max(w, Of(current, n));
    if (w > Of(current, n)) growing = true;
    if (Of(current, n) > w) shrinking = true;
  }
  Replicas replicas = grown;
  if (existing.empty() && pods.empty()) {
    step.phase = "Creating";
    step.progressing = true;
    step.message = "creating " + std::to_string(size) + " pods";
    d_.events->Record(tc, "Normal", "Creating", step.message);
  } else if (growing) {
    step.phase = "Scaling";
    step.progressing = true;
    step.message = "scaling up from " + std::to_string(Total(current)) + " to " +
                   std::to_string(Total(grown)) + " pods";
    d_.events->Record(tc, "Normal", "ScalingUp", step.message);
    UndoStrayQuiesce(tc, desired, pods, want);
  } else if (shrinking) {
    if (ScaleDown(tc, spec, pods, current, want, step)) replicas = want;
  } else {
    UndoStrayQuiesce(tc, desired, pods, want);
  }
  bool in_place = going.empty();
  for (const auto& set : desired.sets) {
    if (going.count(set.name)) continue;
    json sts = set.statefulset;
    sts["spec"]["replicas"] = replicas[set.name];
    auto it = existing.find(set.name);
    if (!EnsureStatefulSet(tc, sts, it == existing.end() ? nullptr : &it->second)) {
      in_place = false;
    }
  }
  if (!in_place) {
    step.progressing = true;
    step.message = "replacing StatefulSets for new volume claim templates";
  }
  for (const auto& [n, sts] : existing) {
    if (desired.Find(n) || going.count(n)) continue;
    if (Of(current, n) > 0 && replicas[n] < Of(current, n)) {
      d_.client->MergePatch(r::kStatefulSets, ns, n, {{"spec", {{"replicas", replicas[n]}}}});
    } else if (Of(current, n) == 0 && std::none_of(pods.begin(), pods.end(),
                                                   [&](const PodView& p) { return p.set == n; })) {
      d_.client->Delete(r::kStatefulSets, ns, n);
      d_.events->Record(tc, "Normal", "RemovedRack",
                        "deleted StatefulSet " + n + ": its pods are gone");
    }
  }

  std::map<std::string, bool> in_sync;
  const bool steady = !existing.empty() && !growing && !shrinking && in_place &&
                      step.phase.empty() && step.refused.empty() &&
                      existing.size() == desired.sets.size();
  if (!steady || !RollOne(tc, desired, pods, want, step)) {
    std::string error;
    if (!ApplyLivePolicy(tc, spec, desired, pods, in_sync, error)) {
      if (Annotation(tc, kRestartTokenAnnotation) != desired.config_hash) {
        d_.events->Record(tc, "Warning", "LivePolicyFailed",
                          error + "; restarting the pods one at a time to apply it");
        Annotate(tc, kRestartTokenAnnotation, desired.config_hash);
      }
      step.progressing = true;
    }
  }
  // A status that does not say Ready yet (e.g. the nodes had not all seen the last change
  // when it was sampled) is looked at again soon, not at the next resync.
  const bool ready = WriteStatus(tc, spec, &desired, pods, step, in_sync);

  bool settled = ready && !step.progressing && step.refused.empty();
  for (const auto& p : pods) {
    if (!p.ready || p.deleting || StatInt(p, "migrate_partitions_remaining") > 0) settled = false;
  }
  if (static_cast<int>(pods.size()) != size || existing.size() != desired.sets.size()) {
    settled = false;
  }
  return {false,
          settled ? std::chrono::duration_cast<std::chrono::milliseconds>(d_.resync) : d_.poll};
}

}  // namespace tern::op
