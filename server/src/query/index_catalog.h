// Secondary-index definitions: created and dropped through the info protocol (and the admin
// API), kept in system metadata (module "sindex") so every node of the cluster — and every
// restart — builds the same indexes, and filled from existing records by a background
// builder. The namespaces' indexes follow the metadata (Reconcile), whichever node a create or
// drop reached. Each index lives in its namespace (ns::Namespace), which keeps it exact on
// every write.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "index/secondary_index.h"
#include "ns/catalog.h"
#include "smd/metadata_store.h"

namespace tern::query {

class IndexCatalog {
 public:
  IndexCatalog(ns::Catalog& catalog, smd::MetadataStore& store);
  ~IndexCatalog();

  // Makes every namespace's indexes match the metadata: adds (and builds in the background)
  // the missing ones, drops the removed ones. At start and after every metadata change.
  void Reconcile();

  // The same definition again is fine; the name with another definition is kIndexFound.
  absl::Status Create(const index::SindexDef& def);
  // kIndexNotFound when there is no such index.
  absl::Status Drop(std::string_view ns, std::string_view name);

 private:
  void BuildLoop(std::stop_token stop);
  void Schedule(ns::Namespace* ns, std::shared_ptr<index::SecondaryIndex> index);

  ns::Catalog& catalog_;
  smd::MetadataStore& store_;
  std::mutex admin_mu_;      // serialises create/drop
  std::mutex reconcile_mu_;  // serialises Reconcile
  std::mutex mu_;            // guards the build queue
  std::condition_variable_any cv_;
  std::deque<std::pair<ns::Namespace*, std::shared_ptr<index::SecondaryIndex>>> builds_;
  std::jthread builder_;
};

}  // namespace tern::query
