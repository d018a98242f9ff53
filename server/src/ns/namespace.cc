#include "ns/namespace.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/result_code.h"
#include "base/strings.h"

namespace tern::ns {

using base::Absl;
using base::MakeError;
using base::ResultCode;

namespace {

constexpr std::string_view kTruncateKey = "truncate";
constexpr int64_t kMaxTtlSeconds = 315360000;  // 10 years, as Aerospike

bool ParseBool(std::string_view s, bool* out) {
  if (s == "true" || s == "yes" || s == "1") return *out = true, true;
  if (s == "false" || s == "no" || s == "0") return *out = false, true;
  return false;
}

// "default-ttl" and "default_ttl" name the same policy.
std::string Canonical(std::string_view key) {
  std::string k(key);
  std::replace(k.begin(), k.end(), '-', '_');
  return k;
}

}  // namespace

Namespace::Namespace(const base::NamespaceConfig& config,
                     std::unique_ptr<storage::StorageEngine> engine)
    : config_(config),
      index_(config.sprigs_per_partition),
      storage_(std::move(engine)),
      record_locks_(new absl::Mutex[kRecordLockStripes]),
      apply_locks_(new absl::Mutex[kRecordLockStripes]) {
  policy_.default_ttl = config.default_ttl;
  policy_.max_record_size = config.max_record_size;
  policy_.memory_size = config.memory_size;
  policy_.disk_size = config.disk_size;
  policy_.stop_writes_pct = config.stop_writes_pct;
  policy_.evict_pct = config.evict_pct;
  policy_.nsup_period_sec = config.nsup_period_sec;
  for (const auto& s : config.sets) {
    auto id = sets_.IdFor(s.name);
    if (!id.ok()) continue;  // the config parser already bounds set names
    SetInfo* info = sets_.Get(*id);
    info->default_ttl = s.default_ttl.value_or(-1);
    info->stop_writes_count = s.stop_writes_count;
    info->disable_eviction = s.disable_eviction;
  }
}

Namespace::~Namespace() {
  // Memory-engine handles own record bodies: give them back.
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    index_.RemoveIf(
        p, [](const index::IndexEntry&) { return true; },
        [this](const index::IndexEntry& e) { storage_->Release(e.storage_handle); });
  }
}

absl::Status Namespace::Load() {
  if (auto t = storage_->GetMetadata(kTruncateKey); t.ok()) {
    for (absl::string_view line : absl::StrSplit(*t, '\n', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, '\t');
      int64_t lut;
      if (!absl::SimpleAtoi(kv.second, &lut)) continue;
      if (kv.first.empty()) {
        truncate_lut_ms_ = lut;
      } else if (auto id = sets_.IdFor(base::Std(kv.first)); id.ok()) {
        sets_.Get(*id)->truncate_lut_ms = lut;
      }
    }
  }
  if (storage_->in_memory()) return absl::OkStatus();

  int64_t start = base::MonotonicNs();
  uint64_t loaded = 0;
  absl::Status status = absl::OkStatus();
  absl::Status walk = storage_->ForEachStored([&](uint32_t partition, const base::Digest& digest,
                                                  const record::StoredMeta& meta, uint32_t size) {
    auto set_id = sets_.IdFor(meta.set_name);
    if (!set_id.ok()) {
      status = set_id.status();
      return;
    }
    bool created = false;
    index_.Upsert(digest, [&](index::IndexEntry& e, bool is_new) {
      created = is_new;
      index::SetMeta(e, index::RecordMeta{meta.void_time, meta.generation, *set_id,
                                          meta.last_update_ms, 0, size});
    });
    if (created) Account(*set_id, 1, size);
    ++loaded;
  });
  if (!walk.ok()) return walk;
  double secs = (base::MonotonicNs() - start) / 1e9;
  base::Logger("ns")->info("namespace {}: cold start loaded {} records in {:.3f}s", name(), loaded,
                           secs);
  return status;
}

size_t Namespace::LockStripe(const base::Digest& d) {
  // Digest bytes 4..7 are independent of the partition and sprig bits.
  return (d.bytes[4] | d.bytes[5] << 8 | d.bytes[6] << 16 | uint32_t{d.bytes[7]} << 24) %
         kRecordLockStripes;
}

