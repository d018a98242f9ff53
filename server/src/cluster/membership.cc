#include "cluster/membership.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/logging.h"
#include "grpcpp/completion_queue.h"

namespace tern::cluster {

namespace {

// "host" → "host:3001"; "host:port" stays.
std::string WithFabricPort(const std::string& address) {
  return address.find(':') == std::string::npos ? absl::StrCat(address, ":3001") : address;
}

uint64_t NewClusterKey() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t k = 0;
  while (k == 0) k = rng();
  return k;
}

fabric::v1::Member ToProto(const Member& m, const MemberAddresses& a, uint64_t lineage) {
  fabric::v1::Member out;
  out.set_id(m.id);
  out.set_rack_id(m.rack);
  out.set_quiesced(m.quiesced);
  out.set_fabric_address(a.fabric);
  out.set_service_address(a.service);
  out.set_grpc_address(a.grpc);
  out.set_lineage(lineage);
  return out;
}

bool SameMembers(const fabric::v1::View& v, const std::vector<fabric::v1::Member>& members) {
  if (v.members_size() != static_cast<int>(members.size())) return false;
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& a = v.members(static_cast<int>(i));
    const auto& b = members[i];
    // Quiescing is not a membership change: it takes effect at the next recluster.
    if (a.id() != b.id() || a.rack_id() != b.rack_id() ||
        a.fabric_address() != b.fabric_address() || a.service_address() != b.service_address() ||
        a.grpc_address() != b.grpc_address()) {
      return false;
    }
  }
  return true;
}

}  // namespace

Membership::Membership(SelfInfo self, const base::ClusterConfig& config,
                       std::vector<NamespaceSpec> ns, Holdings& holdings, FabricClient& fabric)
    : self_(std::move(self)),
      config_(config),
      ns_(std::move(ns)),
      holdings_(holdings),
      fabric_(fabric),
      started_ns_(base::MonotonicNs()) {
  for (const std::string& seed : config_.seeds) {
    std::string a = WithFabricPort(seed);
    if (a != self_.addresses.fabric &&
        std::find(targets_.begin(), targets_.end(), a) == targets_.end()) {
      targets_.push_back(std::move(a));
    }
  }
}

Membership::~Membership() { Stop(); }

void Membership::Start() {
  Tick();  // a node without seeds has its view before it serves anything
  thread_ = std::thread([this] { Loop(); });
}

