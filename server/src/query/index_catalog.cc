#include "query/index_catalog.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/result_code.h"
#include "base/strings.h"

namespace tern::query {

using base::MakeError;
using base::ResultCode;

namespace {
constexpr std::string_view kModule = "sindex";

std::string KeyOf(std::string_view ns, std::string_view name) {
  return absl::StrCat(base::Absl(ns), "/", base::Absl(name));
}
}  // namespace

IndexCatalog::IndexCatalog(ns::Catalog& catalog, smd::MetadataStore& store)
    : catalog_(catalog), store_(store), builder_([this](std::stop_token st) { BuildLoop(st); }) {
  store_.Subscribe(kModule, [this] { Reconcile(); });
}

IndexCatalog::~IndexCatalog() {
  builder_.request_stop();
  cv_.notify_all();
}

void IndexCatalog::Reconcile() {
  std::lock_guard lock(reconcile_mu_);
  std::map<std::string, index::SindexDef> wanted;  // by ns/name
  for (const smd::Item& item : store_.List(kModule)) {
    index::SindexDef def;
    if (!index::SindexDef::Parse(item.value, &def) || !catalog_.Find(def.ns)) {
      base::Logger("query")->warn("skipping secondary index definition {}", item.key);
      continue;
    }
    wanted.emplace(item.key, std::move(def));
  }
  for (const auto& ns : catalog_.namespaces()) {
    auto current = ns->sindexes();  // null before the first index
    if (!current) continue;
    for (const auto& index : *current) {
      auto it = wanted.find(KeyOf(ns->name(), index->def().name));
      // Gone, or redefined by a later change elsewhere: drop (and re-add below).
      if (it == wanted.end() || !(it->second == index->def())) ns->DropSindex(index->def().name);
    }
  }
  for (const auto& [key, def] : wanted) {
    ns::Namespace* ns = catalog_.Find(def.ns);
    if (ns->FindSindex(def.name)) continue;
    Schedule(ns, ns->AddSindex(def));
  }
}

void IndexCatalog::Schedule(ns::Namespace* ns, std::shared_ptr<index::SecondaryIndex> index) {
  {
    std::lock_guard lock(mu_);
    builds_.emplace_back(ns, std::move(index));
  }
  cv_.notify_all();
}

absl::Status IndexCatalog::Create(const index::SindexDef& def) {
  ns::Namespace* ns = catalog_.Find(def.ns);
  if (!ns)
    return MakeError(ResultCode::kNamespaceNotFound,
                     absl::StrCat("namespace ", def.ns, " not found"));
  if (def.name.empty() || def.name.size() > 63 ||
      def.name.find_first_of("/;:\n") != std::string::npos) {
    return MakeError(ResultCode::kParameterError,
                     "index name must be 1-63 characters without / ; :");
  }
  if (def.collection == index::SindexCollection::kSet) {
    if (def.set.empty()) return MakeError(ResultCode::kParameterError, "a set index needs a set");
  } else if (!def.expression.empty()) {
    if (!def.bin.empty()) {
      return MakeError(ResultCode::kParameterError, "an expression index takes no bin");
    }
  } else if (def.bin.empty() || def.bin.size() > record::kMaxBinNameLength) {
    return MakeError(ResultCode::kBinNameError, "bin name must be 1-15 bytes");
  }
  std::lock_guard lock(admin_mu_);
  if (auto existing = store_.Get(kModule, KeyOf(def.ns, def.name))) {
    index::SindexDef old;
    if (index::SindexDef::Parse(existing->value, &old) && old == def) return absl::OkStatus();
    return MakeError(ResultCode::kIndexFound,
                     absl::StrCat("index ", def.name, " exists with another definition"));
  }
  // The metadata listener (Reconcile) adds the index here; the sync adds it on the peers.
  return store_.Set(kModule, KeyOf(def.ns, def.name), def.Serialize());
}

absl::Status IndexCatalog::Drop(std::string_view ns_name, std::string_view name) {
  if (!catalog_.Find(ns_name))
    return MakeError(ResultCode::kNamespaceNotFound, "namespace not found");
  std::lock_guard lock(admin_mu_);
  if (!store_.Get(kModule, KeyOf(ns_name, name)))
    return MakeError(ResultCode::kIndexNotFound, "no such index");
  return store_.Remove(kModule, KeyOf(ns_name, name));
}

void IndexCatalog::BuildLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::pair<ns::Namespace*, std::shared_ptr<index::SecondaryIndex>> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [&] { return !builds_.empty(); });
      if (stop.stop_requested()) return;
      job = builds_.front();
      builds_.pop_front();
    }
    job.first->BuildSindex(*job.second);
    base::Logger("query")->info("secondary index {}/{} built: {} entries", job.second->def().ns,
                                job.second->def().name, job.second->entries());
  }
}

}  // namespace tern::query
