#include "cluster/cluster.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/node_id.h"
#include "base/result_code.h"
#include "cluster/fabric_service.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/server_builder.h"

namespace tern::cluster {

namespace {

std::vector<std::string> NamespaceNames(const base::Config& config) {
  std::vector<std::string> out;
  for (const auto& n : config.namespaces) out.push_back(n.name);
  return out;
}

std::vector<NamespaceSpec> Specs(const base::Config& config) {
  std::vector<NamespaceSpec> out;
  for (const auto& n : config.namespaces) out.push_back({n.name, n.replication_factor});
  return out;
}

}  // namespace

Cluster::Cluster(SelfInfo self, const base::Config& config)
    : self_(std::move(self)),
      config_(config.cluster),
      holdings_(NamespaceNames(config)),
      membership_(
          std::make_unique<Membership>(self_, config.cluster, Specs(config), holdings_, fabric_)) {}

Cluster::~Cluster() { Stop(); }

void Cluster::AttachMetadata(smd::MetadataStore* store) {
  metadata_sync_ = std::make_unique<MetadataSync>(config_, *membership_, fabric_, *store);
}

absl::Status Cluster::Start(const std::string& address, uint16_t fabric_port) {
  if (!data_) return absl::FailedPreconditionError("cluster: no local data attached");
  migrator_ = std::make_unique<Migrator>(
      config_, *membership_, holdings_, fabric_, *data_,
      [this](std::string_view ns, uint32_t p, const base::Digest& d, std::string_view image) {
        return Replicate(ns, p, d, image);
      });
  service_ = std::make_unique<FabricService>(*this);
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(absl::StrCat(address, ":", fabric_port),
                           grpc::InsecureServerCredentials(), &bound);
  builder.SetMaxReceiveMessageSize(256 << 20);
  // Accept the peers' keepalive pings (FabricClient) without counting them as abuse.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kFabricKeepaliveMs / 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || bound == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ":", fabric_port, " (fabric)"));
  }
  membership_->OnViewChange([this](std::shared_ptr<const View>) { migrator_->Wake(); });
  membership_->Start();
  migrator_->Start();
  if (metadata_sync_) metadata_sync_->Start();
  return absl::OkStatus();
}

void Cluster::Stop() {
  if (metadata_sync_) metadata_sync_->Stop();
  if (migrator_) migrator_->Stop();
  membership_->Stop();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    server_.reset();
  }
}

Route Cluster::RouteOf(std::string_view ns, uint32_t partition, bool write) const {
  auto v = membership_->view();
  if (!v || v->self < 0) return Route{Route::kUnavailable, {}};
  const NamespaceTable* t = v->Table(ns);
  if (!t || t->copies == 0) return Route{};  // the engine answers "namespace not found"
  const uint8_t acting = t->ActingOf(partition);
  if (acting == v->self) return Route{};
  if (!write && t->IsOwner(partition, static_cast<uint8_t>(v->self))) {
    const int n = holdings_.IndexOf(ns);
    if (n >= 0 && holdings_.Full(n, partition)) return Route{};
  }
  proxies_.fetch_add(1, std::memory_order_relaxed);
  return Route{Route::kProxy, v->addresses[acting].fabric};
}

bool Cluster::Serves(std::string_view ns, uint32_t partition) const {
  auto v = membership_->view();
  if (!v || v->self < 0) return false;
  const NamespaceTable* t = v->Table(ns);
  if (!t) return true;  // unknown namespace: the scan itself reports it
  const int n = holdings_.IndexOf(ns);
  if (n < 0 || !holdings_.Full(n, partition)) return false;
  return t->ActingOf(partition) == v->self;
}

