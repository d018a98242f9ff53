#include "cluster/migrator.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/result_code.h"

namespace tern::cluster {

namespace {

constexpr size_t kChunkRecords = 512;
constexpr size_t kChunkBytes = 4 << 20;

}  // namespace

Migrator::Migrator(const base::ClusterConfig& config, Membership& membership, Holdings& holdings,
                   FabricClient& fabric, LocalData& data, ReplicateFn replicate)
    : config_(config),
      membership_(membership),
      holdings_(holdings),
      fabric_(fabric),
      data_(data),
      replicate_(std::move(replicate)),
      fill_delay_sec_(config.migrate_fill_delay_sec),
      max_records_per_sec_(config.migrate_max_records_per_sec) {}

Migrator::~Migrator() { Stop(); }

void Migrator::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Migrator::Stop() {
  if (stop_.exchange(true)) return;
  Wake();
  if (thread_.joinable()) thread_.join();
}

void Migrator::CancelStaleSend() {
  auto v = membership_.view();
  absl::MutexLock lock(&send_mu_);
  for (const auto& [ctx, target] : sending_) {
    bool target_in_view = false;
    if (v) {
      for (const auto& m : v->members) target_in_view = target_in_view || m.id == target.first;
    }
    // A stream to a node that left (or under a key that is gone) would otherwise block until
    // TCP gives up on it, holding every other migration back.
    if (stop_.load() || !v || v->key != target.second || !target_in_view) ctx->TryCancel();
  }
}

void Migrator::Wake() {
  CancelStaleSend();
  // Until the next plan, a new view counts as unfinished: `cluster-stable` must not answer
  // from the previous view's plan.
  if (remaining_.load() == 0) {
    remaining_.store(1);
    membership_.SetMigrationsRemaining(1);
  }
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void Migrator::Loop() {
  auto log = base::Logger("migrate");
  while (!stop_.load()) {
    {
      // Plan again on a view change, or every heartbeat interval (peers' holdings change
      // as their fills complete).
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&wake_),
                           absl::Milliseconds(config_.heartbeat_interval_ms));
      wake_ = false;
    }
    if (stop_.load()) break;
    auto v = membership_.view();
    if (!v || v->self < 0) continue;
    if (v->key != done_key_) {
      done_key_ = v->key;
      filled_.clear();
      merged_.clear();
      key_since_ns_ = base::MonotonicNs();
    }
    std::vector<Task> tasks = Plan(*v);
    remaining_.store(static_cast<uint32_t>(tasks.size()));
    membership_.SetMigrationsRemaining(static_cast<uint32_t>(tasks.size()));
    if (tasks.empty()) continue;
    const bool delayed =
        base::MonotonicNs() - key_since_ns_ < int64_t{fill_delay_sec_.load()} * 1000000000;
    // Streams go out kParallelStreams at a time: one alone leaves the link idle at every
    // partition boundary while the sender waits for the receiver's answer.
    std::vector<const Task*> batch;
    bool failed = false;
    auto flush = [&] {
      std::vector<absl::Status> results(batch.size());
      std::vector<std::thread> streams;
      for (size_t i = 0; i < batch.size(); ++i) {
        streams.emplace_back([&, i] { results[i] = Send(*v, *batch[i]); });
      }
      for (std::thread& t : streams) t.join();
      for (size_t i = 0; i < batch.size(); ++i) {
        const Task& t = *batch[i];
        if (!results[i].ok()) {
          log->warn("migrate {}/{} to {:x}: {}", holdings_.namespaces()[t.ns], t.partition,
                    v->members[t.target].id, std::string(results[i].message()));
          failed = true;  // plan again after the next beat
        } else if (remaining_.load() > 0) {
          remaining_.fetch_sub(1);
        }
      }
      batch.clear();
    };
    for (const Task& t : tasks) {
      if (stop_.load() || failed) break;
      auto now_view = membership_.view();
      if (!now_view || now_view->key != v->key || now_view->version != v->version) break;
      if (t.kind == Kind::kFill || t.kind == Kind::kMerge) {
        if (delayed) continue;
        batch.push_back(&t);
        if (batch.size() == kParallelStreams) flush();
        continue;
      }
      if (t.kind == Kind::kDrop) {
        const std::string& ns = holdings_.namespaces()[t.ns];
        holdings_.SetFull(t.ns, t.partition, false);
        if (absl::Status s = data_.DropPartition(ns, t.partition); !s.ok()) {
          log->warn("drop {}/{}: {}", ns, t.partition, std::string(s.message()));
        }
        if (remaining_.load() > 0) remaining_.fetch_sub(1);
      }
      // kHandoff waits for the principal.
    }
    if (!batch.empty()) flush();
  }
}

