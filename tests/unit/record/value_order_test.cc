#include "record/value_order.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "record/collection.h"

namespace tern::record {
namespace {

using Entries = std::vector<std::pair<Value, Value>>;

std::string Hex(std::string_view spaced) {
  std::string compact;
  for (char c : spaced) {
    if (c != ' ') compact.push_back(c);
  }
  return absl::HexStringToBytes(compact);
}

Value ListOf(std::vector<Value> items) { return Value::List(EncodeList(items)); }
Value MapOf(const Entries& entries) { return Value::Map(EncodeMap(entries)); }

TEST(ValueOrderTest, OrderAcrossTypes) {
  // nil < false < true < integer < string < list < map < blob < double < GeoJSON
  std::vector<Value> ascending = {
      Value(),
      Value::Bool(false),
      Value::Bool(true),
      Value::Integer(std::numeric_limits<int64_t>::min()),
      Value::Integer(-1),
      Value::Integer(1000),
      Value::String(""),
      Value::String("a"),
      Value::String("ab"),
      Value::String("b"),
      ListOf({}),
      ListOf({Value::Integer(1)}),
      ListOf({Value::Integer(1), Value::Integer(0)}),
      ListOf({Value::Integer(2)}),
      ListOf({Value::String("a")}),
      MapOf({}),
      MapOf({{Value::String("z"), Value::Integer(9)}}),
      MapOf({{Value::Integer(1), Value::Integer(1)}, {Value::Integer(2), Value::Integer(1)}}),
      MapOf({{Value::Integer(1), Value::Integer(2)}, {Value::Integer(2), Value::Integer(1)}}),
      Value::Blob(""),
      Value::Blob("\x01"),
      Value::Blob("\xff"),
      Value::Blob(std::string(1, '\0'), ParticleType::kJavaBlob),
      Value::Double(-std::numeric_limits<double>::infinity()),
      Value::Double(-1.5),
      Value::Double(0.0),
      Value::Double(1e300),
      Value::Double(std::numeric_limits<double>::quiet_NaN()),
      Value::GeoJson("{\"type\":\"Point\"}"),
  };
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      int expected = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(CompareValues(ascending[i], ascending[j]), expected) << i << " vs " << j;
    }
  }
  // Doubles never equal integers; maps compare in key order regardless of stored order.
  EXPECT_GT(CompareValues(Value::Double(1.0), Value::Integer(5)), 0);
  EXPECT_EQ(CompareValues(MapOf({{Value::Integer(1), Value()}, {Value::Integer(2), Value()}}),
                          MapOf({{Value::Integer(2), Value()}, {Value::Integer(1), Value()}})),
            0);
  // Ordered and unordered encodings of the same list or map compare equal.
  std::vector<Value> items = {Value::Integer(1), Value::Integer(2)};
  EXPECT_EQ(CompareValues(Value::List(EncodeList(items, true)), Value::List(EncodeList(items))), 0);
  Entries entries = {{Value::String("a"), Value::Integer(1)}};
  EXPECT_EQ(CompareValues(Value::Map(EncodeMap(entries, kMapKeyOrdered)), MapOf(entries)), 0);
}

TEST(ValueOrderTest, EveryIntegerEncodingComparesByValue) {
  // 5 as fixint, uint8, uint16, int8 and int64; -3 as fixint and int16.
  for (std::string_view five : {"05", "cc 05", "cd 00 05", "d0 05", "d3 00 00 00 00 00 00 00 05"}) {
    EXPECT_EQ(CompareElements(Hex(five), Hex("05")), 0) << five;
    EXPECT_GT(CompareElements(Hex(five), Hex("fd")), 0) << five;
    EXPECT_EQ(CompareElements(Hex("d1 ff fd"), Hex("fd")), 0);
  }
  // float32 and float64 of the same number are equal; a double is above any integer.
  EXPECT_EQ(CompareElements(Hex("ca 3f c0 00 00"), Hex("cb 3f f8 00 00 00 00 00 00")), 0);
  EXPECT_GT(CompareElements(Hex("ca 3f c0 00 00"), Hex("cf 7f ff ff ff ff ff ff ff")), 0);
}

TEST(ValueOrderTest, WildcardAndInfinity) {
  const std::string wildcard = Hex("d4 ff 00");
  const std::string infinity = Hex("d4 ff 01");
  for (const Value& v : {Value(), Value::Integer(7), Value::String("x"), Value::Double(2.5),
                         ListOf({Value::Integer(1)}), Value::GeoJson("{}")}) {
    EXPECT_EQ(CompareElements(wildcard, PackValue(v)), 0);
    EXPECT_EQ(CompareElements(PackValue(v), wildcard), 0);
    EXPECT_LT(CompareElements(PackValue(v), infinity), 0);
  }
  // A wildcard inside a list matches any element there: ["a", *] equals ["a", [1, 2]].
  EXPECT_EQ(CompareElements(Hex("92 a2 03 61 d4 ff 00"), Hex("92 a2 03 61 92 01 02")), 0);
  EXPECT_LT(CompareElements(Hex("92 a2 03 61 d4 ff 00"), Hex("92 a2 03 62 01")), 0);
}

TEST(ValueOrderTest, MalformedInputComparesByBytesWithoutCrashing) {
  EXPECT_NE(CompareElements(Hex("92 01"), Hex("92 01 02")), 0);
  EXPECT_EQ(CompareElements(Hex("dd ff ff ff ff"), Hex("dd ff ff ff ff")), 0);
  EXPECT_EQ(CompareElements("", ""), 0);
}

}  // namespace
}  // namespace tern::record
