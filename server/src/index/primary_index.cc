#include "index/primary_index.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "absl/synchronization/mutex.h"
#include "index/sprig.h"

namespace tern::index {

namespace {

// Digest bytes 2..3: the partition id only uses bytes 0..1, so these spread a partition's
// records evenly over its sprigs.
uint32_t SprigBitsOf(const base::Digest& d) {
  return static_cast<uint32_t>(d.bytes[2]) | static_cast<uint32_t>(d.bytes[3]) << 8;
}

}  // namespace

PrimaryIndex::PrimaryIndex(uint32_t sprigs_per_partition)
    : sprigs_per_partition_(sprigs_per_partition) {
  // Config validation rejects bad values long before this; reaching here with one is a bug.
  if (sprigs_per_partition == 0 || sprigs_per_partition > 256 ||
      (sprigs_per_partition & (sprigs_per_partition - 1)) != 0) {
    std::fprintf(stderr,
                 "PrimaryIndex: sprigs_per_partition %u is not a power of two in [1, 256]\n",
                 sprigs_per_partition);
    std::abort();
  }
  // Debian's abseil is built without NDEBUG, so absl::Mutex keeps a process-wide deadlock
  // graph by default: every lock of every sprig then goes through one global lock and leaves
  // a graph node behind (~34 bytes per record). The index locks on every read; turn it off.
  static std::once_flag tune_once;
  std::call_once(tune_once,
                 [] { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); });
  sprigs_ = std::make_unique<Sprig[]>(size_t{base::kPartitionCount} * sprigs_per_partition);
  partition_sizes_ = std::make_unique<std::atomic<uint64_t>[]>(base::kPartitionCount);
}

// Entries live in the arena, which frees its chunks wholesale; no tree walk needed.
PrimaryIndex::~PrimaryIndex() = default;

Sprig& PrimaryIndex::SprigAt(uint32_t partition, uint32_t sprig) const {
  return sprigs_[size_t{partition} * sprigs_per_partition_ + sprig];
}

Sprig& PrimaryIndex::SprigFor(const base::Digest& digest) const {
  return SprigAt(base::PartitionOf(digest), SprigBitsOf(digest) & (sprigs_per_partition_ - 1));
}

bool PrimaryIndex::InSprig(const base::Digest& digest, uint32_t partition, uint32_t sprig) const {
  return base::PartitionOf(digest) == partition &&
         (SprigBitsOf(digest) & (sprigs_per_partition_ - 1)) == sprig;
}

bool PrimaryIndex::Read(const base::Digest& digest,
                        absl::FunctionRef<void(const IndexEntry&)> fn) const {
  Sprig& sprig = SprigFor(digest);
  absl::ReaderMutexLock lock(&sprig.mu());
  const EntryHandle h = sprig.Find(arena_, digest);
  if (h == kNullHandle) return false;
  fn(arena_.Get(h));
  return true;
}

void PrimaryIndex::Upsert(const base::Digest& digest,
                          absl::FunctionRef<void(IndexEntry&, bool)> fn) {
  Sprig& sprig = SprigFor(digest);
  absl::MutexLock lock(&sprig.mu());
  bool created = false;
  const EntryHandle h = sprig.FindOrInsert(arena_, digest, &created);
  if (created) {
    partition_sizes_[base::PartitionOf(digest)].fetch_add(1, std::memory_order_relaxed);
  }
  fn(arena_.Get(h), created);
}

bool PrimaryIndex::Remove(const base::Digest& digest,
                          absl::FunctionRef<bool(const IndexEntry&)> fn) {
  Sprig& sprig = SprigFor(digest);
  absl::MutexLock lock(&sprig.mu());
  const EntryHandle h = sprig.Find(arena_, digest);
  if (h == kNullHandle || !fn(arena_.Get(h))) return false;
  sprig.Erase(arena_, h);
  partition_sizes_[base::PartitionOf(digest)].fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void PrimaryIndex::ForEachInPartition(uint32_t partition,
                                      absl::FunctionRef<bool(const IndexEntry&)> fn) const {
  for (uint32_t s = 0; s < sprigs_per_partition_; ++s) {
    Sprig& sprig = SprigAt(partition, s);
    absl::ReaderMutexLock lock(&sprig.mu());
    for (EntryHandle h = sprig.First(arena_); h != kNullHandle; h = Sprig::Next(arena_, h)) {
      if (!fn(arena_.Get(h))) return;
    }
  }
}

size_t PrimaryIndex::RemoveIf(uint32_t partition, absl::FunctionRef<bool(const IndexEntry&)> pred,
                              absl::FunctionRef<void(const IndexEntry&)> on_removed) {
  size_t removed = 0;
  for (uint32_t s = 0; s < sprigs_per_partition_; ++s) {
    Sprig& sprig = SprigAt(partition, s);
    absl::MutexLock lock(&sprig.mu());
    size_t removed_here = 0;
    EntryHandle h = sprig.First(arena_);
    while (h != kNullHandle) {
      // Step first: Erase relinks nodes but never moves a record to another handle, so the
      // successor stays valid after h goes.
      const EntryHandle next = Sprig::Next(arena_, h);
      const IndexEntry& e = arena_.Get(h);
      if (pred(e)) {
        on_removed(e);
        sprig.Erase(arena_, h);
        ++removed_here;
      }
      h = next;
    }
    partition_sizes_[partition].fetch_sub(removed_here, std::memory_order_relaxed);
    removed += removed_here;
  }
  return removed;
}

uint64_t PrimaryIndex::size() const {
  uint64_t total = 0;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    total += partition_sizes_[p].load(std::memory_order_relaxed);
  }
  return total;
}

uint64_t PrimaryIndex::PartitionSize(uint32_t partition) const {
  return partition_sizes_[partition].load(std::memory_order_relaxed);
}

// The per-partition count check assumes no writer runs meanwhile: sprigs are locked one at a
// time, so a concurrent insert can land between two of them.
bool PrimaryIndex::Validate() const {
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    uint64_t entries = 0;
    for (uint32_t s = 0; s < sprigs_per_partition_; ++s) {
      Sprig& sprig = SprigAt(p, s);
      absl::ReaderMutexLock lock(&sprig.mu());
      const bool ok =
          sprig.Validate(arena_, [&](const base::Digest& d) { return InSprig(d, p, s); });
      if (!ok) return false;
      entries += sprig.count();
    }
    if (entries != PartitionSize(p)) return false;
  }
  return true;
}

}  // namespace tern::index
