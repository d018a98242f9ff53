#include "index/entry_arena.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

namespace tern::index {
namespace {

bool IsZeroed(const IndexEntry& e) {
  static const IndexEntry kZero{};
  return std::memcmp(&e, &kZero, sizeof(e)) == 0;
}

TEST(EntryArenaTest, StartsEmptyAndReservesLazily) {
  EntryArena arena;
  EXPECT_EQ(arena.BytesInUse(), 0u);
  EXPECT_EQ(arena.BytesReserved(), 0u);
  const EntryHandle h = arena.Alloc();
  EXPECT_NE(h, kNullHandle);
  EXPECT_EQ(arena.BytesInUse(), 64u);
  EXPECT_EQ(arena.BytesReserved(), EntryArena::kChunkBytes);
}

TEST(EntryArenaTest, AllocReturnsZeroedDistinctSlots) {
  EntryArena arena;
  std::set<EntryHandle> seen;
  for (int i = 0; i < 1000; ++i) {
    const EntryHandle h = arena.Alloc();
    ASSERT_NE(h, kNullHandle);
    ASSERT_TRUE(seen.insert(h).second) << "handle handed out twice: " << h;
    ASSERT_TRUE(IsZeroed(arena.Get(h)));
  }
  EXPECT_EQ(arena.BytesInUse(), 1000u * 64);
}

TEST(EntryArenaTest, FreedSlotIsReusedAndComesBackZeroed) {
  EntryArena arena;
  const EntryHandle a = arena.Alloc();
  IndexEntry& e = arena.Get(a);
  std::memset(static_cast<void*>(&e), 0xAB, sizeof(e));
  arena.Free(a);
  EXPECT_EQ(arena.BytesInUse(), 0u);

  const EntryHandle b = arena.Alloc();
  EXPECT_EQ(b, a);  // the free list is used before fresh slots
  EXPECT_TRUE(IsZeroed(arena.Get(b)));
  EXPECT_EQ(arena.BytesInUse(), 64u);
  EXPECT_EQ(arena.BytesReserved(), EntryArena::kChunkBytes);
}

TEST(EntryArenaTest, HandlesStayValidAcrossChunkGrowth) {
  EntryArena arena;
  const size_t n = EntryArena::kSlotsPerChunk * 2 + 100;  // three chunks
  std::vector<EntryHandle> handles;
  handles.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const EntryHandle h = arena.Alloc();
    IndexEntry& e = arena.Get(h);
    e.storage_handle = i;
    e.void_time = static_cast<uint32_t>(i * 7);
    handles.push_back(h);
    if (i == 10) {
      // Take an address early and check it survives the later chunk allocations.
      EXPECT_EQ(&arena.Get(handles[10]), &e);
    }
  }
  EXPECT_EQ(arena.BytesReserved(), 3 * EntryArena::kChunkBytes);
  EXPECT_EQ(arena.BytesInUse(), n * 64);
  for (size_t i = 0; i < n; ++i) {
    const IndexEntry& e = arena.Get(handles[i]);
    ASSERT_EQ(e.storage_handle, i);
    ASSERT_EQ(e.void_time, static_cast<uint32_t>(i * 7));
  }

  // Free every other slot and allocate them back: no new chunk, all zeroed.
  for (size_t i = 0; i < n; i += 2) arena.Free(handles[i]);
  EXPECT_EQ(arena.BytesInUse(), (n / 2) * 64);
  std::set<EntryHandle> freed;
  for (size_t i = 0; i < n; i += 2) freed.insert(handles[i]);
  for (size_t i = 0; i < n; i += 2) {
    const EntryHandle h = arena.Alloc();
    ASSERT_EQ(freed.erase(h), 1u);
    ASSERT_TRUE(IsZeroed(arena.Get(h)));
  }
  EXPECT_EQ(arena.BytesReserved(), 3 * EntryArena::kChunkBytes);
  EXPECT_EQ(arena.BytesInUse(), n * 64);
  // The odd slots were untouched by their neighbours' free and reuse.
  for (size_t i = 1; i < n; i += 2) ASSERT_EQ(arena.Get(handles[i]).storage_handle, i);
}

}  // namespace
}  // namespace tern::index
