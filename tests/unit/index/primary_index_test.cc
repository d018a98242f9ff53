#include "index/primary_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tern::index {
namespace {

using base::Digest;

Digest RandomDigest(std::mt19937_64& rng) {
  Digest d;
  for (auto& b : d.bytes) b = static_cast<uint8_t>(rng());
  return d;
}

// A random digest routed to `partition`; bytes 2..3 (the sprig bits) stay random.
Digest DigestInPartition(uint32_t partition, std::mt19937_64& rng) {
  Digest d = RandomDigest(rng);
  d.bytes[0] = static_cast<uint8_t>(partition);
  d.bytes[1] = static_cast<uint8_t>((partition >> 8) | (d.bytes[1] & 0xF0));
  return d;
}

std::string Key(const Digest& d) { return std::string(d.bytes.begin(), d.bytes.end()); }

uint32_t SprigOf(const Digest& d, uint32_t sprigs) {
  return (d.bytes[2] | d.bytes[3] << 8) & (sprigs - 1);
}

bool Contains(const PrimaryIndex& index, const Digest& d) {
  return index.Read(d, [](const IndexEntry&) {});
}

void Insert(PrimaryIndex& index, const Digest& d) {
  index.Upsert(d, [](IndexEntry& e, bool) { e.generation++; });
}

bool Erase(PrimaryIndex& index, const Digest& d) {
  return index.Remove(d, [](const IndexEntry&) { return true; });
}

// All digests of `partition`, in visit order.
std::vector<Digest> Visit(const PrimaryIndex& index, uint32_t partition) {
  std::vector<Digest> out;
  index.ForEachInPartition(partition, [&](const IndexEntry& e) {
    out.push_back(e.digest);
    return true;
  });
  return out;
}

TEST(PrimaryIndexTest, EmptyIndex) {
  PrimaryIndex index;
  EXPECT_EQ(index.sprigs_per_partition(), 16u);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.ArenaBytesInUse(), 0u);
  EXPECT_TRUE(index.Validate());
  EXPECT_TRUE(Visit(index, 0).empty());
}

TEST(PrimaryIndexTest, UpsertReportsCreatedThenExisting) {
  PrimaryIndex index(4);
  std::mt19937_64 rng(1);
  const Digest d = RandomDigest(rng);

  bool called = false;
  index.Upsert(d, [&](IndexEntry& e, bool created) {
    called = true;
    EXPECT_TRUE(created);
    EXPECT_EQ(e.digest, d);
    // Metadata arrives zeroed.
    EXPECT_EQ(e.generation, 0u);
    EXPECT_EQ(e.void_time, 0u);
    EXPECT_EQ(e.set_id, 0u);
    EXPECT_EQ(e.last_update_ms, 0u);
    EXPECT_EQ(e.storage_handle, 0u);
    EXPECT_EQ(e.stored_size, 0u);
    SetMeta(e, RecordMeta{100, 1, 3, 1234, 0xABCDEF, 77});
  });
  EXPECT_TRUE(called);

  index.Upsert(d, [&](IndexEntry& e, bool created) {
    EXPECT_FALSE(created);
    EXPECT_EQ(e.generation, 1u);
    e.generation = 2;
  });

  RecordMeta meta;
  EXPECT_TRUE(index.Read(d, [&](const IndexEntry& e) { meta = MetaOf(e); }));
  EXPECT_EQ(meta.void_time, 100u);
  EXPECT_EQ(meta.generation, 2u);
  EXPECT_EQ(meta.set_id, 3u);
  EXPECT_EQ(meta.last_update_ms, 1234u);
  EXPECT_EQ(meta.storage_handle, 0xABCDEFu);
  EXPECT_EQ(meta.stored_size, 77u);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.PartitionSize(base::PartitionOf(d)), 1u);
  EXPECT_EQ(index.ArenaBytesInUse(), 64u);
}

TEST(PrimaryIndexTest, ReadOfMissingReturnsFalseWithoutCalling) {
  PrimaryIndex index(2);
  std::mt19937_64 rng(2);
  const Digest present = RandomDigest(rng);
  Insert(index, present);
  Digest missing = present;
  missing.bytes[19] ^= 1;  // same sprig, different key
  bool called = false;
  EXPECT_FALSE(index.Read(missing, [&](const IndexEntry&) { called = true; }));
  EXPECT_FALSE(index.Read(RandomDigest(rng), [&](const IndexEntry&) { called = true; }));
  EXPECT_FALSE(called);
}