std::vector<Migrator::Task> Migrator::Plan(const View& v) {
  const auto peers = membership_.PeerHoldings();
  const uint8_t me = static_cast<uint8_t>(v.self);
  const int64_t now = base::MonotonicNs();
  // A peer's beat may not yet show a fill we just finished: wait a heartbeat timeout before
  // filling it again (it restarted and lost it).
  const int64_t refill_ns =
      int64_t{config_.heartbeat_interval_ms} * config_.heartbeat_timeout_beats * 1000000 * 2;
  std::vector<Task> tasks;
  for (size_t n = 0; n < holdings_.namespaces().size(); ++n) {
    const std::string& ns = holdings_.namespaces()[n];
    const NamespaceTable* t = v.Table(ns);
    if (!t || t->copies == 0) continue;
    std::vector<const PartitionBits*> full(v.members.size(), nullptr);
    for (size_t i = 0; i < v.members.size(); ++i) {
      auto it = peers.find(v.members[i].id);
      if (it != peers.end() && n < it->second.size() && it->second[n]) full[i] = &*it->second[n];
    }
    auto is_full = [&](uint8_t member, uint32_t p) {
      if (member == me) return holdings_.Full(n, p);
      return full[member] != nullptr && TestBit(*full[member], p);
    };
    for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
      const uint8_t acting = t->ActingOf(p);
      if (acting == me) {
        if (t->Fresh(p) && !holdings_.Full(n, p)) holdings_.SetFull(n, p, true);
        if (!holdings_.Full(n, p)) continue;
        for (uint8_t o : t->OwnersOf(p)) {
          if (o == me) continue;
          auto done = filled_.find({n, p, v.members[o].id});
          const bool filled = done != filled_.end();
          const bool diverged = v.lineage[o] != v.lineage[me];
          // A member whose beats stopped is about to leave the view, and one without this
          // namespace (a rolling restart is adding it) cannot take it: nothing to send them.
          if (full[o] == nullptr) continue;
          if ((!is_full(o, p) && (!filled || now - done->second > refill_ns)) ||
              (diverged && !filled)) {
            tasks.push_back(Task{Kind::kFill, n, p, o, diverged || t->Fresh(p)});
          }
        }
        if (!t->IsOwner(p, me)) tasks.push_back(Task{Kind::kHandoff, n, p, -1});
        continue;
      }
      const bool mine_full = holdings_.Full(n, p);
      if (!mine_full && data_.RecordsIn(ns, p) == 0) continue;
      const bool must_merge =
          (mine_full && v.lineage[me] != v.lineage[acting]) || (!mine_full && t->Fresh(p));
      if (must_merge && !merged_.count({n, p})) {
        tasks.push_back(Task{Kind::kMerge, n, p, acting});
        continue;
      }
      if (t->IsOwner(p, me)) continue;
      bool owners_full = true;
      for (uint8_t o : t->OwnersOf(p)) owners_full = owners_full && is_full(o, p);
      if (owners_full) tasks.push_back(Task{Kind::kDrop, n, p, -1});
    }
  }
  return tasks;
}

