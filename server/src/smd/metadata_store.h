// System metadata (SMD): small definitions every node of a cluster must agree on — UDF modules,
// secondary index definitions, truncations. Each module ("udf", "sindex", "truncate") is a map
// of key → value persisted under <data_dir>/smd/<module>.json, so a restarted node has it at
// once.
//
// Cluster-wide agreement without a coordinator: every change carries a stamp from a hybrid
// clock (wall-clock milliseconds, bumped past any stamp seen) and the id of the node that made
// it; a removal stays as a tombstone. Merging keeps, per key, the change with the highest
// (stamp, origin), so nodes that exchange their items in any order, any number of times,
// end up identical — including a node that was down or cut off when a change was made. The
// cluster layer pushes each local change to the peers and exchanges whole modules with a peer
// whose digest (in its heartbeat) differs.
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
  uint64_t stamp = 0;    // hybrid clock: ms << 16 | counter; orders changes cluster-wide
  uint64_t origin = 0;   // node id that made the change: breaks stamp ties
  bool deleted = false;  // a removal, kept so it reaches nodes that missed it

  // Whether this change supersedes `other` (same key).
  bool Newer(const Item& other) const {
    return stamp != other.stamp ? stamp > other.stamp : origin > other.origin;
  }
};

// Every item of every module, tombstones included (what the fabric moves).
using Snapshot = std::map<std::string, std::vector<Item>, std::less<>>;

class MetadataStore {
 public:
  // Loads every module persisted under `dir` (created if missing). `origin` is this node's id,
  // stamped on its own changes.
  static absl::StatusOr<std::unique_ptr<MetadataStore>> Open(std::string dir, uint64_t origin = 0);

  // Sets or replaces an item; durable (fsync'd file) before it returns.
  absl::Status Set(std::string_view module, std::string_view key, std::string_view value);
  // Removes an item; removing a missing item is not an error (and changes nothing).
  absl::Status Remove(std::string_view module, std::string_view key);
  // Adopts the items that supersede what this node has; durable before it returns. Returns
  // how many were adopted.
  absl::StatusOr<size_t> Merge(const Snapshot& items);

  // Live items only (no tombstones).
  std::optional<Item> Get(std::string_view module, std::string_view key) const;
  std::vector<Item> List(std::string_view module) const;
  // Grows with every change to the module on this node (local or merged).
  uint64_t Version(std::string_view module) const;

  Snapshot All() const;
  // A hash of every item's key, stamp and origin: equal digests mean equal contents.
  uint64_t Digest() const;

  // Called after every change of `module` (with the store unlocked), local or merged.
  void Subscribe(std::string_view module, std::function<void()> listener);
  // Called after each change made on this node (not merged ones), with the store unlocked —
  // the cluster layer sends it to the peers from here.
  void OnLocalChange(std::function<void(const std::string& module, const Item&)> fn);

 private:
  struct Module {
    uint64_t version = 0;
    std::map<std::string, Item, std::less<>> items;
    std::vector<std::function<void()>> listeners;
  };

  MetadataStore(std::string dir, uint64_t origin) : dir_(std::move(dir)), origin_(origin) {}
  absl::Status Persist(const std::string& name, const Module& m) const;
  // Stores one local change (a set, or a tombstone).
  absl::Status Change(std::string_view module, std::string_view key, std::string_view value,
                      bool deleted);
  uint64_t NextStamp();  // with mu_ held
  void Notify(std::string_view module);

  const std::string dir_;
  const uint64_t origin_;
  mutable std::mutex mu_;
  uint64_t clock_ = 0;  // the highest stamp made or seen
  std::map<std::string, Module, std::less<>> modules_;
  std::function<void(const std::string&, const Item&)> on_local_change_;
};

}  // namespace tern::smd
