#include "wire/particle.h"

#include <gtest/gtest.h>

#include "base/result_code.h"

namespace tern::wire {
namespace {

using record::Value;

TEST(ParticleTest, EveryTypeRoundTrips) {
  for (const Value& v :
       {Value::Integer(-5), Value::Double(0.25), Value::String("héllo"), Value::Blob("\x01\x02"),
        Value::Bool(true), Value::List("\x92\x01\x02"), Value::Map("\x81\xa2\x03\x61\x01"),
        Value::GeoJson(R"({"type":"Point","coordinates":[1,2]})"),
        Value::Blob("py", record::ParticleType::kPythonBlob), Value::Hll("hll")}) {
    std::string bytes;
    AppendParticle(v, &bytes);
    auto back = DecodeParticle(static_cast<uint8_t>(v.type()), bytes);
    ASSERT_TRUE(back.ok()) << record::ParticleTypeName(v.type());
    EXPECT_EQ(*back, v) << record::ParticleTypeName(v.type());
  }
}

TEST(ParticleTest, ShortIntegersAreUnsignedAndBadOnesRejected) {
  EXPECT_EQ(*DecodeParticle(1, std::string("\xff", 1)), Value::Integer(255));
  EXPECT_EQ(*DecodeParticle(1, std::string("\x01\x00", 2)), Value::Integer(256));
  EXPECT_FALSE(DecodeParticle(1, "abc").ok());
  EXPECT_FALSE(DecodeParticle(2, "abc").ok());
  EXPECT_FALSE(DecodeParticle(20, "\x93\x01").ok());  // truncated list
  EXPECT_EQ(base::ResultCodeOf(DecodeParticle(23, std::string("\0\0\0not json", 11)).status()),
            base::ResultCode::kGeoInvalidGeoJson);
  EXPECT_FALSE(DecodeParticle(5, "x").ok());  // unassigned type
  for (const char* bad :
       {R"({"type":"Point","coordinates":"x"})", R"({"type":"Point","coordinates":[200,0]})",
        R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]})",
        R"({"type":"Blob","coordinates":[0,0]})"}) {
    EXPECT_EQ(base::ResultCodeOf(DecodeParticle(23, std::string("\0\0\0", 3) + bad).status()),
              base::ResultCode::kGeoInvalidGeoJson)
        << bad;
  }
  for (const char* good : {R"({"type":"Point","coordinates":[-122.5,37.7]})",
                           R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})",
                           R"({"type":"AeroCircle","coordinates":[[-122.5,37.7],300]})"}) {
    EXPECT_TRUE(DecodeParticle(23, std::string("\0\0\0", 3) + good).ok()) << good;
  }
}

TEST(ParticleTest, KeysRoundTrip) {
  for (const Value& k : {Value::Integer(1), Value::String("key1"), Value::Blob("\x01\x02\x03")}) {
    auto back = DecodeKey(EncodeKey(k));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, k);
  }
  EXPECT_FALSE(DecodeKey("").ok());
  EXPECT_FALSE(DecodeKey(std::string("\x01\x00", 2)).ok());
}

}  // namespace
}  // namespace tern::wire
