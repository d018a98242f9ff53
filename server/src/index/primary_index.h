// The primary index of one namespace: for each of the 4096 partitions a fixed number of
// "sprigs", each a red-black tree of IndexEntry keyed by digest. A sprig has its own
// reader/writer lock, so readers contend only with writers of the same sprig.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "base/digest.h"
#include "index/entry_arena.h"
#include "index/index_entry.h"

namespace tern::index {

class Sprig;

class PrimaryIndex {
 public:
  // `sprigs_per_partition` must be a power of two in [1, 256].
  explicit PrimaryIndex(uint32_t sprigs_per_partition = 16);
  ~PrimaryIndex();
  PrimaryIndex(const PrimaryIndex&) = delete;
  PrimaryIndex& operator=(const PrimaryIndex&) = delete;

  // Calls `fn` with the entry under the sprig's shared lock. False when the digest is absent.
  bool Read(const base::Digest& digest, absl::FunctionRef<void(const IndexEntry&)> fn) const;

  // Finds or inserts the entry and calls `fn(entry, created)` under the sprig's exclusive lock.
  // A created entry arrives with digest and links set and every other field zero; `fn` fills
  // the metadata.
  void Upsert(const base::Digest& digest, absl::FunctionRef<void(IndexEntry&, bool)> fn);

  // Removes the entry if `fn(entry)` (called under the exclusive lock) returns true.
  // Returns whether an entry was removed.
  bool Remove(const base::Digest& digest, absl::FunctionRef<bool(const IndexEntry&)> fn);

  // Visits a partition's entries, sprig by sprig in digest order within a sprig, each sprig
  // under its shared lock; `fn` returns false to stop. Keep `fn` short (copy what you need).
  void ForEachInPartition(uint32_t partition, absl::FunctionRef<bool(const IndexEntry&)> fn) const;

  // Removes every entry of `partition` for which `pred` returns true, calling `on_removed`
  // for each (under the sprig's lock) before its slot is freed. Returns how many.
  size_t RemoveIf(uint32_t partition, absl::FunctionRef<bool(const IndexEntry&)> pred,
                  absl::FunctionRef<void(const IndexEntry&)> on_removed);

  uint64_t size() const;  // entries in all partitions
  uint64_t PartitionSize(uint32_t partition) const;
  size_t ArenaBytesInUse() const { return arena_.BytesInUse(); }
  size_t ArenaBytesReserved() const { return arena_.BytesReserved(); }
  uint32_t sprigs_per_partition() const { return sprigs_per_partition_; }

  // Checks the red-black and ordering invariants of every sprig (for tests).
  bool Validate() const;

 private:
  Sprig& SprigFor(const base::Digest& digest) const;
  Sprig& SprigAt(uint32_t partition, uint32_t sprig) const;
  bool InSprig(const base::Digest& digest, uint32_t partition, uint32_t sprig) const;

  uint32_t sprigs_per_partition_;
  mutable EntryArena arena_;
  std::unique_ptr<Sprig[]> sprigs_;  // kPartitionCount * sprigs_per_partition_
  // Per partition rather than one global counter, so that writers on different partitions do
  // not bounce a shared cache line; size() sums them.
  std::unique_ptr<std::atomic<uint64_t>[]> partition_sizes_;  // kPartitionCount
};

}  // namespace tern::index
