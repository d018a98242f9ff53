// The TernCluster controller's reconcile: owned objects, scaling with quiesce, rolling
// restarts behind stability checks, live policy changes, status.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "tern/node_admin.h"
#include "tern/render.h"

namespace tern::op {

struct ClusterDeps {
  kube::Client* client;
  kube::Informer* clusters;
  kube::Informer* statefulsets;
  kube::Informer* pods;
  kube::EventRecorder* events;
  NodeAdmin* admin;
  int admin_port = 8080;
  std::chrono::seconds resync{30};
  std::chrono::milliseconds poll{2000};    // while something is in progress
  std::chrono::milliseconds settle{3000};  // a cluster must look stable this long
};

// StatefulSet name -> replicas: one entry without racks, one per rack with them.
using Replicas = std::map<std::string, int>;

// One pod as the operator sees it: Kubernetes state plus what its ternd answers.
struct PodView {
  json pod;
  std::string name;
  std::string set;  // its StatefulSet
  int ordinal = -1;
  std::string ip;
  bool deleting = false;
  bool ready = false;                        // /v1/ready answered 200
  std::map<std::string, std::string> stats;  // info statistics
  std::string node_id;
  std::string host() const;
  int admin_port = 8080;
};

class ClusterReconciler {
 public:
  explicit ClusterReconciler(ClusterDeps deps) : d_(deps) {}
  Result Reconcile(const std::string& key);

 private:
  struct Step {  // what this pass decided, for status
    std::string phase;
    std::string message;
    std::string refused;  // why a scale-down was refused
    bool progressing = false;
  };

  void Ensure(const kube::Resource& r, const json& desired);
  // False when the StatefulSet is being replaced (deleted, its pods orphaned) instead.
  bool EnsureStatefulSet(const json& tc, json desired, const json* observed);
  // The pods of the StatefulSets named in `sets`, by set then ordinal.
  std::vector<PodView> ObservePods(const std::string& ns, const std::string& name,
                                   const std::vector<std::string>& sets);
  // Empty when the cluster of the pods `replicas` counts is stable (one key, size, integrity,
  // no migrations, for `settle`); otherwise why not.
  std::string Unstable(const std::string& cluster_key, const std::vector<PodView>& pods,
                       const Replicas& replicas);
  // True once the pods beyond `want` (of the `current` replicas) have handed their
  // partitions over and may go.
  bool ScaleDown(const json& tc, const json& spec, std::vector<PodView>& pods,
                 const Replicas& current, const Replicas& want, Step& step);
  void UndoStrayQuiesce(const json& tc, const Desired& desired, std::vector<PodView>& pods,
                        const Replicas& want);
  bool RollOne(const json& tc, const Desired& desired, std::vector<PodView>& pods,
               const Replicas& want, Step& step);
  // Applies the live policy to every pod already on the current restart hash; false when a
  // node refused it (then the caller falls back to a restart).
  bool ApplyLivePolicy(const json& tc, const json& spec, const Desired& desired,
                       std::vector<PodView>& pods, std::map<std::string, bool>& in_sync,
                       std::string& error);
  // True when the status it wrote says Running and Ready.
  bool WriteStatus(const json& tc, const json& spec, const Desired* desired,
                   const std::vector<PodView>& pods, const Step& step,
                   const std::map<std::string, bool>& in_sync);
  void Annotate(const json& tc, const std::string& key, const std::string& value);

  ClusterDeps d_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>>
      stable_since_;  // cluster -> (cluster_key, first seen)
  std::map<std::string, std::chrono::steady_clock::time_point>
      quiesced_at_;  // "ns/cluster/pod" quiesced for a restart -> when
};

// Failure of a node call the reconcile cannot do without.
struct NodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace tern::op