void Membership::Stop() {
  if (stop_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
}

void Membership::Loop() {
  const auto interval = std::chrono::milliseconds(config_.heartbeat_interval_ms);
  while (!stop_.load()) {
    std::this_thread::sleep_for(interval);
    Tick();
  }
}

std::vector<const Membership::Peer*> Membership::LivePeers(int64_t now) const {
  const int64_t timeout_ns =
      int64_t{config_.heartbeat_interval_ms} * config_.heartbeat_timeout_beats * 1000000;
  std::vector<const Peer*> live;
  for (const auto& [id, p] : peers_) {
    if (now - p.last_ns <= timeout_ns) live.push_back(&p);
  }
  return live;
}

void Membership::Tick() {
  const int64_t now = base::MonotonicNs();
  std::shared_ptr<View> adopt;
  {
    absl::MutexLock lock(&mu_);
    std::vector<const Peer*> live = LivePeers(now);
    if (!joined_) {
      // Join once every seed has answered, or after one heartbeat timeout of silence (then
      // this node starts a cluster of its own).
      size_t answered = 0;
      for (const std::string& t : targets_) {
        for (const Peer* p : live) answered += p->beat.fabric_address() == t ? 1 : 0;
      }
      const int64_t wait_ns =
          int64_t{config_.heartbeat_interval_ms} * config_.heartbeat_timeout_beats * 1000000;
      joined_ = answered >= targets_.size() || now - started_ns_ >= wait_ns;
    }
    uint64_t principal = joined_ ? self_.id : 0;
    for (const Peer* p : live) {
      if (p->beat.joined()) principal = std::max<uint64_t>(principal, p->beat.node_id());
    }
    auto current = view();
    if (principal == self_.id && joined_) {
      const int64_t at = recluster_at_ns_.load();
      const bool recluster = at != 0 && now >= at;
      if (recluster) recluster_at_ns_.store(0);
      adopt = FormView(live, recluster);
    } else if (principal != 0) {
      const Peer& p = peers_.at(principal);
      if (p.beat.has_view()) {
        const auto& v = p.beat.view();
        bool in_view = false;
        for (const auto& m : v.members()) in_view = in_view || m.id() == self_.id;
        if (in_view &&
            (!current || current->key != v.cluster_key() || current->version != v.version())) {
          adopt = FromProto(v);
        }
      }
      published_.Clear();  // no longer principal: forget what we published
    }
  }
  if (adopt) Adopt(std::move(adopt));
  SendBeats();
}

std::shared_ptr<View> Membership::FormView(const std::vector<const Peer*>& live, bool recluster) {
  // Members: this node and every live peer, highest id first.
  std::vector<fabric::v1::Member> members;
  auto current = view();
  members.push_back(ToProto(Member{self_.id, self_.rack, quiesced_.load()}, self_.addresses,
                            current ? current->key : 0));
  for (const Peer* p : live) {
    const auto& b = p->beat;
    members.push_back(ToProto(Member{b.node_id(), b.rack_id(), b.quiesced()},
                              {b.fabric_address(), b.service_address(), b.grpc_address()},
                              b.cluster_key()));
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.id() > b.id(); });

  const bool new_key =
      recluster || published_.cluster_key() == 0 || !SameMembers(published_, members);
  fabric::v1::View next;
  if (new_key) {
    next.set_cluster_key(NewClusterKey());
  } else {
    next.set_cluster_key(published_.cluster_key());
    // Lineage and quiescing are fixed when the key forms.
    for (size_t i = 0; i < members.size(); ++i) {
      members[i].set_lineage(published_.members(static_cast<int>(i)).lineage());
      members[i].set_quiesced(published_.members(static_cast<int>(i)).quiesced());
    }
  }
  for (auto& m : members) *next.add_members() = m;

  std::vector<Member> plain;
  for (const auto& m : members) plain.push_back(Member{m.id(), m.rack_id(), m.quiesced()});
  for (size_t n = 0; n < ns_.size(); ++n) {
    NamespaceTable t = MakeOwners(plain, ns_[n].replication_factor);
    std::vector<PartitionBits> full(members.size(), PartitionBits{});
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i].id() == self_.id) {
        full[i] = holdings_.Snapshot(n);
        continue;
      }
      for (const Peer* p : live) {
        if (p->beat.node_id() != members[i].id()) continue;
        auto it = p->beat.full().find(ns_[n].name);
        if (it != p->beat.full().end() && it->second.size() == kBitmapBytes) {
          std::copy(it->second.begin(), it->second.end(), full[i].begin());
        }
      }
    }
    ChooseActing(plain, full, &t);
    (*next.mutable_acting())[ns_[n].name] = std::string(t.acting.begin(), t.acting.end());
  }
  bool changed = new_key;
  if (!changed) {
    for (const auto& [name, bytes] : next.acting()) {
      auto it = published_.acting().find(name);
      changed = changed || it == published_.acting().end() || it->second != bytes;
    }
  }
  if (!changed) return nullptr;
  next.set_version(published_.version() + 1);
  if (new_key) {
    auto log = base::Logger("cluster");
    log->info("principal: cluster key {:x}, {} node(s)", next.cluster_key(), members.size());
  }
  published_ = std::move(next);
  return FromProto(published_);
}

std::shared_ptr<View> Membership::FromProto(const fabric::v1::View& v) const {
  auto out = std::make_shared<View>();
  out->key = v.cluster_key();
  out->version = v.version();
  for (const auto& m : v.members()) {
    out->members.push_back(Member{m.id(), m.rack_id(), m.quiesced()});
    out->addresses.push_back({m.fabric_address(), m.service_address(), m.grpc_address()});
    out->lineage.push_back(m.lineage());
  }
  out->self = out->IndexOf(self_.id);
  for (const NamespaceSpec& ns : ns_) {
    NamespaceTable t = MakeOwners(out->members, ns.replication_factor);
    auto it = v.acting().find(ns.name);
    if (it != v.acting().end() && it->second.size() == base::kPartitionCount) {
      t.acting.assign(it->second.begin(), it->second.end());
      for (uint8_t& a : t.acting) {
        if ((a & ~kFreshFlag) >= out->members.size()) a &= kFreshFlag;  // malformed: member 0
      }
    }
    out->tables.emplace(ns.name, std::move(t));
  }
  return out;
}

void Membership::Adopt(std::shared_ptr<View> v) {
  auto old = view();
  if (!old || old->key != v->key) {
    auto log = base::Logger("cluster");
    log->info("adopted cluster key {:x}: {} node(s)", v->key, v->members.size());
  }
  std::shared_ptr<const View> frozen = std::move(v);
  std::atomic_store(&view_, frozen);
  peers_generation_.fetch_add(1);
  if (on_change_) on_change_(frozen);
}

fabric::v1::Beat Membership::MakeBeat() const {
  fabric::v1::Beat b;
  b.set_node_id(self_.id);
  b.set_cluster_name(self_.cluster_name);
  b.set_fabric_address(self_.addresses.fabric);
  b.set_service_address(self_.addresses.service);
  b.set_grpc_address(self_.addresses.grpc);
  b.set_rack_id(self_.rack);
  b.set_quiesced(quiesced_.load());
  auto v = view();
  b.set_cluster_key(v ? v->key : 0);
  b.set_migrations_remaining(migrations_remaining_.load());
  if (smd_digest_) b.set_smd_digest(smd_digest_());
  for (size_t n = 0; n < holdings_.namespaces().size(); ++n) {
    PartitionBits bits = holdings_.Snapshot(n);
    (*b.mutable_full())[holdings_.namespaces()[n]] = std::string(bits.begin(), bits.end());
  }
  absl::MutexLock lock(&mu_);
  b.set_joined(joined_);
  for (const std::string& t : targets_) b.add_known_peers(t);
  if (published_.cluster_key() != 0) *b.mutable_view() = published_;
  return b;
}

