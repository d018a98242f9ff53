#include "ns/catalog.h"

#include <chrono>
#include <filesystem>
#include <map>

#include "base/clock.h"
#include "base/logging.h"
#include "storage/flash_engine.h"
#include "storage/memory_engine.h"

namespace tern::ns {

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(const base::Config& config) {
  std::unique_ptr<Catalog> cat(new Catalog());
  // Group flash namespaces by directory: one RocksDB per directory, one family per namespace.
  std::map<std::string, std::vector<std::string>> families;
  auto dir_of = [&](const base::NamespaceConfig& n) {
    return n.data_dir.empty() ? (std::filesystem::path(config.node.data_dir) / "flash").string()
                              : n.data_dir;
  };
  for (const auto& n : config.namespaces) {
    if (n.storage == base::StorageKind::kFlash) families[dir_of(n)].push_back(n.name);
  }
  std::map<std::string, std::shared_ptr<storage::FlashDb>> dbs;
  for (const auto& [dir, names] : families) {
    auto db = storage::FlashDb::Open(dir, names);
    if (!db.ok()) return db.status();
    dbs[dir] = *db;
    cat->flash_dbs_.push_back(*db);
  }
  for (const auto& n : config.namespaces) {
    std::unique_ptr<storage::StorageEngine> engine;
    if (n.storage == base::StorageKind::kFlash) {
      engine = std::make_unique<storage::FlashEngine>(dbs[dir_of(n)], n.name);
    } else {
      engine = std::make_unique<storage::MemoryEngine>();
    }
    auto ns = std::make_unique<Namespace>(n, std::move(engine));
    if (absl::Status s = ns->Load(); !s.ok()) return s;
    cat->namespaces_.push_back(std::move(ns));
  }
  return cat;
}

Catalog::~Catalog() {
  if (sweeper_.joinable()) {
    sweeper_.request_stop();
    wake_.notify_all();
    sweeper_.join();
  }
  // Namespaces (and their engines) go before the databases they write to.
  namespaces_.clear();
  flash_dbs_.clear();
}

Namespace* Catalog::Find(std::string_view name) const {
  for (const auto& n : namespaces_) {
    if (n->name() == name) return n.get();
  }
  return nullptr;
}

size_t Catalog::IndexOf(const Namespace* ns) const {
  for (size_t i = 0; i < namespaces_.size(); ++i) {
    if (namespaces_[i].get() == ns) return i;
  }
  return namespaces_.size();
}

void Catalog::StartSweeper() {
  sweeper_ = std::jthread([this](std::stop_token st) { SweepLoop(st); });
}

void Catalog::WakeSweeper() {
  {
    std::lock_guard lock(mu_);
    wake_requested_ = true;
  }
  wake_.notify_all();
}

void Catalog::SweepLoop(std::stop_token stop) {
  auto log = base::Logger("ns");
  std::vector<int64_t> last(namespaces_.size(), base::MonotonicNs());
  while (!stop.stop_requested()) {
    bool forced;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, stop, std::chrono::seconds(1), [&] { return wake_requested_; });
      forced = std::exchange(wake_requested_, false);
    }
    if (stop.stop_requested()) break;
    int64_t now = base::MonotonicNs();
    for (size_t i = 0; i < namespaces_.size(); ++i) {
      Namespace& ns = *namespaces_[i];
      uint32_t period = ns.policy().nsup_period_sec.load();
      bool due = period > 0 && now - last[i] >= int64_t{period} * 1'000'000'000;
      if (!due && !forced) continue;
      last[i] = now;
      SweepResult r = ns.Sweep();
      if (r.expired || r.truncated || r.evicted) {
        log->debug("namespace {}: swept expired={} truncated={} evicted={}", ns.name(), r.expired,
                   r.truncated, r.evicted);
      }
    }
  }
}

}  // namespace tern::ns