TEST(PrimaryIndexTest, RemoveHonoursPredicate) {
  PrimaryIndex index(1);
  std::mt19937_64 rng(3);
  const Digest d = RandomDigest(rng);
  Insert(index, d);

  EXPECT_FALSE(index.Remove(d, [](const IndexEntry&) { return false; }));
  EXPECT_TRUE(Contains(index, d));
  EXPECT_EQ(index.size(), 1u);

  EXPECT_TRUE(index.Remove(d, [](const IndexEntry& e) { return e.generation == 1; }));
  EXPECT_FALSE(Contains(index, d));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.ArenaBytesInUse(), 0u);

  bool called = false;
  EXPECT_FALSE(index.Remove(d, [&](const IndexEntry&) { return called = true; }));
  EXPECT_FALSE(called);
  EXPECT_TRUE(index.Validate());
}

// Random inserts and deletes interleaved, checked against std::set. `partitions` limits the
// digests to a few partitions so the trees get deep.
void RunRandomOps(uint32_t sprigs, uint32_t partitions, uint64_t seed) {
  PrimaryIndex index(sprigs);
  std::mt19937_64 rng(seed);
  std::set<std::string> reference;
  std::vector<Digest> live;  // for picking a random victim

  constexpr int kInserts = 100'000;
  int inserts = 0;
  int ops = 0;
  while (inserts < kInserts) {
    ++ops;
    const uint64_t r = rng() % 100;
    if (r < 60 || live.empty()) {
      const Digest d =
          partitions == 0 ? RandomDigest(rng) : DigestInPartition(rng() % partitions, rng);
      bool was_created = false;
      index.Upsert(d, [&](IndexEntry& e, bool created) {
        was_created = created;
        e.storage_handle = 1;
      });
      ASSERT_TRUE(was_created);
      ASSERT_TRUE(reference.insert(Key(d)).second);
      live.push_back(d);
      ++inserts;
    } else if (r < 95) {
      const size_t i = rng() % live.size();
      const Digest d = live[i];
      live[i] = live.back();
      live.pop_back();
      ASSERT_TRUE(Erase(index, d));
      ASSERT_EQ(reference.erase(Key(d)), 1u);
      ASSERT_FALSE(Contains(index, d));
    } else {
      // Absent digests: lookups and removals of them must change nothing.
      const Digest d = RandomDigest(rng);
      ASSERT_EQ(Contains(index, d), reference.count(Key(d)) == 1);
      ASSERT_FALSE(reference.count(Key(d)) == 0 && Erase(index, d));
    }
    if (ops % 20'000 == 0) {
      ASSERT_TRUE(index.Validate()) << "after " << ops << " ops";
      ASSERT_EQ(index.size(), reference.size());
    }
  }
  ASSERT_TRUE(index.Validate());
  ASSERT_EQ(index.size(), reference.size());
  EXPECT_EQ(index.ArenaBytesInUse(), reference.size() * 64);

  // Every reference digest is found, and nothing else is in the index.
  for (const Digest& d : live) ASSERT_TRUE(Contains(index, d));
  std::set<std::string> found;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    uint64_t in_partition = 0;
    index.ForEachInPartition(p, [&](const IndexEntry& e) {
      found.insert(Key(e.digest));
      ++in_partition;
      return true;
    });
    ASSERT_EQ(in_partition, index.PartitionSize(p));
  }
  EXPECT_EQ(found, reference);
}

TEST(PrimaryIndexTest, RandomOpsDeepTreesMatchReference) { RunRandomOps(1, 4, 11); }

TEST(PrimaryIndexTest, RandomOpsAllPartitionsMatchReference) { RunRandomOps(16, 0, 12); }

TEST(PrimaryIndexTest, ForEachInPartitionVisitsThatPartitionInSprigThenDigestOrder) {
  constexpr uint32_t kSprigs = 4;
  PrimaryIndex index(kSprigs);
  std::mt19937_64 rng(5);
  constexpr uint32_t kTarget = 1207;
  std::set<std::string> expected;  // every inserted digest that routes to kTarget
  auto add = [&](const Digest& d) {
    Insert(index, d);
    if (base::PartitionOf(d) == kTarget) expected.insert(Key(d));
  };
  for (int i = 0; i < 5000; ++i) {
    add(DigestInPartition(kTarget, rng));
    add(DigestInPartition(kTarget + 1, rng));  // a neighbour must not leak in
    add(RandomDigest(rng));
  }

  const std::vector<Digest> visited = Visit(index, kTarget);
  ASSERT_EQ(visited.size(), index.PartitionSize(kTarget));
  std::set<std::string> seen;
  for (size_t i = 0; i < visited.size(); ++i) {
    ASSERT_EQ(base::PartitionOf(visited[i]), kTarget);
    ASSERT_TRUE(seen.insert(Key(visited[i])).second) << "visited twice";
    if (i == 0) continue;
    const uint32_t prev_sprig = SprigOf(visited[i - 1], kSprigs);
    const uint32_t sprig = SprigOf(visited[i], kSprigs);
    ASSERT_LE(prev_sprig, sprig) << "sprigs are visited in order";
    if (prev_sprig == sprig) {
      ASSERT_LT(visited[i - 1], visited[i]) << "digest order in a sprig";
    }
  }
  EXPECT_EQ(seen, expected);
  // All four sprigs were populated, so the order check above crossed sprig boundaries.
  EXPECT_EQ(SprigOf(visited.front(), kSprigs), 0u);
  EXPECT_EQ(SprigOf(visited.back(), kSprigs), kSprigs - 1);

  // Returning false stops the walk at once, across sprig boundaries too.
  int visits = 0;
  index.ForEachInPartition(kTarget, [&](const IndexEntry&) { return ++visits < 10; });
  EXPECT_EQ(visits, 10);
}

