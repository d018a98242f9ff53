// Fixed-size 64-byte slots for index entries, carved from large chunks and addressed by 32-bit
// handles. Chunks never move, so a handle resolves without a lock; allocation and free take a
// short mutex (they happen only on record create and delete).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "index/index_entry.h"

namespace tern::index {

class EntryArena {
 public:
  EntryArena();
  ~EntryArena();
  EntryArena(const EntryArena&) = delete;
  EntryArena& operator=(const EntryArena&) = delete;

  // A zeroed slot.
  EntryHandle Alloc();
  void Free(EntryHandle h);

  IndexEntry& Get(EntryHandle h) const;  // h != kNullHandle

  size_t BytesInUse() const;     // live slots * 64
  size_t BytesReserved() const;  // chunk bytes allocated

  // A handle is chunk index (high 16 bits) and slot within the chunk (low 16 bits); slot 0 of
  // chunk 0 is never handed out so that 0 can mean "none".
  static constexpr uint32_t kSlotBits = 16;
  static constexpr uint32_t kSlotsPerChunk = 1u << kSlotBits;
  static constexpr uint32_t kMaxChunks = 1u << (32 - kSlotBits);
  static constexpr size_t kChunkBytes = size_t{kSlotsPerChunk} * sizeof(IndexEntry);

 private:
  void AddChunkLocked();

  // Fixed size so that Get() never races with a resize; a slot is published by release-storing
  // its chunk pointer and read back with acquire.
  std::unique_ptr<std::atomic<IndexEntry*>[]> chunks_;
  std::atomic<uint32_t> chunk_count_{0};
  std::atomic<size_t> live_{0};

  std::mutex mu_;              // guards the two fields below and chunk growth
  EntryHandle free_head_ = 0;  // freed slots, linked through IndexEntry::left
  uint64_t next_fresh_ = 1;    // next never-used handle; 64-bit to detect exhaustion
};

}  // namespace tern::index
