#include "smd/metadata_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/result_code.h"

namespace tern::smd {

using base::MakeError;
using base::ResultCode;
using nlohmann::json;

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(std::string dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return MakeError(ResultCode::kServerError,
                     absl::StrCat("cannot create ", dir, ": ", ec.message()));
  std::unique_ptr<MetadataStore> store(new MetadataStore(dir));
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
      // Values are base64 in the file: module sources need not be UTF-8.
      if (!it["key"].is_string() || !it["value"].is_string() ||
          !it["version"].is_number_unsigned() ||
          !absl::Base64Unescape(it["value"].get<std::string>(), &value)) {
        return MakeError(ResultCode::kServerError,
                         absl::StrCat("corrupt item in ", entry.path().string()));
      }
      item.key = it["key"].get<std::string>();
      item.value = std::move(value);
      item.version = it["version"].get<uint64_t>();
      m.items.emplace(item.key, std::move(item));
    }
  }
  return store;
}

absl::Status MetadataStore::Persist(const std::string& name, const Module& m) const {
  json items = json::array();
  for (const auto& [k, item] : m.items) {
    items.push_back(
        {{"key", item.key}, {"value", absl::Base64Escape(item.value)}, {"version", item.version}});
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

absl::Status MetadataStore::Set(std::string_view module, std::string_view key,
                                std::string_view value) {
  {
    std::lock_guard lock(mu_);
    auto it = modules_.find(module);
    if (it == modules_.end()) it = modules_.emplace(std::string(module), Module{}).first;
    Module next = it->second;  // persisted first, adopted only when durable
    next.version++;
    next.items[std::string(key)] = Item{std::string(key), std::string(value), next.version};
    if (absl::Status s = Persist(it->first, next); !s.ok()) return s;
    it->second = std::move(next);
  }
  Notify(module);
  return absl::OkStatus();
}

absl::Status MetadataStore::Remove(std::string_view module, std::string_view key) {
  {
    std::lock_guard lock(mu_);
    auto it = modules_.find(module);
    if (it == modules_.end() || !it->second.items.contains(key)) return absl::OkStatus();
    Module next = it->second;
    next.version++;
    next.items.erase(next.items.find(key));
    if (absl::Status s = Persist(it->first, next); !s.ok()) return s;
    it->second = std::move(next);
  }
  Notify(module);
  return absl::OkStatus();
}

std::optional<Item> MetadataStore::Get(std::string_view module, std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module);
  if (it == modules_.end()) return std::nullopt;
  auto item = it->second.items.find(key);
  if (item == it->second.items.end()) return std::nullopt;
  return item->second;
}

std::vector<Item> MetadataStore::List(std::string_view module) const {
  std::lock_guard lock(mu_);
  std::vector<Item> out;
  auto it = modules_.find(module);
  if (it == modules_.end()) return out;
  for (const auto& [k, item] : it->second.items) out.push_back(item);
  return out;
}

uint64_t MetadataStore::Version(std::string_view module) const {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module);
  return it == modules_.end() ? 0 : it->second.version;
}

void MetadataStore::Subscribe(std::string_view module, std::function<void()> listener) {
  std::lock_guard lock(mu_);
  auto it = modules_.find(module);
  if (it == modules_.end()) it = modules_.emplace(std::string(module), Module{}).first;
  it->second.listeners.push_back(std::move(listener));
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