TEST(PrimaryIndexTest, RemoveIfRemovesExactlyTheMatchingOnes) {
  constexpr uint32_t kSprigs = 8;
  PrimaryIndex index(kSprigs);
  std::mt19937_64 rng(6);
  constexpr uint32_t kTarget = 33;
  std::map<std::string, uint16_t> target;  // digest -> set id
  for (uint16_t i = 0; i < 6000; ++i) {
    const Digest d = DigestInPartition(kTarget, rng);
    const uint16_t set_id = i % 3;
    index.Upsert(d, [&](IndexEntry& e, bool) { e.set_id = set_id; });
    target[Key(d)] = set_id;
  }
  std::vector<Digest> others;
  for (int i = 0; i < 2000; ++i) {
    const Digest d = DigestInPartition(kTarget + 1, rng);
    index.Upsert(d, [](IndexEntry& e, bool) { e.set_id = 1; });  // matches pred, other partition
    others.push_back(d);
  }
  const uint64_t total_before = index.size();

  std::set<std::string> reported;
  const size_t removed = index.RemoveIf(
      kTarget, [](const IndexEntry& e) { return e.set_id == 1; },
      [&](const IndexEntry& e) {
        EXPECT_EQ(e.set_id, 1u);
        EXPECT_TRUE(reported.insert(Key(e.digest)).second);
      });

  std::set<std::string> expected_removed;
  for (const auto& [k, set_id] : target) {
    if (set_id == 1) expected_removed.insert(k);
  }
  EXPECT_EQ(removed, expected_removed.size());
  EXPECT_EQ(reported, expected_removed);
  EXPECT_EQ(index.PartitionSize(kTarget), target.size() - expected_removed.size());
  EXPECT_EQ(index.size(), total_before - removed);
  EXPECT_EQ(index.ArenaBytesInUse(), index.size() * 64);
  ASSERT_TRUE(index.Validate());

  for (const Digest& d : Visit(index, kTarget)) {
    ASSERT_NE(target.at(Key(d)), 1u);
  }
  for (const auto& [k, set_id] : target) {
    Digest d;
    std::memcpy(d.bytes.data(), k.data(), base::kDigestSize);
    ASSERT_EQ(Contains(index, d), set_id != 1);
  }
  for (const Digest& d : others) ASSERT_TRUE(Contains(index, d));

  // Removing everything empties every sprig of the partition.
  EXPECT_EQ(index.RemoveIf(
                kTarget, [](const IndexEntry&) { return true; }, [](const IndexEntry&) {}),
            target.size() - expected_removed.size());
  EXPECT_EQ(index.PartitionSize(kTarget), 0u);
  EXPECT_TRUE(Visit(index, kTarget).empty());
  EXPECT_TRUE(index.Validate());
}

TEST(PrimaryIndexTest, AcceptsEveryValidSprigCount) {
  for (uint32_t sprigs = 1; sprigs <= 256; sprigs *= 2) {
    PrimaryIndex index(sprigs);
    std::mt19937_64 rng(sprigs);
    for (int i = 0; i < 2000; ++i) Insert(index, DigestInPartition(9, rng));
    EXPECT_EQ(index.PartitionSize(9), 2000u);
    const std::vector<Digest> visited = Visit(index, 9);
    ASSERT_EQ(visited.size(), 2000u);
    for (size_t i = 1; i < visited.size(); ++i) {
      const uint32_t a = SprigOf(visited[i - 1], sprigs);
      const uint32_t b = SprigOf(visited[i], sprigs);
      ASSERT_TRUE(a < b || (a == b && visited[i - 1] < visited[i])) << sprigs;
    }
    // A full Validate() locks every sprig; with Debian's absl (built without NDEBUG, so
    // deadlock detection is on) a million first-time locks take seconds, hence the cap.
    if (sprigs <= 16) {
      EXPECT_TRUE(index.Validate()) << sprigs;
    }
  }
}

