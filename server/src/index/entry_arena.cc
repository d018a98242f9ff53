#include "index/entry_arena.h"

#include <cstdio>
#include <cstdlib>

namespace tern::index {

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "EntryArena: %s\n", what);
  std::abort();
}

}  // namespace

// The table is 512 KiB per index, small next to one chunk, and buys a lock-free Get().
EntryArena::EntryArena() : chunks_(new std::atomic<IndexEntry*>[kMaxChunks]()) {}

EntryArena::~EntryArena() {
  const uint32_t n = chunk_count_.load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < n; ++i) std::free(chunks_[i].load(std::memory_order_relaxed));
}

void EntryArena::AddChunkLocked() {
  const uint32_t index = chunk_count_.load(std::memory_order_relaxed);
  if (index >= kMaxChunks) Die("out of handles (2^32 entries)");
  // Not zeroed here: large allocations come straight from mmap, so untouched pages cost no RSS
  // until Alloc() hands their slots out (and zeroes each one then).
  // Cache-line aligned so that no entry straddles two lines.
  void* mem = std::aligned_alloc(64, kChunkBytes);
  if (mem == nullptr) Die("chunk allocation failed");
  chunks_[index].store(static_cast<IndexEntry*>(mem), std::memory_order_release);
  chunk_count_.store(index + 1, std::memory_order_release);
}

EntryHandle EntryArena::Alloc() {
  EntryHandle h;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_head_ != kNullHandle) {
      h = free_head_;
      free_head_ = Get(h).left;
    } else {
      if (next_fresh_ > UINT32_MAX) Die("out of handles (2^32 entries)");
      h = static_cast<EntryHandle>(next_fresh_++);
      if ((h >> kSlotBits) >= chunk_count_.load(std::memory_order_relaxed)) AddChunkLocked();
    }
  }
  live_.fetch_add(1, std::memory_order_relaxed);
  Get(h) = IndexEntry{};
  return h;
}

void EntryArena::Free(EntryHandle h) {
  if (h == kNullHandle) Die("Free(kNullHandle)");
  IndexEntry& e = Get(h);
  std::lock_guard<std::mutex> lock(mu_);
  e.left = free_head_;
  free_head_ = h;
  live_.fetch_sub(1, std::memory_order_relaxed);
}

IndexEntry& EntryArena::Get(EntryHandle h) const {
  IndexEntry* chunk = chunks_[h >> kSlotBits].load(std::memory_order_acquire);
  return chunk[h & (kSlotsPerChunk - 1)];
}

size_t EntryArena::BytesInUse() const {
  return live_.load(std::memory_order_relaxed) * sizeof(IndexEntry);
}

size_t EntryArena::BytesReserved() const {
  return size_t{chunk_count_.load(std::memory_order_relaxed)} * kChunkBytes;
}

}  // namespace tern::index