absl::Mutex& Namespace::RecordLock(const base::Digest& d) const {
  return record_locks_[LockStripe(d)];
}

absl::Mutex& Namespace::ApplyLock(const base::Digest& d) const {
  return apply_locks_[LockStripe(d)];
}

bool Namespace::IsTruncated(const index::RecordMeta& meta) const {
  int64_t lut = static_cast<int64_t>(meta.last_update_ms);
  if (lut <= truncate_lut_ms_.load(std::memory_order_relaxed)) return true;
  if (SetInfo* s = sets_.Get(meta.set_id)) {
    return lut <= s->truncate_lut_ms.load(std::memory_order_relaxed);
  }
  return false;
}

bool Namespace::IsLive(const index::RecordMeta& meta, uint32_t now) const {
  if (meta.void_time != 0 && meta.void_time <= now) return false;
  return !IsTruncated(meta);
}

uint64_t Namespace::NextLastUpdateMs(uint16_t set_id, uint64_t current_lut) const {
  int64_t lut = std::max(base::NowUnixMs(), truncate_lut_ms_.load(std::memory_order_relaxed) + 1);
  if (SetInfo* s = sets_.Get(set_id)) {
    lut = std::max(lut, s->truncate_lut_ms.load(std::memory_order_relaxed) + 1);
  }
  return std::max(static_cast<uint64_t>(lut), current_lut + 1);
}

int64_t Namespace::DefaultTtl(uint16_t set_id) const {
  if (SetInfo* s = sets_.Get(set_id)) {
    int64_t ttl = s->default_ttl.load(std::memory_order_relaxed);
    if (ttl >= 0) return ttl;
  }
  return policy_.default_ttl.load(std::memory_order_relaxed);
}

void Namespace::Account(uint16_t set_id, int64_t objects_delta, int64_t bytes_delta) {
  data_bytes_.fetch_add(static_cast<uint64_t>(bytes_delta), std::memory_order_relaxed);
  if (SetInfo* s = sets_.Get(set_id)) {
    s->objects.fetch_add(static_cast<uint64_t>(objects_delta), std::memory_order_relaxed);
    s->data_bytes.fetch_add(static_cast<uint64_t>(bytes_delta), std::memory_order_relaxed);
  }
}

absl::Status Namespace::NoteBinNames(const record::Record& rec) {
  constexpr size_t kMaxBinNames = 65535;
  {
    absl::ReaderMutexLock lock(&bin_names_mu_);
    bool all_known = true;
    for (const record::Bin& b : rec.bins) all_known = all_known && bin_names_.contains(b.name);
    if (all_known) return absl::OkStatus();
  }
  absl::MutexLock lock(&bin_names_mu_);
  for (const record::Bin& b : rec.bins) {
    if (bin_names_.contains(b.name)) continue;
    if (bin_names_.size() >= kMaxBinNames) {
      return MakeError(ResultCode::kBinNameError, "namespace has 65535 bin names already");
    }
    bin_names_.insert(b.name);
  }
  return absl::OkStatus();
}