TEST(PrimaryIndexDeathTest, RejectsInvalidSprigCounts) {
  EXPECT_DEATH(PrimaryIndex(0), "power of two");
  EXPECT_DEATH(PrimaryIndex(3), "power of two");
  EXPECT_DEATH(PrimaryIndex(512), "power of two");
}

// Writers own disjoint digest pools, so the final state is known exactly; readers walk and
// look up the same sprigs meanwhile. Bounded by both iterations and wall time.
TEST(PrimaryIndexTest, ConcurrentReadersAndWriters) {
  constexpr uint32_t kSprigs = 2;
  constexpr uint32_t kPartitions = 2;  // few sprigs: real contention
  constexpr int kWriters = 2;
  constexpr int kReaders = 2;
  constexpr size_t kPool = 3000;
  constexpr int kMaxWriterOps = 300'000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);

  PrimaryIndex index(kSprigs);
  std::vector<std::vector<Digest>> pools(kWriters);
  std::mt19937_64 seed_rng(9);
  for (int w = 0; w < kWriters; ++w) {
    for (size_t i = 0; i < kPool; ++i) {
      Digest d = DigestInPartition(seed_rng() % kPartitions, seed_rng);
      d.bytes[19] = static_cast<uint8_t>(w);  // pools are disjoint
      pools[w].push_back(d);
    }
  }
  // What each record's storage_handle must be: lets readers detect a torn or misrouted entry.
  auto tag_of = [](const Digest& d) {
    uint64_t v;
    std::memcpy(&v, d.bytes.data() + 4, sizeof(v));
    return v;
  };

  std::vector<std::vector<char>> present(kWriters, std::vector<char>(kPool, 0));
  std::atomic<int> writers_done{0};
  std::atomic<bool> reader_failed{false};
  std::vector<std::thread> threads;

  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(100 + w);
      std::vector<char>& mine = present[w];
      for (int op = 0; op < kMaxWriterOps; ++op) {
        if ((op & 255) == 0 && std::chrono::steady_clock::now() > deadline) break;
        const size_t i = rng() % kPool;
        const Digest& d = pools[w][i];
        const uint64_t r = rng() % 100;
        if (r < 55) {
          index.Upsert(d, [&](IndexEntry& e, bool created) {
            EXPECT_EQ(created, mine[i] == 0);
            e.storage_handle = tag_of(d);
            e.generation++;
            e.set_id = static_cast<uint16_t>(w + 1);
          });
          mine[i] = 1;
        } else if (r < 99) {
          EXPECT_EQ(Erase(index, d), mine[i] == 1);
          mine[i] = 0;
        } else {
          // Sweep this writer's old records out of one partition, as expiry would.
          const uint32_t p = static_cast<uint32_t>(rng() % kPartitions);
          index.RemoveIf(
              p, [&](const IndexEntry& e) { return e.set_id == w + 1 && e.generation > 3; },
              [&](const IndexEntry& e) {
                const auto it = std::find(pools[w].begin(), pools[w].end(), e.digest);
                EXPECT_NE(it, pools[w].end());
                mine[it - pools[w].begin()] = 0;
              });
        }
      }
      writers_done.fetch_add(1);
    });
  }
  for (int rdr = 0; rdr < kReaders; ++rdr) {
    threads.emplace_back([&, rdr] {
      std::mt19937_64 rng(200 + rdr);
      while (writers_done.load() < kWriters && !reader_failed.load()) {
        const Digest& d = pools[rng() % kWriters][rng() % kPool];
        index.Read(d, [&](const IndexEntry& e) {
          if (e.digest != d || e.storage_handle != tag_of(d)) reader_failed = true;
        });
        if ((rng() & 63) == 0) {
          const uint32_t p = static_cast<uint32_t>(rng() % kPartitions);
          Digest prev{};
          uint32_t prev_sprig = 0;
          bool first = true;
          index.ForEachInPartition(p, [&](const IndexEntry& e) {
            const uint32_t s = SprigOf(e.digest, kSprigs);
            if (base::PartitionOf(e.digest) != p || e.storage_handle != tag_of(e.digest) ||
                (!first && (s < prev_sprig || (s == prev_sprig && !(prev < e.digest))))) {
              reader_failed = true;
            }
            prev = e.digest;
            prev_sprig = s;
            first = false;
            return true;
          });
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_FALSE(reader_failed.load());
  ASSERT_TRUE(index.Validate());
  uint64_t expected = 0;
  for (int w = 0; w < kWriters; ++w) {
    for (size_t i = 0; i < kPool; ++i) {
      expected += present[w][i];
      ASSERT_EQ(Contains(index, pools[w][i]), present[w][i] == 1);
    }
  }
  EXPECT_EQ(index.size(), expected);
  EXPECT_EQ(index.ArenaBytesInUse(), expected * 64);
}

}  // namespace
}  // namespace tern::index
