#include "smd/metadata_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/result_code.h"

namespace tern::smd {

using base::MakeError;
using base::ResultCode;
using nlohmann::json;

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(std::string dir,
                                                                   uint64_t origin) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return MakeError(ResultCode::kServerError,
                     absl::StrCat("cannot create ", dir, ": ", ec.message()));
  std::unique_ptr<MetadataStore> store(new MetadataStore(dir, origin));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc["version"].is_number_unsigned() || !doc["items"].is_array()) {
      return MakeError(ResultCode::kServerError,
                       absl::StrCat("corrupt metadata file ", entry.path().string()));
    }
    Module& m = store->modules_[entry.path().stem().string()];
    m.version = doc["version"].get<uint64_t>();
    for (const json& it : doc["items"]) {
      Item item;
      std::string value;
      // Values are base64 in the file: module sources need not be UTF-8. Files written before
      // stamps existed carry a per-module "version" instead: any later change supersedes it.
      const json& stamp = it.contains("stamp") ? it["stamp"] : it["version"];
      if (!it["key"].is_string() || !it["value"].is_string() || !stamp.is_number_unsigned() ||
          !absl::Base64Unescape(it["value"].get<std::string>(), &value)) {
        return MakeError(ResultCode::kServerError,
                         absl::StrCat("corrupt item in ", entry.path().string()));
      }
      item.key = it["key"].get<std::string>();
      item.value = std::move(value);
      item.stamp = stamp.get<uint64_t>();
      item.origin = it.value("origin", uint64_t{0});
      item.deleted = it.value("deleted", false);
      store->clock_ = std::max(store->clock_, item.stamp);
      m.items.emplace(item.key, std::move(item));
    }
  }
  return store;
}

absl::Status MetadataStore::Persist(const std::string& name, const Module& m) const {
  json items = json::array();
  for (const auto& [k, item] : m.items) {
    items.push_back({{"key", item.key},
                     {"value", absl::Base64Escape(item.value)},
                     {"stamp", item.stamp},
                     {"origin", item.origin},
                     {"deleted", item.deleted}});
  }
  const std::string text = json{{"version", m.version}, {"items", items}}.dump(1);
  const std::string path = absl::StrCat(dir_, "/", name, ".json");
  const std::string tmp = path + ".tmp";
  // Write, fsync, rename: a crash leaves the old file or the new one, never half of one.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ResultCode::kServerError, absl::StrCat("cannot write ", tmp));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeError(ResultCode::kServerError, absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

uint64_t MetadataStore::NextStamp() {
  const uint64_t now = static_cast<uint64_t>(base::NowUnixMs()) << 16;
  clock_ = std::max(clock_ + 1, now);
  return clock_;
}

absl::Status MetadataStore::Change(std::string_view module, std::string_view key,
                                   std::string_view value, bool deleted) {
  Item made;
  std::function<void(const std::string&, const Item&)> hook;
  {
    std::lock_guard lock(mu_);
    auto it = modules_.find(module);
    if (it == modules_.end()) {
      if (deleted) return absl::OkStatus();
      it = modules_.emplace(std::string(module), Module{}).first;
    }
    auto old = it->second.items.find(key);
    if (deleted && (old == it->second.items.end() || old->second.deleted)) return absl::OkStatus();
    Module next = it->second;  // persisted first, adopted only when durable
    next.version++;
    made = Item{std::string(key), deleted ? std::string() : std::string(value), NextStamp(),
                origin_, deleted};
    next.items[made.key] = made;
    if (absl::Status s = Persist(it->first, next); !s.ok()) return s;
    it->second = std::move(next);
    hook = on_local_change_;
  }
  Notify(module);
  if (hook) hook(std::string(module), made);
  return absl::OkStatus();
}

absl::Status MetadataStore::Set(std::string_view module, std::string_view key,
                                std::string_view value) {
  return Change(module, key, value, false);
}

absl::Status MetadataStore::Remove(std::string_view module, std::string_view key) {
  return Change(module, key, {}, true);
}

absl::StatusOr<size_t> MetadataStore::Merge(const Snapshot& incoming) {
  size_t adopted = 0;
  std::vector<std::string> changed;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, items] : incoming) {
      auto it = modules_.find(name);
      Module next = it == modules_.end() ? Module{} : it->second;
      size_t before = adopted;
      for (const Item& item : items) {
        clock_ = std::max(clock_, item.stamp);
        auto cur = next.items.find(item.key);
        if (cur != next.items.end() && !item.Newer(cur->second)) continue;
        next.items[item.key] = item;
        ++adopted;
      }
      if (adopted == before) continue;
      next.version++;
      if (absl::Status s = Persist(name, next); !s.ok()) return s;
      if (it == modules_.end()) it = modules_.emplace(name, Module{}).first;
      it->second = std::move(next);
      changed.push_back(name);
    }
  }
  for (const std::string& name : changed) Notify(name);
  return adopted;
}

std::optional<Item> MetadataStore::Get(std::string_view module, std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module);
  if (it == modules_.end()) return std::nullopt;
  auto item = it->second.items.find(key);
  if (item == it->second.items.end() || item->second.deleted) return std::nullopt;
  return item->second;
}

std::vector<Item> MetadataStore::List(std::string_view module) const {
  std::lock_guard lock(mu_);
  std::vector<Item> out;
  auto it = modules_.find(module);
  if (it == modules_.end()) return out;
  for (const auto& [k, item] : it->second.items) {
    if (!item.deleted) out.push_back(item);
  }
  return out;
}

uint64_t MetadataStore::Version(std::string_view module) const {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module);
  return it == modules_.end() ? 0 : it->second.version;
}

Snapshot MetadataStore::All() const {
  std::lock_guard lock(mu_);
  Snapshot out;
  for (const auto& [name, m] : modules_) {
    if (m.items.empty()) continue;
    auto& items = out[name];
    for (const auto& [k, item] : m.items) items.push_back(item);
  }
  return out;
}

uint64_t MetadataStore::Digest() const {
  std::lock_guard lock(mu_);
  // FNV-1a over (module, key, stamp, origin) in key order: both sides iterate sorted maps.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  for (const auto& [name, m] : modules_) {
    for (const auto& [k, item] : m.items) {
      mix(name);
      mix(k);
      mix(std::string_view(reinterpret_cast<const char*>(&item.stamp), sizeof item.stamp));
      mix(std::string_view(reinterpret_cast<const char*>(&item.origin), sizeof item.origin));
    }
  }
  return h;
}

void MetadataStore::Subscribe(std::string_view module, std::function<void()> listener) {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module);
  if (it == modules_.end()) it = modules_.emplace(std::string(module), Module{}).first;
  it->second.listeners.push_back(std::move(listener));
}

void MetadataStore::OnLocalChange(std::function<void(const std::string&, const Item&)> fn) {
  std::lock_guard lock(mu_);
  on_local_change_ = std::move(fn);
}

void MetadataStore::Notify(std::string_view module) {
  std::vector<std::function<void()>> listeners;
  {
    std::lock_guard lock(mu_);
    auto it = modules_.find(module);
    if (it != modules_.end()) listeners = it->second.listeners;
  }
  for (auto& l : listeners) l();
}

}  // namespace tern::smd
