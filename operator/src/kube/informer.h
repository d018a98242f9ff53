// List-then-watch cache of one resource kind, as client-go's shared informer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/client.h"

namespace tern::kube {

struct EventHandlers {
  std::function<void(const json& obj)> on_add;
  std::function<void(const json& old_obj, const json& obj)> on_update;
  std::function<void(const json& obj)> on_delete;
};

// "ns/name" (or "name" for cluster-scoped objects).
std::string ObjectKey(const json& obj);

class Informer {
 public:
  Informer(Client& client, Resource resource, std::string ns, std::string label_selector = "",
           int watch_timeout_seconds = 300);
  ~Informer();

  void AddHandlers(EventHandlers h);
  void Start();        // runs list/watch on a thread until Stop
  void RequestStop();  // the loop ends at its next turn (cancel the transport to hurry it)
  void Stop();         // RequestStop and wait
  bool HasSynced() const { return synced_.load(); }

  std::optional<json> Get(const std::string& ns, const std::string& name) const;
  std::vector<json> List(const std::string& ns = "") const;  // ns empty = all
  std::vector<json> ByOwner(const std::string& owner_uid) const;
  std::vector<json> ByLabel(const std::string& ns, const std::string& key,
                            const std::string& value) const;

  // One step of the loop: a list when none holds, then one watch until it ends. Throws what
  // the client throws, after a 410 has dropped the resourceVersion so the next step relists.
  void Step();
  uint64_t lists() const { return lists_.load(); }
  std::string resource_version() const;

 private:
  void Relist();
  void Apply(const std::string& type, const json& obj);
  void Put(const json& obj);  // cache + index, under mu_
  void Erase(const std::string& key);
  void Run();

  Client& client_;
  const Resource resource_;
  const std::string ns_;
  const std::string selector_;
  const int watch_timeout_;

  mutable std::mutex mu_;
  std::map<std::string, json> items_;
  std::map<std::string, std::set<std::string>> by_owner_;  // owner uid -> keys
  std::string rv_;
  std::vector<EventHandlers> handlers_;

  std::atomic<bool> synced_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> lists_{0};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::thread thread_;
};

}  // namespace tern::kube
