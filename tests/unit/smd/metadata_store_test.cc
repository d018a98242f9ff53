#include "smd/metadata_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace tern::smd {
namespace {

std::string Dir() {
  auto d = std::filesystem::temp_directory_path() / ("tern-smd-test-" + std::to_string(::getpid()));
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

}  // namespace
}  // namespace tern::smd
