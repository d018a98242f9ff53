#include "query/index_catalog.h"

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
    : catalog_(catalog), store_(store), builder_([this](std::stop_token st) { BuildLoop(st); }) {}

IndexCatalog::~IndexCatalog() {
  builder_.request_stop();
  cv_.notify_all();
}

void IndexCatalog::Load() {
  for (const smd::Item& item : store_.List(kModule)) {
    index::SindexDef def;
    ns::Namespace* ns = nullptr;
    if (!index::SindexDef::Parse(item.value, &def) || !(ns = catalog_.Find(def.ns))) {
      base::Logger("query")->warn("skipping secondary index definition {}", item.key);
      continue;
    }
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
  std::lock_guard lock(mu_);
  if (auto existing = ns->FindSindex(def.name)) {
    if (existing->def() == def) return absl::OkStatus();
    return MakeError(ResultCode::kIndexFound,
                     absl::StrCat("index ", def.name, " exists with another definition"));
  }
  if (absl::Status s = store_.Set(kModule, KeyOf(def.ns, def.name), def.Serialize()); !s.ok())
    return s;
  builds_.emplace_back(ns, ns->AddSindex(def));
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status IndexCatalog::Drop(std::string_view ns_name, std::string_view name) {
  ns::Namespace* ns = catalog_.Find(ns_name);
  if (!ns) return MakeError(ResultCode::kNamespaceNotFound, "namespace not found");
  std::lock_guard lock(mu_);
  if (!ns->FindSindex(name)) return MakeError(ResultCode::kIndexNotFound, "no such index");
  if (absl::Status s = store_.Remove(kModule, KeyOf(ns_name, name)); !s.ok()) return s;
  ns->DropSindex(name);
  return absl::OkStatus();
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