std::vector<std::string> Namespace::BinNames() const {
  absl::ReaderMutexLock lock(&bin_names_mu_);
  std::vector<std::string> out(bin_names_.begin(), bin_names_.end());
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t Namespace::memory_used_bytes() const {
  return index_.ArenaBytesInUse() + (storage_->in_memory() ? data_bytes() : 0);
}

uint64_t Namespace::disk_used_bytes() const { return storage_->in_memory() ? 0 : data_bytes(); }

bool Namespace::StopWrites() const {
  uint32_t pct = policy_.stop_writes_pct.load(std::memory_order_relaxed);
  if (pct == 0 || pct >= 100) return false;
  if (memory_used_bytes() * 100 > policy_.memory_size.load() * pct) return true;
  return !storage_->in_memory() && disk_used_bytes() * 100 > policy_.disk_size.load() * pct;
}

absl::Status Namespace::Truncate(std::string_view set, int64_t before_ms) {
  int64_t lut = before_ms > 0 ? before_ms : base::NowUnixMs();
  if (lut > base::NowUnixMs()) {
    return MakeError(ResultCode::kParameterError, "truncate time is in the future");
  }
  return ApplyTruncate(set, lut);
}

absl::Status Namespace::ApplyTruncate(std::string_view set, int64_t lut) {
  if (set.empty()) {
    truncate_lut_ms_ = std::max(truncate_lut_ms_.load(), lut);
  } else {
    auto id = sets_.IdFor(set);
    if (!id.ok()) return id.status();
    SetInfo* s = sets_.Get(*id);
    s->truncate_lut_ms = std::max(s->truncate_lut_ms.load(), lut);
  }
  // Persist every truncation time at once, so a restart never resurrects truncated records.
  std::string table = absl::StrCat("\t", truncate_lut_ms_.load(), "\n");
  for (SetInfo* s : sets_.All()) {
    if (s->truncate_lut_ms > 0)
      absl::StrAppend(&table, s->name, "\t", s->truncate_lut_ms.load(), "\n");
  }
  return storage_->PutMetadata(kTruncateKey, table);
}

absl::Status Namespace::SetPolicy(std::string_view set, std::string_view key,
                                  std::string_view value, bool apply) {
  const std::string k = Canonical(key);
  auto bad = [&]() {
    return MakeError(ResultCode::kParameterError,
                     absl::StrCat("invalid value '", Absl(value), "' for ", Absl(key)));
  };
  int64_t i = 0;
  uint64_t u = 0;
  bool b = false;
  if (!set.empty()) {
    SetInfo* s = nullptr;
    if (apply) {
      auto id = sets_.IdFor(set);
      if (!id.ok()) return id.status();
      s = sets_.Get(*id);
    } else if (set.size() > 63) {
      return MakeError(ResultCode::kParameterError, "set name longer than 63 bytes");
    }
    if (k == "default_ttl") {
      if (!absl::SimpleAtoi(Absl(value), &i) || i < -1 || i > kMaxTtlSeconds) return bad();
      if (s) s->default_ttl = i;
    } else if (k == "stop_writes_count") {
      if (!absl::SimpleAtoi(Absl(value), &u)) return bad();
      if (s) s->stop_writes_count = u;
    } else if (k == "disable_eviction") {
      if (!ParseBool(value, &b)) return bad();
      if (s) s->disable_eviction = b;
    } else {
      return MakeError(ResultCode::kParameterError, absl::StrCat("unknown set policy ", Absl(key)));
    }
    return absl::OkStatus();
  }
  if (k == "default_ttl") {
    if (!absl::SimpleAtoi(Absl(value), &i) || i < 0 || i > kMaxTtlSeconds) return bad();
    if (apply) policy_.default_ttl = i;
  } else if (k == "max_record_size") {
    if (!base::ParseSize(value, &u) || u < 1024 || u > (128u << 20)) return bad();
    if (apply) policy_.max_record_size = u;
  } else if (k == "memory_size") {
    if (!base::ParseSize(value, &u) || u == 0) return bad();
    if (apply) policy_.memory_size = u;
  } else if (k == "disk_size") {
    if (!base::ParseSize(value, &u) || u == 0) return bad();
    if (apply) policy_.disk_size = u;
  } else if (k == "stop_writes_pct") {
    if (!absl::SimpleAtoi(Absl(value), &u) || u > 100) return bad();
    if (apply) policy_.stop_writes_pct = static_cast<uint32_t>(u);
  } else if (k == "evict_pct") {
    if (!absl::SimpleAtoi(Absl(value), &u) || u > 100) return bad();
    if (apply) policy_.evict_pct = static_cast<uint32_t>(u);
  } else if (k == "nsup_period_sec" || k == "nsup_period") {
    if (!absl::SimpleAtoi(Absl(value), &u) || u > 86400) return bad();
    if (apply) policy_.nsup_period_sec = static_cast<uint32_t>(u);
  } else {
    return MakeError(ResultCode::kParameterError,
                     absl::StrCat("unknown namespace policy ", Absl(key)));
  }
  return absl::OkStatus();
}

std::shared_ptr<const Namespace::Sindexes> Namespace::sindexes() const {
  absl::ReaderMutexLock lock(&sindex_mu_);
  return sindexes_;
}

std::shared_ptr<index::SecondaryIndex> Namespace::FindSindex(std::string_view name) const {
  auto all = sindexes();
  if (!all) return nullptr;
  for (const auto& i : *all) {
    if (i->def().name == name) return i;
  }
  return nullptr;
}

std::shared_ptr<index::SecondaryIndex> Namespace::AddSindex(const index::SindexDef& def) {
  const base::GeoConfig& g = config_.geo2dsphere_within;
  record::GeoCoverOptions geo{static_cast<int>(g.min_level), static_cast<int>(g.max_level),
                              static_cast<int>(g.max_cells), static_cast<int>(g.level_mod),
                              static_cast<double>(g.earth_radius_meters)};
  auto index = std::make_shared<index::SecondaryIndex>(def, geo);
  absl::MutexLock lock(&sindex_mu_);
  // Copy-on-write list: writers read it with one shared lock and a pointer copy.
  auto next = std::make_shared<Sindexes>(sindexes_ ? *sindexes_ : Sindexes{});
  next->push_back(index);
  sindexes_ = std::move(next);
  return index;
}

bool Namespace::DropSindex(std::string_view name) {
  absl::MutexLock lock(&sindex_mu_);
  if (!sindexes_) return false;
  auto next = std::make_shared<Sindexes>();
  bool found = false;
  for (const auto& i : *sindexes_) {
    if (i->def().name == name) {
      i->set_dropped();
      found = true;
    } else {
      next->push_back(i);
    }
  }
  sindexes_ = std::move(next);
  return found;
}

void Namespace::UpdateSindexes(const base::Digest& digest, uint16_t set_id,
                               const record::Record* old_rec, const record::Record* new_rec) const {
  auto all = sindexes();
  if (!all || all->empty()) return;
  const SetInfo* set = sets_.Get(set_id);
  for (const auto& i : *all) {
    if (!i->def().set.empty() && (!set || set->name != i->def().set)) continue;
    i->Update(digest, old_rec ? i->KeysOf(*old_rec) : std::vector<std::string>{},
              new_rec ? i->KeysOf(*new_rec) : std::vector<std::string>{});
  }
}

storage::RecordRef Namespace::BodyOf(const base::Digest& digest) const {
  storage::RecordRef rec;
  uint64_t handle = 0;
  if (!index_.Read(digest, [&](const index::IndexEntry& e) {
        handle = e.storage_handle;
        if (storage_->in_memory()) rec = storage_->Pin(handle);
      })) {
    return {};
  }
  if (!storage_->in_memory()) {
    record::StoredMeta meta;
    (void)storage_->Load(base::PartitionOf(digest), digest, &meta, &rec);
  }
  return rec;
}

void Namespace::BuildSindex(index::SecondaryIndex& index) {
  const uint16_t set_filter = index.def().set.empty() ? 0 : sets_.Find(index.def().set);
  if (!index.def().set.empty() && set_filter == 0) {
    index.set_load_pct(100);  // no such set yet: nothing to index
    return;
  }
  std::vector<std::pair<base::Digest, uint16_t>> digests;
  for (uint32_t p = 0; p < base::kPartitionCount && !index.dropped(); ++p) {
    digests.clear();
    index_.ForEachInPartition(p, [&](const index::IndexEntry& e) {
      if (!set_filter || e.set_id == set_filter) digests.emplace_back(e.digest, e.set_id);
      return true;
    });
    // Under each record's lock, so a concurrent writer's own index update is never undone.
    for (const auto& [d, set_id] : digests) {
      absl::MutexLock lock(&RecordLock(d));
      storage::RecordRef rec = BodyOf(d);
      if (rec) index.Update(d, {}, index.KeysOf(*rec));
    }
    index.set_load_pct(static_cast<uint32_t>((p + 1) * 100 / base::kPartitionCount));
  }
}

bool Namespace::RemoveRecordIf(const base::Digest& digest,
                               absl::FunctionRef<bool(const index::IndexEntry&)> pred) {
  absl::MutexLock lock(&RecordLock(digest));
  auto all = sindexes();
  // Secondary indexes need the old contents to drop their entries.
  storage::RecordRef body = all && !all->empty() ? BodyOf(digest) : storage::RecordRef();
  index::RecordMeta meta;
  bool removed = index_.Remove(digest, [&](const index::IndexEntry& e) {
    if (!pred(e)) return false;
    meta = index::MetaOf(e);
    return true;
  });
  if (!removed) return false;
  // A failed device delete leaves a body that cold start would bring back; the truncation
  // time or void time still hides it, and the next sweep after restart retries.
  (void)storage_->Erase(base::PartitionOf(digest), digest, false);
  if (body) UpdateSindexes(digest, meta.set_id, &*body, nullptr);
  storage_->Release(meta.storage_handle);
  Account(meta.set_id, -1, -static_cast<int64_t>(meta.stored_size));
  return true;
}

uint64_t Namespace::RemoveWhere(absl::FunctionRef<bool(const index::IndexEntry&)> pred) {
  uint64_t removed = 0;
  std::vector<base::Digest> candidates;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    candidates.clear();
    index_.ForEachInPartition(p, [&](const index::IndexEntry& e) {
      if (pred(e)) candidates.push_back(e.digest);
      return true;
    });
    for (const auto& d : candidates) removed += RemoveRecordIf(d, pred) ? 1 : 0;
  }
  return removed;
}

