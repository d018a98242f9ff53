// The TernUDF controller's reconcile: register the Lua module on the cluster's pods, keep its
// hash in status, and remove it (finalizer) before the object goes.
#pragma once

#include <chrono>
#include <string>

#include "controller/controller.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "tern/node_admin.h"

namespace tern::op {

using nlohmann::json;

inline constexpr char kUdfFinalizer[] = "tern.dev/udf";
// The module file last registered, so a rename removes the old one.
inline constexpr char kUdfModuleAnnotation[] = "tern.dev/registered-module";

struct UdfDeps {
  kube::Client* client;
  kube::Informer* udfs;
  kube::Informer* pods;
  kube::EventRecorder* events;
  NodeAdmin* admin;
  int admin_port = 8080;
  std::chrono::seconds resync{30};
  std::chrono::milliseconds poll{2000};
};

class UdfReconciler {
 public:
  explicit UdfReconciler(UdfDeps deps) : d_(deps) {}
  Result Reconcile(const std::string& key);

 private:
  std::vector<std::string> ReadyHosts(const std::string& ns, const std::string& cluster);
  // Removes `module` from every host; false when a node could not be reached.
  bool Remove(const std::vector<std::string>& hosts, const std::string& module);
  void SetStatus(const json& udf, const std::string& phase, const std::string& hash,
                 const std::string& message);

  UdfDeps d_;
};

}  // namespace tern::op
