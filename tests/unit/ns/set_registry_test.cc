#include "ns/set_registry.h"

#include <gtest/gtest.h>

#include "base/result_code.h"

namespace tern::ns {
namespace {

TEST(SetRegistryTest, IdsAreStableAndLookupsAgree) {
  SetRegistry r;
  EXPECT_EQ(*r.IdFor(""), 0);
  uint16_t a = *r.IdFor("a");
  uint16_t b = *r.IdFor("b");
  EXPECT_NE(a, b);
  EXPECT_EQ(*r.IdFor("a"), a);
  EXPECT_EQ(r.Find("b"), b);
  EXPECT_EQ(r.Find("zzz"), 0);
  EXPECT_EQ(r.Get(a)->name, "a");
  EXPECT_EQ(r.Get(0), nullptr);
  EXPECT_EQ(r.All().size(), 2u);
}

TEST(SetRegistryTest, LimitsAreErrors) {
  SetRegistry r;
  EXPECT_FALSE(r.IdFor(std::string(64, 's')).ok());
  for (int i = 0; i < kMaxSets; ++i) ASSERT_TRUE(r.IdFor("s" + std::to_string(i)).ok());
  EXPECT_EQ(base::ResultCodeOf(r.IdFor("one-too-many").status()), base::ResultCode::kServerFull);
}

}  // namespace
}  // namespace tern::ns
