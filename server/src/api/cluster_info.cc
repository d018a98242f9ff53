#include "api/cluster_info.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/info_commands.h"
#include "base/node_id.h"

namespace tern::api {

using base::ResultCode;

namespace {

std::string Base64(const cluster::PartitionBits& bits) {
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(bits.data()), bits.size()));
}

}  // namespace

std::vector<cluster::PartitionBits> ClusterInfo::Columns(std::string_view ns,
                                                         uint32_t max_columns) const {
  std::vector<cluster::PartitionBits> columns;
  if (!cluster_) {
    columns.emplace_back().fill(0xff);  // a cluster of one owns everything
    return columns;
  }
  auto v = cluster_->view();
  const cluster::NamespaceTable* t = v ? v->Table(ns) : nullptr;
  if (!t || v->self < 0 || t->copies == 0) {
    columns.emplace_back().fill(0);  // not in a cluster yet: nothing
    return columns;
  }
  columns.resize(std::min(t->copies, std::max<uint32_t>(max_columns, 1)));
  for (auto& c : columns) c.fill(0);
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    auto order = t->ClientOrder(p);
    for (size_t i = 0; i < order.size() && i < columns.size(); ++i) {
      if (order[i] == v->self) cluster::SetBit(columns[i], p, true);
    }
  }
  return columns;
}

std::string ClusterInfo::Replicas(bool with_regime, uint32_t max_columns) const {
  std::vector<std::string> parts;
  for (const auto& n : catalog_->namespaces()) {
    const auto columns = Columns(n->name(), max_columns);
    std::string entry = absl::StrCat(n->name(), ":", with_regime ? "0," : "", columns.size());
    for (const auto& c : columns) absl::StrAppend(&entry, ",", Base64(c));
    parts.push_back(std::move(entry));
  }
  return absl::StrJoin(parts, ";");
}

std::string ClusterInfo::ReplicasMaster() const {
  std::vector<std::string> parts;
  for (const auto& n : catalog_->namespaces()) {
    parts.push_back(absl::StrCat(n->name(), ":", Base64(Columns(n->name(), 1)[0])));
  }
  return absl::StrJoin(parts, ";");
}

uint64_t ClusterInfo::Generation() const {
  return cluster_ ? cluster_->membership().peers_generation() : 1;
}

std::string ClusterInfo::Peers() const {
  std::vector<std::string> peers;
  if (auto v = cluster_ ? cluster_->view() : nullptr) {
    for (size_t i = 0; i < v->members.size(); ++i) {
      if (static_cast<int>(i) == v->self) continue;
      peers.push_back(absl::StrCat("[", base::NodeName(v->members[i].id), ",,[",
                                   v->addresses[i].service, "]]"));
    }
  }
  return absl::StrCat(Generation(), ",3000,[", absl::StrJoin(peers, ","), "]");
}

std::string ClusterInfo::Services() const {
  std::vector<std::string> out;
  if (auto v = cluster_ ? cluster_->view() : nullptr) {
    for (size_t i = 0; i < v->members.size(); ++i) {
      if (static_cast<int>(i) != v->self) out.push_back(v->addresses[i].service);
    }
  }
  return absl::StrJoin(out, ";");
}

uint32_t ClusterInfo::Size() const { return cluster_ ? cluster_->Stats().size : 1; }

std::string ClusterInfo::StatisticsFields() const {
  if (!cluster_) {
    return "cluster_size=1;cluster_key=0;cluster_integrity=true;migrate_allowed=true;"
           "migrate_partitions_remaining=0";
  }
  cluster::ClusterStats s = cluster_->Stats();
  return absl::StrCat("cluster_size=", s.size, ";cluster_key=", absl::StrCat(absl::Hex(s.key)),
                      ";cluster_integrity=", s.integrity ? "true" : "false",
                      ";cluster_principal=", base::NodeName(s.principal), ";migrate_allowed=true",
                      ";migrate_partitions_remaining=", s.migrations_remaining,
                      ";proxy_total=", s.proxies, ";replica_writes=", s.replica_writes,
                      ";migrate_records_sent=", s.migrate_records_sent,
                      ";migrate_records_received=", s.migrate_records_received,
                      ";quiesced=", cluster_->membership().quiesced() ? "true" : "false");
}

