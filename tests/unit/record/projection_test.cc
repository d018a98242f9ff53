#include "record/projection.h"

#include <gtest/gtest.h>

#include "cdt_test_util.h"

namespace tern::record {
namespace {

using namespace testing;  // NOLINT: the op builders

constexpr int kMapGetByKey = 97;
constexpr int kReturnValue = 7;

Record Sample() {
  Record r;
  r.Set("a", Value::Integer(1));
  r.Set("nested", MapBin(M({{S("value"), I(10)}})));
  r.key = Value::String("k");
  return r;
}

TEST(ProjectionTest, PlainAndCollectionReads) {
  Projection p;
  p.ops = {{false, "a", ""}, {true, "nested", Op(kMapGetByKey, {I(kReturnValue), S("value")})}};
  Record out = Project(Sample(), p);
  ASSERT_EQ(out.bins.size(), 2u);
  EXPECT_EQ(out.bins[0], (Bin{"a", Value::Integer(1)}));
  EXPECT_EQ(out.bins[1], (Bin{"nested", Value::Integer(10)}));
  EXPECT_EQ(out.key, Sample().key);
}

TEST(ProjectionTest, MissingBinsAndFailedReadsAnswerNothingOrNull) {
  Projection p;
  p.ops = {{false, "gone", ""}, {true, "a", Op(kMapGetByKey, {I(kReturnValue), S("x")})}};
  EXPECT_TRUE(Project(Sample(), p).bins.empty());  // "a" is no map: that read answers nothing
  p.respond_all_ops = true;
  Record out = Project(Sample(), p);
  ASSERT_EQ(out.bins.size(), 2u);
  EXPECT_TRUE(out.bins[0].value.is_null());
  EXPECT_TRUE(out.bins[1].value.is_null());
}

TEST(ProjectionTest, EmptyNameReadsEveryBin) {
  Projection p;
  p.ops = {{false, "", ""}};
  EXPECT_EQ(Project(Sample(), p).bins, Sample().bins);
}

}  // namespace
}  // namespace tern::record