void Membership::Absorb(const fabric::v1::Beat& beat) {
  if (beat.node_id() == self_.id || beat.cluster_name() != self_.cluster_name) return;
  absl::MutexLock lock(&mu_);
  Peer& p = peers_[beat.node_id()];
  p.beat = beat;
  p.last_ns = base::MonotonicNs();
  auto learn = [&](const std::string& address) {
    if (address.empty() || address == self_.addresses.fabric) return;
    if (std::find(targets_.begin(), targets_.end(), address) == targets_.end()) {
      targets_.push_back(address);
    }
  };
  learn(beat.fabric_address());
  for (const std::string& a : beat.known_peers()) learn(a);
}

fabric::v1::Beat Membership::OnBeat(const fabric::v1::Beat& beat) {
  Absorb(beat);
  return MakeBeat();
}

void Membership::SendBeats() {
  std::vector<std::string> targets;
  {
    absl::MutexLock lock(&mu_);
    targets = targets_;
  }
  // One round at a time: every answer (or its deadline) before the next tick.
  auto answers = fabric_.CallAll(targets, MakeBeat(), &fabric::v1::Fabric::Stub::AsyncHeartbeat,
                                 std::chrono::milliseconds(config_.heartbeat_interval_ms * 2));
  for (const auto& a : answers) {
    if (a.status.ok()) Absorb(a.reply);
  }
}

std::map<uint64_t, std::vector<std::optional<PartitionBits>>> Membership::PeerHoldings() const {
  std::map<uint64_t, std::vector<std::optional<PartitionBits>>> out;
  absl::MutexLock lock(&mu_);
  for (const Peer* p : LivePeers(base::MonotonicNs())) {
    auto& bits = out[p->beat.node_id()];
    bits.resize(ns_.size());
    for (size_t n = 0; n < ns_.size(); ++n) {
      auto it = p->beat.full().find(ns_[n].name);
      if (it == p->beat.full().end()) continue;  // every beat lists each namespace it has
      bits[n].emplace();
      if (it->second.size() == kBitmapBytes) {
        std::copy(it->second.begin(), it->second.end(), bits[n]->begin());
      }
    }
  }
  return out;
}

std::vector<PeerStatus> Membership::Peers() const {
  std::vector<PeerStatus> out;
  absl::MutexLock lock(&mu_);
  auto live = LivePeers(base::MonotonicNs());
  for (const auto& [id, p] : peers_) {
    PeerStatus s;
    s.id = id;
    s.addresses = {p.beat.fabric_address(), p.beat.service_address(), p.beat.grpc_address()};
    s.cluster_key = p.beat.cluster_key();
    s.migrations_remaining = p.beat.migrations_remaining();
    s.smd_digest = p.beat.smd_digest();
    s.alive = std::find(live.begin(), live.end(), &p) != live.end();
    out.push_back(std::move(s));
  }
  return out;
}

bool Membership::integrity() const {
  auto v = view();
  if (!v) return false;
  for (const PeerStatus& p : Peers()) {
    if (p.alive && p.cluster_key != v->key) return false;
  }
  return true;
}

uint64_t Membership::principal() const {
  auto v = view();
  return v && !v->members.empty() ? v->members[0].id : 0;
}

void Membership::Recluster() {
  recluster_at_ns_.store(base::MonotonicNs() +
                         int64_t{config_.heartbeat_interval_ms} * 2 * 1000000);
}

void Membership::ForgetDeparted() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keep;
  for (const std::string& seed : config_.seeds) keep.push_back(WithFabricPort(seed));
  for (const Peer* p : LivePeers(base::MonotonicNs())) keep.push_back(p->beat.fabric_address());
  targets_.clear();
  for (auto& a : keep) {
    if (a != self_.addresses.fabric &&
        std::find(targets_.begin(), targets_.end(), a) == targets_.end()) {
      targets_.push_back(a);
    }
  }
  const int64_t now = base::MonotonicNs();
  auto live = LivePeers(now);
  for (auto it = peers_.begin(); it != peers_.end();) {
    bool alive = std::find(live.begin(), live.end(), &it->second) != live.end();
    it = alive ? std::next(it) : peers_.erase(it);
  }
}

void Membership::AddSeed(const std::string& address) {
  absl::MutexLock lock(&mu_);
  std::string a = WithFabricPort(address);
  if (a != self_.addresses.fabric &&
      std::find(targets_.begin(), targets_.end(), a) == targets_.end())
    targets_.push_back(a);
}

}  // namespace tern::cluster
