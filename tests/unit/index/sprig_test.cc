#include "index/sprig.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace tern::index {
namespace {

// Big-endian in the leading bytes, so digest order is integer order.
base::Digest DigestOf(uint32_t v) {
  base::Digest d;
  d.bytes[0] = static_cast<uint8_t>(v >> 24);
  d.bytes[1] = static_cast<uint8_t>(v >> 16);
  d.bytes[2] = static_cast<uint8_t>(v >> 8);
  d.bytes[3] = static_cast<uint8_t>(v);
  d.bytes[19] = 0x5A;
  return d;
}

uint32_t ValueOf(const base::Digest& d) {
  return uint32_t{d.bytes[0]} << 24 | uint32_t{d.bytes[1]} << 16 | uint32_t{d.bytes[2]} << 8 |
         d.bytes[3];
}

bool Valid(const Sprig& s, const EntryArena& arena) {
  return s.Validate(arena, [](const base::Digest&) { return true; });
}

std::vector<uint32_t> InOrder(const Sprig& s, const EntryArena& arena) {
  std::vector<uint32_t> out;
  for (EntryHandle h = s.First(arena); h != kNullHandle; h = Sprig::Next(arena, h)) {
    out.push_back(ValueOf(arena.Get(h).digest));
  }
  return out;
}

class SprigTest : public ::testing::Test {
 protected:
  EntryArena arena_;
  Sprig sprig_;
};

TEST_F(SprigTest, EmptySprig) {
  EXPECT_EQ(sprig_.count(), 0u);
  EXPECT_EQ(sprig_.First(arena_), kNullHandle);
  EXPECT_EQ(sprig_.Find(arena_, DigestOf(1)), kNullHandle);
  EXPECT_TRUE(Valid(sprig_, arena_));
}

TEST_F(SprigTest, SizeStaysSmall) {
  // 4096 partitions * up to 256 sprigs of these per namespace.
  EXPECT_LE(sizeof(Sprig), 16u);
}

TEST_F(SprigTest, FindOrInsertCreatesOnce) {
  bool created = false;
  const EntryHandle a = sprig_.FindOrInsert(arena_, DigestOf(42), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(arena_.Get(a).digest, DigestOf(42));
  const EntryHandle b = sprig_.FindOrInsert(arena_, DigestOf(42), &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(a, b);
  EXPECT_EQ(sprig_.Find(arena_, DigestOf(42)), a);
  EXPECT_EQ(sprig_.count(), 1u);
  EXPECT_TRUE(Valid(sprig_, arena_));
}

// Sorted input is the classic worst case for an unbalanced tree; each step must rebalance.
TEST_F(SprigTest, AscendingAndDescendingInsertsStayBalanced) {
  constexpr uint32_t kN = 2000;
  bool created;
  for (uint32_t i = 0; i < kN; ++i) {
    sprig_.FindOrInsert(arena_, DigestOf(2 * i), &created);
    ASSERT_TRUE(Valid(sprig_, arena_)) << "after ascending insert " << i;
  }
  for (uint32_t i = kN; i-- > 0;) {
    sprig_.FindOrInsert(arena_, DigestOf(2 * i + 1), &created);
    ASSERT_TRUE(Valid(sprig_, arena_)) << "after descending insert " << i;
  }
  std::vector<uint32_t> expected(2 * kN);
  std::iota(expected.begin(), expected.end(), 0u);
  EXPECT_EQ(InOrder(sprig_, arena_), expected);

  // Height bound 2*log2(n+1): walk down the leftmost and rightmost paths as a cheap proxy.
  int depth = 0;
  for (EntryHandle h = sprig_.root(); h != kNullHandle; h = arena_.Get(h).right) ++depth;
  EXPECT_LE(depth, 2 * 12);
}

TEST_F(SprigTest, EraseInEveryOrderKeepsInvariants) {
  constexpr uint32_t kN = 1500;
  std::mt19937 rng(7);
  for (int round = 0; round < 3; ++round) {
    std::vector<uint32_t> keys(kN);
    std::iota(keys.begin(), keys.end(), 0u);
    bool created;
    for (uint32_t k : keys) sprig_.FindOrInsert(arena_, DigestOf(k), &created);
    if (round == 1) std::reverse(keys.begin(), keys.end());
    if (round == 2) std::shuffle(keys.begin(), keys.end(), rng);
    for (size_t i = 0; i < keys.size(); ++i) {
      const EntryHandle h = sprig_.Find(arena_, DigestOf(keys[i]));
      ASSERT_NE(h, kNullHandle);
      sprig_.Erase(arena_, h);
      ASSERT_EQ(sprig_.Find(arena_, DigestOf(keys[i])), kNullHandle);
      ASSERT_TRUE(Valid(sprig_, arena_)) << "round " << round << " erase " << i;
    }
    EXPECT_EQ(sprig_.count(), 0u);
    EXPECT_EQ(sprig_.root(), kNullHandle);
    EXPECT_EQ(arena_.BytesInUse(), 0u);
  }
}

TEST_F(SprigTest, EraseWhileIteratingVisitsEveryEntryOnce) {
  constexpr uint32_t kN = 3000;
  bool created;
  std::vector<uint32_t> keys(kN);
  std::iota(keys.begin(), keys.end(), 0u);
  std::shuffle(keys.begin(), keys.end(), std::mt19937(3));
  for (uint32_t k : keys) sprig_.FindOrInsert(arena_, DigestOf(k), &created);

  std::vector<uint32_t> visited;
  EntryHandle h = sprig_.First(arena_);
  while (h != kNullHandle) {
    const EntryHandle next = Sprig::Next(arena_, h);
    const uint32_t v = ValueOf(arena_.Get(h).digest);
    visited.push_back(v);
    if (v % 3 != 0) sprig_.Erase(arena_, h);
    h = next;
  }
  std::vector<uint32_t> all(kN);
  std::iota(all.begin(), all.end(), 0u);
  EXPECT_EQ(visited, all);
  EXPECT_TRUE(Valid(sprig_, arena_));
  EXPECT_EQ(sprig_.count(), kN / 3);
  for (uint32_t v : InOrder(sprig_, arena_)) EXPECT_EQ(v % 3, 0u);
}

TEST_F(SprigTest, EraseKeepsOtherFlagBitsAndMetadata) {
  bool created;
  for (uint32_t i = 0; i < 200; ++i) {
    IndexEntry& e = arena_.Get(sprig_.FindOrInsert(arena_, DigestOf(i), &created));
    e.flags |= 0x80;
    e.storage_handle = i + 1000;
  }
  for (uint32_t i = 0; i < 200; i += 2) sprig_.Erase(arena_, sprig_.Find(arena_, DigestOf(i)));
  ASSERT_TRUE(Valid(sprig_, arena_));
  for (uint32_t i = 1; i < 200; i += 2) {
    const IndexEntry& e = arena_.Get(sprig_.Find(arena_, DigestOf(i)));
    EXPECT_EQ(e.flags & 0x80, 0x80);
    EXPECT_EQ(e.storage_handle, i + 1000);
  }
}

TEST_F(SprigTest, ValidateCatchesBrokenTrees) {
  bool created;
  for (uint32_t i = 0; i < 10; ++i) sprig_.FindOrInsert(arena_, DigestOf(i), &created);
  ASSERT_TRUE(Valid(sprig_, arena_));

  IndexEntry& root = arena_.Get(sprig_.root());
  root.flags ^= 1;  // a red root
  EXPECT_FALSE(Valid(sprig_, arena_));
  root.flags ^= 1;

  const base::Digest saved = root.digest;
  root.digest = DigestOf(1000);  // out of order
  EXPECT_FALSE(Valid(sprig_, arena_));
  root.digest = saved;

  const EntryHandle saved_parent = arena_.Get(root.left).parent;
  arena_.Get(root.left).parent = root.right;  // inconsistent parent link
  EXPECT_FALSE(Valid(sprig_, arena_));
  arena_.Get(root.left).parent = saved_parent;

  EXPECT_FALSE(sprig_.Validate(arena_, [](const base::Digest& d) { return ValueOf(d) != 5; }));
  EXPECT_TRUE(Valid(sprig_, arena_));
}

}  // namespace
}  // namespace tern::index