std::string ClusterInfo::ClusterStable(const Params& p) const {
  if (!cluster_) return "0";
  cluster::ClusterStats s = cluster_->Stats();
  if (auto it = p.find("size"); it != p.end()) {
    uint32_t want = 0;
    if (!absl::SimpleAtoi(it->second, &want)) {
      return InfoError(ResultCode::kParameterError, "size must be a number");
    }
    if (want != s.size) return "ERROR::cluster-not-specified-size";
  }
  if (s.key == 0 || !s.integrity) return "ERROR::unstable-cluster";
  const auto ignore = p.find("ignore-migrations");
  const bool ignore_migrations = ignore != p.end() && ignore->second == "true";
  if (!ignore_migrations) {
    uint32_t remaining = s.migrations_remaining;
    for (const auto& peer : cluster_->membership().Peers()) {
      if (peer.alive) remaining += peer.migrations_remaining;
    }
    if (remaining > 0) return "ERROR::unstable-cluster";
  }
  return absl::StrCat(absl::Hex(s.key));
}

std::string ClusterInfo::Quiesce(bool on) {
  if (!cluster_) return InfoError(ResultCode::kUnsupportedFeature, "not in a cluster");
  cluster_->membership().SetQuiesced(on);
  return "ok";
}

std::string ClusterInfo::Recluster() {
  if (!cluster_) return "ok";
  if (cluster_->membership().principal() != cluster_->self_id()) return "ignored-by-non-principal";
  cluster_->membership().Recluster();
  return "ok";
}

std::string ClusterInfo::Tip(const Params& p) {
  if (!cluster_) return InfoError(ResultCode::kUnsupportedFeature, "not in a cluster");
  auto host = p.find("host");
  if (host == p.end() || host->second.empty()) {
    return InfoError(ResultCode::kParameterError, "tip:host=<address>;port=<fabric port>");
  }
  auto port = p.find("port");
  cluster_->membership().AddSeed(port == p.end() ? host->second
                                                 : absl::StrCat(host->second, ":", port->second));
  return "ok";
}

std::string ClusterInfo::ForgetDeparted() {
  if (cluster_) cluster_->membership().ForgetDeparted();
  return "ok";
}

std::string ClusterInfo::ServiceConfig() const {
  if (!cluster_) return "migrate-fill-delay=0;migrate-max-records-per-sec=0";
  const cluster::Migrator& m = cluster_->migrator();
  return absl::StrCat("migrate-fill-delay=", m.fill_delay(),
                      ";migrate-max-records-per-sec=", m.max_records_per_sec());
}

std::string ClusterInfo::SetServiceConfig(const Params& p) {
  if (!cluster_) return InfoError(ResultCode::kUnsupportedFeature, "not in a cluster");
  std::vector<std::pair<std::string_view, uint32_t>> values;
  for (const auto& [k, v] : p) {
    if (k == "context") continue;
    uint32_t n = 0;
    if (k != "migrate-fill-delay" && k != "migrate-max-records-per-sec") {
      return InfoError(ResultCode::kParameterError, absl::StrCat("unknown service setting ", k));
    }
    if (!absl::SimpleAtoi(v, &n) || (k == "migrate-fill-delay" && n > 86400)) {
      return InfoError(ResultCode::kParameterError, absl::StrCat("invalid value for ", k));
    }
    values.emplace_back(k, n);
  }
  if (values.empty()) return InfoError(ResultCode::kParameterError, "nothing to set");
  cluster::Migrator& m = cluster_->migrator();
  for (const auto& [k, n] : values) {
    if (k == "migrate-fill-delay") {
      m.SetFillDelay(n);
    } else {
      m.SetMaxRecordsPerSec(n);
    }
  }
  return "ok";
}

}  // namespace tern::api
