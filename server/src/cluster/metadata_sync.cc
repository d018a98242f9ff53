#include "cluster/metadata_sync.h"

#include "base/logging.h"
#include "base/strings.h"

namespace tern::cluster {

namespace {

void ToProto(const smd::Snapshot& items, fabric::v1::SmdExchange* out) {
  for (const auto& [module, list] : items) {
    for (const smd::Item& item : list) {
      fabric::v1::SmdItem* p = out->add_items();
      p->set_module(module);
      p->set_key(item.key);
      p->set_value(item.value);
      p->set_stamp(item.stamp);
      p->set_origin(item.origin);
      p->set_deleted(item.deleted);
    }
  }
}

smd::Snapshot FromProto(const fabric::v1::SmdExchange& in) {
  smd::Snapshot out;
  for (const fabric::v1::SmdItem& p : in.items()) {
    out[p.module()].push_back(smd::Item{p.key(), p.value(), p.stamp(), p.origin(), p.deleted()});
  }
  return out;
}

}  // namespace

MetadataSync::MetadataSync(const base::ClusterConfig& config, Membership& membership,
                           FabricClient& fabric, smd::MetadataStore& store)
    : config_(config), membership_(membership), fabric_(fabric), store_(store) {
  membership_.SetMetadataDigest([this] { return store_.Digest(); });
}

void MetadataSync::Start() {
  store_.OnLocalChange(
      [this](const std::string& module, const smd::Item& item) { Push(module, item); });
  thread_ = std::thread([this] { Loop(); });
}

void MetadataSync::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  store_.OnLocalChange(nullptr);
}

void MetadataSync::Push(const std::string& module, const smd::Item& item) {
  std::vector<std::string> peers;
  for (const PeerStatus& p : membership_.Peers()) {
    if (p.alive) peers.push_back(p.addresses.fabric);
  }
  if (peers.empty()) return;
  fabric::v1::SmdExchange req;
  ToProto({{module, {item}}}, &req);
  auto answers = fabric_.CallAll(peers, req, &fabric::v1::Fabric::Stub::AsyncSmd,
                                 std::chrono::milliseconds(config_.replication_timeout_ms));
  for (size_t i = 0; i < peers.size(); ++i) {
    // Not an error for the caller: the change is durable here, and the digest in our
    // heartbeats brings it to that peer once it answers again.
    if (!answers[i].status.ok()) {
      base::Logger("smd")->warn("metadata change {}/{} not confirmed by {}: {}", module, item.key,
                                peers[i], answers[i].status.error_message());
    }
  }
}

fabric::v1::SmdExchange MetadataSync::OnExchange(const fabric::v1::SmdExchange& req) {
  if (auto merged = store_.Merge(FromProto(req)); !merged.ok()) {
    base::Logger("smd")->error("cannot merge metadata from a peer: {}",
                               base::Std(merged.status().message()));
  }
  fabric::v1::SmdExchange reply;
  if (req.want_all()) ToProto(store_.All(), &reply);
  return reply;
}

void MetadataSync::RepairRound() {
  const uint64_t ours = store_.Digest();
  for (const PeerStatus& p : membership_.Peers()) {
    if (!p.alive || p.smd_digest == ours || p.smd_digest == 0) continue;
    fabric::v1::SmdExchange req;
    req.set_want_all(true);
    ToProto(store_.All(), &req);
    auto answers = fabric_.CallAll({p.addresses.fabric}, req, &fabric::v1::Fabric::Stub::AsyncSmd,
                                   std::chrono::milliseconds(config_.replication_timeout_ms));
    if (!answers[0].status.ok()) continue;
    exchanges_.fetch_add(1);
    if (auto merged = store_.Merge(FromProto(answers[0].reply)); !merged.ok()) {
      base::Logger("smd")->error("cannot merge metadata from {}: {}", p.addresses.fabric,
                                 base::Std(merged.status().message()));
    } else if (*merged > 0) {
      base::Logger("smd")->info("adopted {} metadata changes from {}", *merged, p.addresses.fabric);
    }
  }
}

void MetadataSync::Loop() {
  // Every other heartbeat: a digest seen in a beat is at most one interval old, and a
  // mismatch right after a push settles by itself once the push lands.
  const auto period = std::chrono::milliseconds(config_.heartbeat_interval_ms * 2);
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    RepairRound();
    lock.lock();
  }
}

}  // namespace tern::cluster
