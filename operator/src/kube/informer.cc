#include "kube/informer.h"

#include <spdlog/spdlog.h>

#include <random>

namespace tern::kube {

std::string ObjectKey(const json& obj) {
  const json& m = obj.value("metadata", json::object());
  std::string ns = m.value("namespace", "");
  std::string name = m.value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

namespace {

std::vector<std::string> OwnerUids(const json& obj) {
  std::vector<std::string> out;
  const json& m = obj.value("metadata", json::object());
  for (const auto& ref : m.value("ownerReferences", json::array())) {
    if (ref.contains("uid")) out.push_back(ref["uid"].get<std::string>());
  }
  return out;
}

}  // namespace

Informer::Informer(Client& client, Resource resource, std::string ns, std::string label_selector,
                   int watch_timeout_seconds)
    : client_(client),
      resource_(std::move(resource)),
      ns_(std::move(ns)),
      selector_(std::move(label_selector)),
      watch_timeout_(watch_timeout_seconds) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandlers(EventHandlers h) {
  std::lock_guard lock(mu_);
  handlers_.push_back(std::move(h));
}

void Informer::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Informer::RequestStop() {
  stop_ = true;
  wait_cv_.notify_all();
}

void Informer::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

std::string Informer::resource_version() const {
  std::lock_guard lock(mu_);
  return rv_;
}

void Informer::Put(const json& obj) {
  const std::string key = ObjectKey(obj);
  if (auto it = items_.find(key); it != items_.end()) {
    for (const auto& uid : OwnerUids(it->second)) by_owner_[uid].erase(key);
  }
  items_[key] = obj;
  for (const auto& uid : OwnerUids(obj)) by_owner_[uid].insert(key);
}

void Informer::Erase(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  for (const auto& uid : OwnerUids(it->second)) {
    by_owner_[uid].erase(key);
    if (by_owner_[uid].empty()) by_owner_.erase(uid);
  }
  items_.erase(it);
}

void Informer::Relist() {
  json list = client_.List(resource_, ns_, ListOptions{selector_, "", 500});
  ++lists_;
  std::vector<std::pair<json, json>> updates;  // (old or null, new)
  std::vector<json> deletes;
  std::vector<EventHandlers> handlers;
  {
    std::lock_guard lock(mu_);
    std::set<std::string> seen;
    for (const auto& item : list["items"]) {
      const std::string key = ObjectKey(item);
      seen.insert(key);
      auto it = items_.find(key);
      updates.emplace_back(it == items_.end() ? json() : it->second, item);
      Put(item);
    }
    // Objects deleted while we were not watching: tell the handlers as if we had seen it.
    std::vector<std::string> gone;
    for (const auto& [key, obj] : items_) {
      if (!seen.count(key)) gone.push_back(key);
    }
    for (const auto& key : gone) {
      deletes.push_back(items_[key]);
      Erase(key);
    }
    rv_ = list["metadata"].value("resourceVersion", "");
    handlers = handlers_;
  }
  for (const auto& [old_obj, obj] : updates) {
    for (const auto& h : handlers) {
      if (old_obj.is_null()) {
        if (h.on_add) h.on_add(obj);
      } else if (h.on_update) {
        h.on_update(old_obj, obj);
      }
    }
  }
  for (const auto& obj : deletes) {
    for (const auto& h : handlers) {
      if (h.on_delete) h.on_delete(obj);
    }
  }
  synced_ = true;
}

void Informer::Apply(const std::string& type, const json& obj) {
  json old_obj;
  std::vector<EventHandlers> handlers;
  {
    std::lock_guard lock(mu_);
    const std::string rv = obj.value("metadata", json::object()).value("resourceVersion", "");
    if (!rv.empty()) rv_ = rv;
    if (type == "BOOKMARK") return;
    const std::string key = ObjectKey(obj);
    if (auto it = items_.find(key); it != items_.end()) old_obj = it->second;
    if (type == "DELETED") {
      Erase(key);
    } else if (type == "ADDED" || type == "MODIFIED") {
      Put(obj);
    } else {
      return;
    }
    handlers = handlers_;
  }
  for (const auto& h : handlers) {
    if (type == "DELETED") {
      if (h.on_delete) h.on_delete(obj);
    } else if (old_obj.is_null()) {
      if (h.on_add) h.on_add(obj);
    } else if (h.on_update) {
      h.on_update(old_obj, obj);
    }
  }
}

void Informer::Step() {
  if (resource_version().empty()) Relist();
  WatchOptions opt;
  opt.resource_version = resource_version();
  opt.label_selector = selector_;
  // Jitter spreads the re-watches of many informers over time, as client-go does.
  static thread_local std::mt19937 rng{std::random_device{}()};
  opt.timeout_seconds = watch_timeout_ + static_cast<int>(rng() % (watch_timeout_ / 5 + 1));
  try {
    client_.Watch(resource_, ns_, opt, [this](const std::string& type, const json& obj) {
      Apply(type, obj);
      return !stop_.load();
    });
  } catch (const GoneError&) {
    std::lock_guard lock(mu_);
    rv_.clear();  // too old: the next step relists
    throw;
  }
}

void Informer::Run() {
  auto backoff = std::chrono::milliseconds(500);
  while (!stop_) {
    try {
      Step();
      backoff = std::chrono::milliseconds(500);
      continue;  // the server ended the watch (timeout): watch again from the last version
    } catch (const GoneError& e) {
      spdlog::info("{}: {}; relisting", resource_.plural, e.what());
      continue;
    } catch (const std::exception& e) {
      if (stop_) break;  // the transport was cancelled for shutdown
      spdlog::warn("{}: list/watch failed: {}", resource_.plural, e.what());
    }
    std::unique_lock lock(wait_mu_);
    wait_cv_.wait_for(lock, backoff, [this] { return stop_.load(); });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
  }
}

std::optional<json> Informer::Get(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = items_.find(ns.empty() ? name : ns + "/" + name);
  if (it == items_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> Informer::List(const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  for (const auto& [key, obj] : items_) {
    if (ns.empty() || key.rfind(ns + "/", 0) == 0) out.push_back(obj);
  }
  return out;
}

std::vector<json> Informer::ByOwner(const std::string& owner_uid) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  if (auto it = by_owner_.find(owner_uid); it != by_owner_.end()) {
    for (const auto& key : it->second) out.push_back(items_.at(key));
  }
  return out;
}

std::vector<json> Informer::ByLabel(const std::string& ns, const std::string& key,
                                    const std::string& value) const {
  std::vector<json> out;
  for (auto& obj : List(ns)) {
    const json& labels = obj["metadata"].value("labels", json::object());
    if (labels.value(key, "") == value) out.push_back(std::move(obj));
  }
  return out;
}

}  // namespace tern::kube