absl::Status Cluster::Replicate(std::string_view ns, uint32_t partition, const base::Digest& digest,
                                std::string_view image) {
  const int64_t start = base::MonotonicNs();
  const int64_t deadline = start + int64_t{config_.replication_timeout_ms} * 1000000;
  std::vector<uint64_t> done;  // node ids that have the write
  while (true) {
    auto v = membership_->view();
    if (!v || v->self < 0) return absl::OkStatus();
    const NamespaceTable* t = v->Table(ns);
    if (!t) return absl::OkStatus();
    std::vector<uint8_t> targets;
    for (uint8_t o : t->OwnersOf(partition)) {
      if (o != v->self && std::find(done.begin(), done.end(), v->members[o].id) == done.end()) {
        targets.push_back(o);
      }
    }
    if (targets.empty()) break;
    auto replies = SendReplicas(*v, targets, ns, digest, image);
    bool retry = false;
    for (size_t i = 0; i < targets.size(); ++i) {
      const uint64_t id = v->members[targets[i]].id;
      const auto& r = replies[i];
      if (r.status.ok() && r.reply.result() == 0) {
        done.push_back(id);
        continue;
      }
      // A replica that has left the cluster no longer counts (the next view re-replicates).
      bool alive = false;
      for (const PeerStatus& p : membership_->Peers()) alive = alive || (p.id == id && p.alive);
      if (!alive) {
        done.push_back(id);
        continue;
      }
      if (r.status.ok() &&
          r.reply.result() == static_cast<uint32_t>(base::ResultCode::kClusterKeyMismatch) &&
          base::MonotonicNs() < deadline) {
        retry = true;  // the views are changing: send again under the next one
        continue;
      }
      if (!r.status.ok()) {
        return base::MakeError(
            base::ResultCode::kTimeout,
            absl::StrCat("replica ", base::NodeName(id),
                         " did not confirm the write: ", r.status.error_message()));
      }
      return base::MakeError(static_cast<base::ResultCode>(r.reply.result()),
                             absl::StrCat("replica ", base::NodeName(id), " refused the write"));
    }
    if (!retry) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  replica_writes_.fetch_add(1, std::memory_order_relaxed);
  if (on_replicated_) on_replicated_((base::MonotonicNs() - start) / 1e9);
  return absl::OkStatus();
}

std::vector<Answer<fabric::v1::ReplicateReply>> Cluster::SendReplicas(
    const View& v, const std::vector<uint8_t>& targets, std::string_view ns,
    const base::Digest& digest, std::string_view image) {
  fabric::v1::ReplicateRequest req;
  req.set_cluster_key(v.key);
  req.mutable_record()->set_ns(std::string(ns));
  req.mutable_record()->set_digest(reinterpret_cast<const char*>(digest.bytes.data()),
                                   base::kDigestSize);
  req.mutable_record()->set_stored(std::string(image));
  std::vector<std::string> addresses;
  for (uint8_t t : targets) addresses.push_back(v.addresses[t].fabric);
  return fabric_.CallAll(addresses, req, &fabric::v1::Fabric::Stub::AsyncReplicate,
                         std::chrono::milliseconds(config_.replication_timeout_ms));
}

absl::Status Cluster::ApplyReplica(const fabric::v1::ReplicateRequest& req) {
  if (!data_) return base::MakeError(base::ResultCode::kServerError, "not ready");
  const auto& r = req.record();
  if (r.digest().size() != base::kDigestSize) {
    return base::MakeError(base::ResultCode::kParameterError, "bad digest");
  }
  base::Digest d;
  std::copy(r.digest().begin(), r.digest().end(), d.bytes.begin());
  // A write sent under another view (the sender's or ours is about to change) is refused;
  // the master sends it again under the next one.
  auto v = membership_->view();
  if (!v || v->key != req.cluster_key()) {
    return base::MakeError(base::ResultCode::kClusterKeyMismatch, "cluster key mismatch");
  }
  const uint32_t p = base::PartitionOf(d);
  if (r.stored().empty()) migrator_->NoteDelete(r.ns(), p, d);
  auto applied = data_->ApplyImage(r.ns(), d, r.stored(), /*merge=*/false);
  return applied.status();
}

absl::Status Cluster::Proxy(const std::string& fabric_address, const fabric::v1::ProxyRequest& req,
                            fabric::v1::ProxyReply* reply) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(config_.replication_timeout_ms * 2));
  grpc::Status s = fabric_.StubFor(fabric_address)->Proxy(&ctx, req, reply);
  if (!s.ok()) {
    return base::MakeError(base::ResultCode::kTimeout,
                           absl::StrCat("proxy to ", fabric_address, ": ", s.error_message()));
  }
  return absl::OkStatus();
}

void Cluster::SetSqlHandler(SqlHandler handler) {
  std::unique_lock lock(sql_mu_);
  sql_handler_ = std::move(handler);
}

std::vector<Answer<fabric::v1::SqlShareReply>> Cluster::ShareSql(
    const fabric::v1::SqlShare& share, std::chrono::milliseconds timeout) {
  auto v = membership_->view();
  std::vector<std::string> addresses;
  if (v) {
    for (size_t i = 0; i < v->members.size(); ++i) {
      if (static_cast<int>(i) != v->self) addresses.push_back(v->addresses[i].fabric);
    }
  }
  if (addresses.empty()) return {};
  return fabric_.CallAll(addresses, share, &fabric::v1::Fabric::Stub::AsyncSql, timeout);
}

ClusterStats Cluster::Stats() const {
  ClusterStats s;
  auto v = membership_->view();
  if (v) {
    s.size = static_cast<uint32_t>(v->members.size());
    s.key = v->key;
  }
  s.integrity = membership_->integrity();
  s.principal = membership_->principal();
  s.migrations_remaining = migrator_ ? migrator_->remaining() : 0;
  s.proxies = proxies_.load();
  s.replica_writes = replica_writes_.load();
  if (migrator_) {
    s.migrate_records_sent = migrator_->records_sent();
    s.migrate_records_received = migrator_->records_received();
  }
  return s;
}

}  // namespace tern::cluster