uint64_t Namespace::Evict(uint32_t now) {
  uint32_t pct = policy_.evict_pct.load();
  if (pct == 0) return 0;
  const bool mem = storage_->in_memory();
  const uint64_t budget = mem ? policy_.memory_size.load() : policy_.disk_size.load();
  const uint64_t used = mem ? memory_used_bytes() : disk_used_bytes();
  const uint64_t mark = budget / 100 * pct;
  if (used <= mark) return 0;
  // Free down to one percent below the mark, so eviction does not run on every sweep.
  const uint64_t to_free = used - mark + budget / 100;

  auto evictable = [&](const index::IndexEntry& e) {
    if (e.void_time == 0) return false;
    SetInfo* s = sets_.Get(e.set_id);
    return !(s && s->disable_eviction.load(std::memory_order_relaxed));
  };
  // A histogram of void times (bytes per bucket) finds the cut-off that frees enough.
  constexpr int kBuckets = 1024;
  uint32_t lo = UINT32_MAX, hi = 0;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    index_.ForEachInPartition(p, [&](const index::IndexEntry& e) {
      if (evictable(e)) lo = std::min(lo, e.void_time), hi = std::max(hi, e.void_time);
      return true;
    });
  }
  if (lo > hi) return 0;
  const uint64_t width = (uint64_t{hi} - lo) / kBuckets + 1;
  std::vector<uint64_t> bytes(kBuckets + 1, 0);
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    index_.ForEachInPartition(p, [&](const index::IndexEntry& e) {
      // What removing the record frees of the budget in question.
      if (evictable(e)) bytes[(e.void_time - lo) / width] += e.stored_size + (mem ? sizeof(e) : 0);
      return true;
    });
  }
  uint64_t acc = 0;
  uint64_t cutoff = hi;
  for (int b = 0; b <= kBuckets; ++b) {
    acc += bytes[b];
    if (acc >= to_free) {
      cutoff = lo + (b + 1) * width - 1;
      break;
    }
  }
  uint64_t n = RemoveWhere(
      [&](const index::IndexEntry& e) { return evictable(e) && e.void_time <= cutoff; });
  base::Logger("ns")->info("namespace {}: evicted {} records (void time <= {}, now {})", name(), n,
                           cutoff, now);
  return n;
}

SweepResult Namespace::Sweep() {
  SweepResult r;
  const uint32_t now = base::NowEpochSeconds();
  r.expired = RemoveWhere(
      [&](const index::IndexEntry& e) { return e.void_time != 0 && e.void_time <= now; });
  r.truncated =
      RemoveWhere([&](const index::IndexEntry& e) { return IsTruncated(index::MetaOf(e)); });
  r.evicted = Evict(now);
  expired_total_ += r.expired;
  truncated_total_ += r.truncated;
  evicted_total_ += r.evicted;
  return r;
}

}  // namespace tern::ns
