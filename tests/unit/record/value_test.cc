#include "record/value.h"

#include <gtest/gtest.h>

#include <cmath>

#include "record/record.h"

namespace tern::record {
namespace {

TEST(ValueTest, Scalars) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value::Integer(-7).integer(), -7);
  EXPECT_EQ(Value::Integer(-7).type(), ParticleType::kInteger);
  EXPECT_EQ(Value::Double(2.5).dbl(), 2.5);
  EXPECT_EQ(Value::Double(2.5).type(), ParticleType::kFloat);
  EXPECT_TRUE(Value::Bool(true).boolean());
  EXPECT_FALSE(Value::Bool(false).boolean());
  EXPECT_TRUE(std::isnan(Value::Double(std::nan("")).dbl()));
}

TEST(ValueTest, EqualityKeepsTypesApart) {
  EXPECT_EQ(Value::String("a"), Value::String("a"));
  EXPECT_NE(Value::String("a"), Value::Blob("a"));
  EXPECT_NE(Value::Blob("a"), Value::Blob("a", ParticleType::kJavaBlob));
  EXPECT_NE(Value::Integer(1), Value::Bool(true));
  EXPECT_NE(Value::Integer(0), Value());
}

TEST(ValueTest, TypeTables) {
  EXPECT_FALSE(IsBytesType(ParticleType::kInteger));
  EXPECT_FALSE(IsBytesType(ParticleType::kBool));
  EXPECT_TRUE(IsBytesType(ParticleType::kString));
  EXPECT_TRUE(IsBytesType(ParticleType::kList));
  EXPECT_TRUE(IsKnownParticleType(23));
  EXPECT_FALSE(IsKnownParticleType(5));
  EXPECT_FALSE(IsKnownParticleType(21));
  EXPECT_EQ(ParticleTypeName(ParticleType::kGeoJson), "geojson");
  EXPECT_EQ(Value::String("abc").StoredSize(), 3u);
  EXPECT_EQ(Value::Integer(1).StoredSize(), 8u);
}

TEST(RecordTest, SetFindAndRemove) {
  Record r;
  r.Set("a", Value::Integer(1));
  r.Set("b", Value::String("xy"));
  r.Set("a", Value::Integer(2));
  ASSERT_EQ(r.bins.size(), 2u);
  EXPECT_EQ(r.Find("a")->value, Value::Integer(2));
  EXPECT_EQ(r.DataSize(), (1 + 1 + 8) + (1 + 1 + 2));
  r.Set("a", Value());
  EXPECT_EQ(r.Find("a"), nullptr);
  EXPECT_EQ(r.bins.size(), 1u);
}

}  // namespace
}  // namespace tern::record