absl::Status Migrator::Send(const View& v, const Task& t) {
  const std::string& ns = holdings_.namespaces()[t.ns];
  grpc::ClientContext ctx;
  {
    absl::MutexLock lock(&send_mu_);
    sending_[&ctx] = {v.members[t.target].id, v.key};
  }
  struct Unregister {
    Migrator* m;
    grpc::ClientContext* ctx;
    ~Unregister() {
      absl::MutexLock lock(&m->send_mu_);
      m->sending_.erase(ctx);
    }
  } unregister{this, &ctx};
  fabric::v1::MigrateReply reply;
  auto stub = fabric_.StubFor(v.addresses[t.target].fabric);
  auto writer = stub->Migrate(&ctx, &reply);
  fabric::v1::MigrateChunk chunk;
  chunk.set_ns(ns);
  chunk.set_partition(t.partition);
  chunk.set_begin(true);
  chunk.set_complete(t.kind == Kind::kFill);
  chunk.set_replace(t.kind == Kind::kFill && !t.merge_fill);
  chunk.set_cluster_key(v.key);
  size_t bytes = 0;
  bool broken = false;
  uint64_t sent = 0;
  const int64_t start = base::MonotonicNs();
  // The throttle is per node: each of the parallel streams takes its share.
  const uint32_t limit = max_records_per_sec_.load();
  const uint32_t rps = limit == 0 ? 0 : std::max<uint32_t>(1, limit / kParallelStreams);
  absl::Status walk =
      data_.ForEachImage(ns, t.partition, [&](const base::Digest& d, std::string image) {
        auto* r = chunk.add_records();
        r->set_ns(ns);
        r->set_digest(reinterpret_cast<const char*>(d.bytes.data()), base::kDigestSize);
        bytes += image.size();
        r->set_stored(std::move(image));
        ++sent;
        if (chunk.records_size() >= static_cast<int>(kChunkRecords) || bytes >= kChunkBytes) {
          if (!writer->Write(chunk)) {
            broken = true;
            return false;
          }
          chunk.Clear();
          chunk.set_ns(ns);
          chunk.set_partition(t.partition);
          bytes = 0;
          if (rps > 0) {
            const int64_t due = start + static_cast<int64_t>(sent * 1e9 / rps);
            const int64_t wait = due - base::MonotonicNs();
            if (wait > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
          }
        }
        return !stop_.load();
      });
  chunk.set_done(!broken && walk.ok() && !stop_.load());
  if (!broken) writer->Write(chunk);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!walk.ok()) return walk;
  if (!s.ok() || broken) {
    return base::MakeError(base::ResultCode::kTimeout,
                           absl::StrCat("migration stream failed: ", s.error_message()));
  }
  if (reply.result() != 0) {
    return base::MakeError(static_cast<base::ResultCode>(reply.result()),
                           "the receiving node refused the migration");
  }
  records_sent_.fetch_add(sent);
  absl::MutexLock lock(&send_mu_);  // streams finish on their own threads
  if (t.kind == Kind::kFill) {
    filled_[{t.ns, t.partition, v.members[t.target].id}] = base::MonotonicNs();
  } else {
    merged_.insert({t.ns, t.partition});
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Migrator::Receive(
    absl::FunctionRef<bool(fabric::v1::MigrateChunk*)> next) {
  fabric::v1::MigrateChunk c;
  int ns = -1;
  uint32_t partition = 0;
  bool replace = false, complete = false, done = false;
  uint64_t applied = 0;
  auto bad = [](std::string msg) {
    return base::MakeError(base::ResultCode::kParameterError, std::move(msg));
  };
  while (next(&c)) {
    if (c.begin()) {
      ns = holdings_.IndexOf(c.ns());
      if (ns < 0) return bad(absl::StrCat("unknown namespace ", c.ns()));
      if (c.partition() >= base::kPartitionCount) return bad("partition out of range");
      partition = c.partition();
      replace = c.replace();
      complete = c.complete() || replace;
      if (complete) {
        absl::MutexLock lock(&fill_mu_);
        filling_[{static_cast<size_t>(ns), partition}].clear();
      }
      if (replace) {
        holdings_.SetFull(ns, partition, false);
        if (absl::Status s = data_.DropPartition(c.ns(), partition); !s.ok()) return s;
      }
    }
    if (ns < 0) return bad("migration stream without a start");
    const std::string& name = holdings_.namespaces()[ns];
    auto v = membership_.view();
    const NamespaceTable* t = v ? v->Table(name) : nullptr;
    const bool acting = t && v->self >= 0 && t->ActingOf(partition) == v->self;
    for (const auto& r : c.records()) {
      if (r.digest().size() != base::kDigestSize) return bad("bad digest");
      base::Digest d;
      std::copy(r.digest().begin(), r.digest().end(), d.bytes.begin());
      if (complete) {
        absl::MutexLock lock(&fill_mu_);
        auto it = filling_.find({static_cast<size_t>(ns), partition});
        if (it != filling_.end() && it->second.count(d)) continue;
      }
      auto ok = data_.ApplyImage(name, d, r.stored(), /*merge=*/true);
      if (!ok.ok()) return ok.status();
      if (*ok) {
        ++applied;
        // A merge into the acting master is a write its replicas must see too.
        if (!complete && acting) {
          if (absl::Status s = replicate_(name, partition, d, r.stored()); !s.ok()) return s;
        }
      }
    }
    if (c.done()) done = true;
  }
  if (complete) {
    absl::MutexLock lock(&fill_mu_);
    filling_.erase({static_cast<size_t>(ns), partition});
  }
  if (ns >= 0 && complete && done) holdings_.SetFull(ns, partition, true);
  records_received_.fetch_add(applied);
  if (!done) return base::MakeError(base::ResultCode::kTimeout, "migration stream ended early");
  return applied;
}

void Migrator::NoteDelete(std::string_view ns, uint32_t partition, const base::Digest& digest) {
  const int n = holdings_.IndexOf(ns);
  if (n < 0) return;
  absl::MutexLock lock(&fill_mu_);
  auto it = filling_.find({static_cast<size_t>(n), partition});
  if (it != filling_.end()) it->second.insert(digest);
}

}  // namespace tern::cluster
