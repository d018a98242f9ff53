#include "smd/metadata_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace tern::smd {
namespace {

std::string Dir(std::string_view tag = "") {
  auto d = std::filesystem::temp_directory_path() /
           ("tern-smd-test-" + std::to_string(::getpid()) + std::string(tag));
  std::filesystem::remove_all(d);
  return d.string();
}

TEST(MetadataStoreTest, ItemsPersistAcrossReopenWithVersions) {
  const std::string dir = Dir();
  {
    auto store = MetadataStore::Open(dir);
    ASSERT_TRUE(store.ok());
    int notified = 0;
    (*store)->Subscribe("udf", [&] { ++notified; });
    ASSERT_TRUE((*store)->Set("udf", "a.lua", std::string("src\0\xff", 5)).ok());
    ASSERT_TRUE((*store)->Set("udf", "b.lua", "other").ok());
    ASSERT_TRUE((*store)->Remove("udf", "b.lua").ok());
    ASSERT_TRUE((*store)->Remove("udf", "missing.lua").ok());  // not an error, no change
    EXPECT_EQ(notified, 3);
    EXPECT_EQ((*store)->Version("udf"), 3u);
  }
  auto store = MetadataStore::Open(dir);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Version("udf"), 3u);
  auto items = (*store)->List("udf");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].key, "a.lua");
  EXPECT_EQ(items[0].value, std::string("src\0\xff", 5));  // binary-safe
  EXPECT_FALSE((*store)->Get("udf", "b.lua").has_value());
  EXPECT_FALSE((*store)->Get("other", "x").has_value());
  std::filesystem::remove_all(dir);
}

// Two nodes that make changes independently converge by exchanging everything, in either
// order, and a removal reaches the node that still had the item.
TEST(MetadataStoreTest, MergeConvergesAndCarriesRemovals) {
  const std::string da = Dir("a"), db = Dir("b");
  auto a = MetadataStore::Open(da, 1);
  auto b = MetadataStore::Open(db, 2);
  ASSERT_TRUE(a.ok() && b.ok());
  int b_notified = 0;
  (*b)->Subscribe("udf", [&] { ++b_notified; });
  ASSERT_TRUE((*a)->Set("udf", "x.lua", "a1").ok());
  ASSERT_TRUE((*a)->Set("udf", "gone.lua", "g").ok());
  ASSERT_TRUE((*b)->Merge((*a)->All()).ok());
  EXPECT_EQ(b_notified, 1);
  EXPECT_EQ((*b)->Get("udf", "gone.lua")->value, "g");
  // Concurrent changes to the same key: the later stamp wins on both sides.
  ASSERT_TRUE((*a)->Remove("udf", "gone.lua").ok());
  ASSERT_TRUE((*b)->Set("udf", "y.lua", "b1").ok());
  ASSERT_TRUE((*b)->Set("udf", "x.lua", "b2").ok());  // after a's x.lua
  ASSERT_TRUE((*a)->Merge((*b)->All()).ok());
  ASSERT_TRUE((*b)->Merge((*a)->All()).ok());
  EXPECT_EQ((*a)->Digest(), (*b)->Digest());
  for (auto* s : {a->get(), b->get()}) {
    EXPECT_EQ(s->Get("udf", "x.lua")->value, "b2");
    EXPECT_EQ(s->Get("udf", "y.lua")->value, "b1");
    EXPECT_FALSE(s->Get("udf", "gone.lua").has_value());
    EXPECT_EQ(s->List("udf").size(), 2u);
  }
  // Merging the same thing again changes nothing.
  const uint64_t version = (*b)->Version("udf");
  auto again = (*b)->Merge((*a)->All());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ((*b)->Version("udf"), version);
  // The tombstone survives a restart, so the removal still wins against an old copy.
  b->reset();
  auto b2 = MetadataStore::Open(db, 2);
  ASSERT_TRUE(b2.ok());
  EXPECT_EQ((*b2)->Digest(), (*a)->Digest());
  Snapshot stale{{"udf", {Item{"gone.lua", "g", 1, 1, false}}}};
  ASSERT_TRUE((*b2)->Merge(stale).ok());
  EXPECT_FALSE((*b2)->Get("udf", "gone.lua").has_value());
  std::filesystem::remove_all(da);
  std::filesystem::remove_all(db);
}

// A change made after merging a peer's item supersedes it even if our clock is behind.
TEST(MetadataStoreTest, LocalChangeAfterMergeWins) {
  const std::string d = Dir("c");
  auto s = MetadataStore::Open(d, 7);
  ASSERT_TRUE(s.ok());
  std::vector<std::string> pushed;
  (*s)->OnLocalChange(
      [&](const std::string& m, const Item& i) { pushed.push_back(m + "/" + i.key); });
  const uint64_t far_future = uint64_t{1} << 62;
  ASSERT_TRUE((*s)->Merge({{"sindex", {Item{"test/i", "def", far_future, 9, false}}}}).ok());
  EXPECT_TRUE(pushed.empty());  // merged changes are not pushed again
  ASSERT_TRUE((*s)->Remove("sindex", "test/i").ok());
  EXPECT_FALSE((*s)->Get("sindex", "test/i").has_value());
  EXPECT_EQ(pushed, std::vector<std::string>{"sindex/test/i"});
  std::filesystem::remove_all(d);
}

}  // namespace
}  // namespace tern::smd
