// proto ↔ record::Value: every kind survives the round trip, and lists/maps become the same
// msgpack particles the wire protocol stores.
#include "api/proto_value.h"

#include <gtest/gtest.h>

#include "record/collection.h"

namespace tern::api {
namespace {

using record::Value;

Value RoundTrip(const Value& v) {
  tern::v1::Value p;
  EXPECT_TRUE(ValueToProto(v, &p).ok());
  auto back = ValueFromProto(p);
  EXPECT_TRUE(back.ok()) << back.status();
  return back.ok() ? *back : Value();
}

TEST(ProtoValueTest, ScalarsRoundTrip) {
  for (const Value& v :
       {Value(), Value::Integer(-7), Value::Double(0.25), Value::String("x"), Value::Bool(true),
        Value::Blob(std::string("\0\xff", 2)), Value::Blob("j", record::ParticleType::kJavaBlob),
        Value::Hll("h"), Value::GeoJson(R"({"type":"Point","coordinates":[0,0]})")}) {
    EXPECT_EQ(RoundTrip(v), v) << record::ParticleTypeName(v.type());
  }
}

TEST(ProtoValueTest, CollectionsAreAerospikeParticles) {
  std::vector<Value> items = {Value::Integer(1), Value::String("a")};
  Value list = Value::List(record::EncodeList(items));
  EXPECT_EQ(RoundTrip(list), list);
  Value ordered = Value::List(record::EncodeList(items, true));
  EXPECT_EQ(RoundTrip(ordered), ordered);
  std::vector<std::pair<Value, Value>> entries = {{Value::String("k"), list},
                                                  {Value::Integer(3), Value::Double(1.5)}};
  Value map = Value::Map(record::EncodeMap(entries, record::kMapKeyOrdered));
  EXPECT_EQ(RoundTrip(map), map);

  tern::v1::Value p;
  auto* l = p.mutable_list_value();
  l->add_items()->set_int_value(1);
  l->add_items()->set_string_value("a");
  auto v = ValueFromProto(p);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, list);
}

TEST(ProtoValueTest, RejectsBadSubtypeAndOrder) {
  tern::v1::Value p;
  p.set_bytes_value("x");
  p.set_bytes_subtype(3);  // a string is not a blob subtype
  EXPECT_FALSE(ValueFromProto(p).ok());
  tern::v1::Value m;
  m.mutable_map_value()->set_order(2);
  EXPECT_FALSE(ValueFromProto(m).ok());
}

}  // namespace
}  // namespace tern::api
