#include "ns/namespace.h"

#include <gtest/gtest.h>

#include "storage/memory_engine.h"

namespace tern::ns {
namespace {

class NamespaceTest : public ::testing::Test {
 protected:
  NamespaceTest() : ns_(Config(), std::make_unique<storage::MemoryEngine>()) {}
  static base::NamespaceConfig Config() {
    base::NamespaceConfig c;
    c.name = "test";
    c.default_ttl = 30;
    c.sets.push_back({"s", 5, 0, true});
    return c;
  }
  Namespace ns_;
};

TEST_F(NamespaceTest, ConfiguredSetOverridesApply) {
  uint16_t s = ns_.sets().Find("s");
  ASSERT_NE(s, 0);
  EXPECT_EQ(ns_.DefaultTtl(s), 5);
  EXPECT_EQ(ns_.DefaultTtl(0), 30);
  EXPECT_TRUE(ns_.sets().Get(s)->disable_eviction);
}

TEST_F(NamespaceTest, LivePolicyChangesAreCheckedBeforeApplied) {
  EXPECT_TRUE(ns_.SetPolicy("", "default-ttl", "60").ok());
  EXPECT_EQ(ns_.policy().default_ttl.load(), 60);
  EXPECT_TRUE(ns_.SetPolicy("", "max_record_size", "2M").ok());
  EXPECT_EQ(ns_.policy().max_record_size.load(), 2u << 20);
  EXPECT_FALSE(ns_.SetPolicy("", "default-ttl", "-5").ok());
  EXPECT_FALSE(ns_.SetPolicy("", "stop-writes-pct", "101").ok());
  EXPECT_FALSE(ns_.SetPolicy("", "bogus", "1").ok());
  EXPECT_TRUE(ns_.SetPolicy("", "default-ttl", "99", /*apply=*/false).ok());
  EXPECT_EQ(ns_.policy().default_ttl.load(), 60);  // a dry run changes nothing
  EXPECT_TRUE(ns_.SetPolicy("new", "stop-writes-count", "10").ok());
  EXPECT_EQ(ns_.sets().Get(ns_.sets().Find("new"))->stop_writes_count.load(), 10u);
  EXPECT_FALSE(ns_.SetPolicy("new", "disable-eviction", "maybe").ok());
}

TEST_F(NamespaceTest, VisibilityFollowsVoidTimeAndTruncation) {
  index::RecordMeta m;
  m.last_update_ms = 1000;
  EXPECT_TRUE(ns_.IsLive(m, 100));
  m.void_time = 100;
  EXPECT_FALSE(ns_.IsLive(m, 100));
  EXPECT_TRUE(ns_.IsLive(m, 99));
  ASSERT_TRUE(ns_.Truncate("", 2000).ok());
  EXPECT_FALSE(ns_.IsLive(m, 0));
  m.last_update_ms = 2001;
  EXPECT_TRUE(ns_.IsLive(m, 0));
  EXPECT_FALSE(ns_.Truncate("", int64_t{1} << 50).ok());  // the future is refused
}

}  // namespace
}  // namespace tern::ns
