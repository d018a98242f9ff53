// System metadata (SMD): small, versioned, node-wide definitions that every node must agree on
// — UDF modules now; index definitions, the roster and truncations later. Each module ("udf",
// ...) is a map of key → value persisted under <data_dir>/smd/<module>.json, so a restarted
// node has it at once. Cluster-wide sync rides on the fabric (cluster issue); listeners let a
// layer react to a change however it arrived.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tern::smd {

struct Item {
  std::string key;
  std::string value;
  uint64_t version = 0;  // the module's version when this item last changed
};

class MetadataStore {
 public:
  // Loads every module persisted under `dir` (created if missing).
  static absl::StatusOr<std::unique_ptr<MetadataStore>> Open(std::string dir);

  // Sets or replaces an item; durable (fsync'd file) before it returns.
  absl::Status Set(std::string_view module, std::string_view key, std::string_view value);
  // Removes an item; removing a missing item is not an error.
  absl::Status Remove(std::string_view module, std::string_view key);

  std::optional<Item> Get(std::string_view module, std::string_view key) const;
  std::vector<Item> List(std::string_view module) const;
  // Grows by one with every change to the module.
  uint64_t Version(std::string_view module) const;

  // Called after every change of `module` (with the store unlocked).
  void Subscribe(std::string_view module, std::function<void()> listener);

 private:
  struct Module {
    uint64_t version = 0;
    std::map<std::string, Item, std::less<>> items;
    std::vector<std::function<void()>> listeners;
  };

  explicit MetadataStore(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Persist(const std::string& name, const Module& m) const;
  void Notify(std::string_view module);

  std::string dir_;
  mutable std::mutex mu_;
  std::map<std::string, Module, std::less<>> modules_;
};

}  // namespace tern::smd
