#include "record/collection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/escaping.h"
#include "base/result_code.h"
#include "record/value_order.h"

namespace tern::record {
namespace {

using base::ResultCode;
using base::ResultCodeOf;
using Entries = std::vector<std::pair<Value, Value>>;

// "92 01 a2" -> bytes.
std::string Hex(std::string_view spaced) {
  std::string compact;
  for (char c : spaced) {
    if (c != ' ') compact.push_back(c);
  }
  return absl::HexStringToBytes(compact);
}

std::string ToHex(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out += absl::BytesToHexString(absl::string_view(&c, 1));
  }
  return out;
}

std::vector<Value> List(std::string_view hex) {
  absl::StatusOr<std::vector<Value>> l = DecodeList(Hex(hex));
  EXPECT_TRUE(l.ok()) << hex << ": " << l.status();
  return l.ok() ? *l : std::vector<Value>{};
}

Value ListOf(std::vector<Value> items) { return Value::List(EncodeList(items)); }
Value MapOf(const Entries& entries) { return Value::Map(EncodeMap(entries)); }

void ExpectRejected(std::string_view bytes) {
  absl::StatusOr<std::vector<Value>> l = DecodeList(bytes);
  EXPECT_FALSE(l.ok()) << ToHex(bytes);
  if (!l.ok()) {
    EXPECT_EQ(ResultCodeOf(l.status()), ResultCode::kParameterError);
  }
  absl::StatusOr<Entries> m = DecodeMap(bytes);
  EXPECT_FALSE(m.ok()) << ToHex(bytes);
  if (!m.ok()) {
    EXPECT_EQ(ResultCodeOf(m.status()), ResultCode::kParameterError);
  }
}

TEST(CollectionTest, WireExamples) {
  std::vector<Value> list = {Value::Integer(1), Value::String("a")};
  EXPECT_EQ(ToHex(EncodeList(list)), "92 01 a2 03 61");
  Entries map = {{Value::String("a"), Value::Integer(1)}};
  EXPECT_EQ(ToHex(EncodeMap(map)), "81 a2 03 61 01");
  std::vector<Value> empty_string = {Value::String("")};
  EXPECT_EQ(ToHex(EncodeList(empty_string)), "91 a1 03");
  std::vector<Value> blob = {Value::Blob(Hex("01 02"))};
  EXPECT_EQ(ToHex(EncodeList(blob)), "91 a3 04 01 02");

  EXPECT_EQ(List("92 01 a2 03 61"), list);
  EXPECT_EQ(List("91 a1 03"), empty_string);
  EXPECT_EQ(List("91 a3 04 01 02"), blob);
  absl::StatusOr<Entries> m = DecodeMap(Hex("81 a2 03 61 01"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, map);
}

TEST(CollectionTest, OrderedExamples) {
  Entries map = {{Value::String("a"), Value::Integer(1)}};
  EXPECT_EQ(ToHex(EncodeMap(map, kMapKeyOrdered)), "82 c7 00 01 c0 a2 03 61 01");
  std::vector<Value> list = {Value::Integer(2), Value::Integer(1)};
  EXPECT_EQ(ToHex(EncodeList(list, /*ordered=*/true)), "93 c7 00 01 01 02");

  EXPECT_EQ(List("93 c7 00 01 01 02"), (std::vector<Value>{Value::Integer(1), Value::Integer(2)}));
  absl::StatusOr<Entries> m = DecodeMap(Hex("82 c7 00 01 c0 a2 03 61 01"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, map);
  EXPECT_EQ(CollectionOrderFlags(Hex("82 c7 00 01 c0 a2 03 61 01")), 1);
  EXPECT_EQ(CollectionOrderFlags(Hex("93 c7 00 01 01 02")), 1);
  EXPECT_EQ(CollectionOrderFlags(Hex("92 01 02")), 0);
  EXPECT_EQ(CollectionOrderFlags(Hex("81 a2 03 61 01")), 0);
}

TEST(CollectionTest, KeyOrderedMapSortsByKey) {
  Entries map = {{Value::String("b"), Value::Integer(2)},
                 {Value::Integer(5), Value::Integer(3)},
                 {Value::String("a"), Value::Integer(1)}};
  std::string bytes = EncodeMap(map, kMapKeyValueOrdered);
  EXPECT_EQ(CollectionOrderFlags(bytes), kMapKeyValueOrdered);
  absl::StatusOr<Entries> m = DecodeMap(bytes);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, (Entries{{Value::Integer(5), Value::Integer(3)},
                         {Value::String("a"), Value::Integer(1)},
                         {Value::String("b"), Value::Integer(2)}}));
  // Unordered maps keep the given order.
  m = DecodeMap(EncodeMap(map));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, map);
}

TEST(CollectionTest, ElementEncodings) {
  EXPECT_EQ(ToHex(EncodeList(std::vector<Value>{Value(), Value::Bool(false), Value::Bool(true)})),
            "93 c0 c2 c3");
  EXPECT_EQ(ToHex(EncodeList(std::vector<Value>{Value::Double(1.0)})),
            "91 cb 3f f0 00 00 00 00 00 00");
  EXPECT_EQ(ToHex(EncodeList(std::vector<Value>{Value::GeoJson("{}")})), "91 a3 17 7b 7d");
  EXPECT_EQ(ToHex(EncodeList(std::vector<Value>{Value::Blob("x", ParticleType::kJavaBlob)})),
            "91 a2 07 78");
  EXPECT_EQ(ToHex(EncodeList(std::vector<Value>{Value::Hll("x")})), "91 a2 12 78");
  EXPECT_EQ(ToHex(EncodeList(std::vector<Value>{Value::Integer(-1), Value::Integer(-33),
                                                Value::Integer(200), Value::Integer(70000)})),
            "94 ff d0 df cc c8 ce 00 01 11 70");
  // A 40-byte string takes a str8 header.
  std::string s(40, 'x');
  std::string enc = EncodeList(std::vector<Value>{Value::String(s)});
  EXPECT_EQ(ToHex(enc.substr(0, 4)), "91 d9 29 03");
  EXPECT_EQ(List(ToHex(enc)), std::vector<Value>{Value::String(s)});
  // Nested collections are written verbatim.
  Value inner = ListOf({Value::Integer(1)});
  EXPECT_EQ(ToHex(EncodeList(std::vector<Value>{inner, MapOf({})})), "92 91 01 80");
}

TEST(CollectionTest, EveryIntegerWidth) {
  EXPECT_EQ(List("91 05"), std::vector<Value>{Value::Integer(5)});
  EXPECT_EQ(List("91 7f"), std::vector<Value>{Value::Integer(127)});
  EXPECT_EQ(List("91 e0"), std::vector<Value>{Value::Integer(-32)});
  EXPECT_EQ(List("91 cc ff"), std::vector<Value>{Value::Integer(255)});
  EXPECT_EQ(List("91 cd ff ff"), std::vector<Value>{Value::Integer(65535)});
  EXPECT_EQ(List("91 ce ff ff ff ff"), std::vector<Value>{Value::Integer(4294967295)});
  EXPECT_EQ(List("91 cf 00 00 00 01 00 00 00 00"), std::vector<Value>{Value::Integer(4294967296)});
  EXPECT_EQ(List("91 cf ff ff ff ff ff ff ff ff"), std::vector<Value>{Value::Integer(-1)});
  EXPECT_EQ(List("91 d0 80"), std::vector<Value>{Value::Integer(-128)});
  EXPECT_EQ(List("91 d0 05"), std::vector<Value>{Value::Integer(5)});
  EXPECT_EQ(List("91 d1 80 00"), std::vector<Value>{Value::Integer(-32768)});
  EXPECT_EQ(List("91 d2 80 00 00 00"), std::vector<Value>{Value::Integer(-2147483648LL)});
  EXPECT_EQ(List("91 d3 80 00 00 00 00 00 00 00"),
            std::vector<Value>{Value::Integer(std::numeric_limits<int64_t>::min())});
  // float32 and float64
  EXPECT_EQ(List("91 ca 3f c0 00 00"), std::vector<Value>{Value::Double(1.5)});
  EXPECT_EQ(List("91 cb 40 04 00 00 00 00 00 00"), std::vector<Value>{Value::Double(2.5)});
  // Round trip of boundary values through the encoder's smallest forms.
  std::vector<Value> ints;
  for (int64_t v : {int64_t{0},
                    int64_t{127},
                    int64_t{128},
                    int64_t{255},
                    int64_t{256},
                    int64_t{65535},
                    int64_t{65536},
                    int64_t{4294967295},
                    int64_t{4294967296},
                    std::numeric_limits<int64_t>::max(),
                    int64_t{-1},
                    int64_t{-32},
                    int64_t{-33},
                    int64_t{-128},
                    int64_t{-129},
                    int64_t{-32768},
                    int64_t{-32769},
                    int64_t{-2147483648LL},
                    int64_t{-2147483649LL},
                    std::numeric_limits<int64_t>::min()}) {
    ints.push_back(Value::Integer(v));
  }
  absl::StatusOr<std::vector<Value>> back = DecodeList(EncodeList(ints));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, ints);
}

TEST(CollectionTest, StringAndBlobForms) {
  // Bin-family headers carry the same prefixes.
  EXPECT_EQ(List("91 c4 02 03 61"), std::vector<Value>{Value::String("a")});
  EXPECT_EQ(List("91 c5 00 02 04 ff"), std::vector<Value>{Value::Blob("\xff")});
  EXPECT_EQ(List("91 c6 00 00 00 02 17 31"), std::vector<Value>{Value::GeoJson("1")});
  EXPECT_EQ(List("91 da 00 02 03 62"), std::vector<Value>{Value::String("b")});
  EXPECT_EQ(List("91 db 00 00 00 02 03 62"), std::vector<Value>{Value::String("b")});
  // Zero-length payload: an empty blob. Other prefixes: blobs of that subtype, kept.
  EXPECT_EQ(List("91 a0"), std::vector<Value>{Value::Blob("")});
  EXPECT_EQ(List("91 c4 00"), std::vector<Value>{Value::Blob("")});
  EXPECT_EQ(List("91 a2 0c 41"), std::vector<Value>{Value::Blob("A", ParticleType::kErlangBlob)});
  EXPECT_EQ(List("91 a2 12 41"), std::vector<Value>{Value::Hll("A")});
  std::vector<Value> odd = List("91 a2 61 41");
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(static_cast<int>(odd[0].type()), 0x61);
  EXPECT_EQ(ToHex(EncodeList(odd)), "91 a2 61 41");
  // A payload typed as a scalar or a collection cannot be represented.
  ExpectRejected(Hex("91 a2 01 41"));
  ExpectRejected(Hex("91 a2 14 41"));
}

TEST(CollectionTest, NestedRoundTrip) {
  Value inner_list = ListOf({Value::Integer(1), Value::String("x"), Value::Double(0.5)});
  Value inner_map = MapOf({{Value::String("k"), inner_list}, {Value::Integer(7), Value()}});
  Value deep = ListOf({inner_map, ListOf({ListOf({})})});
  std::vector<Value> top = {deep, inner_map, Value::Bool(true), Value::GeoJson("{\"a\":1}")};
  std::string bytes = EncodeList(top);
  absl::StatusOr<std::vector<Value>> back = DecodeList(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, top);
  // Nested elements come back as their exact bytes.
  EXPECT_EQ((*back)[1].type(), ParticleType::kMap);
  EXPECT_EQ((*back)[1].bytes(), inner_map.bytes());
  absl::StatusOr<Entries> m = DecodeMap((*back)[1].bytes());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].second, inner_list);

  // Non-minimal encodings inside a nested element are preserved byte for byte.
  std::vector<Value> l = List("92 91 d3 00 00 00 00 00 00 00 01 81 c4 02 03 61 ca 3f 80 00 00");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(ToHex(l[0].bytes()), "91 d3 00 00 00 00 00 00 00 01");
  EXPECT_EQ(ToHex(l[1].bytes()), "81 c4 02 03 61 ca 3f 80 00 00");

  Entries map_entries = {{Value::String("list"), inner_list},
                         {ListOf({Value::Integer(1)}), MapOf({})},
                         {Value::Double(-2.25), Value::Blob("b")}};
  absl::StatusOr<Entries> mb = DecodeMap(EncodeMap(map_entries));
  ASSERT_TRUE(mb.ok()) << mb.status();
  EXPECT_EQ(*mb, map_entries);
}

TEST(CollectionTest, LargeHeaders) {
  std::vector<Value> many;
  for (int i = 0; i < 70000; ++i) many.push_back(Value::Integer(i % 100));
  std::string bytes = EncodeList(many);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0xdd);
  absl::StatusOr<std::vector<Value>> back = DecodeList(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, many);

  Entries entries;
  for (int i = 0; i < 20; ++i) entries.emplace_back(Value::Integer(i), Value::Integer(-i));
  bytes = EncodeMap(entries);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0xde);
  absl::StatusOr<Entries> m = DecodeMap(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, entries);
}

TEST(CollectionTest, MalformedRejected) {
  ExpectRejected("");
  ExpectRejected(Hex("c0"));                    // not a collection
  ExpectRejected(Hex("92 01"));                 // missing element
  ExpectRejected(Hex("91 a5 03 61"));           // string past the end
  ExpectRejected(Hex("91 cd 01"));              // truncated integer
  ExpectRejected(Hex("91 cb 00 00"));           // truncated double
  ExpectRejected(Hex("dc 00"));                 // truncated header
  ExpectRejected(Hex("dd ff ff ff ff 01"));     // count past the input
  ExpectRejected(Hex("91 c1"));                 // reserved byte
  ExpectRejected(Hex("91 01 02"));              // trailing bytes
  ExpectRejected(Hex("92 01 c7 00 01"));        // ext not at the head
  ExpectRejected(Hex("91 c9 ff ff ff ff 00"));  // ext32 of 4 GiB
  ExpectRejected(Hex("91 91 dd ff ff ff ff"));  // nested claim past the input

  EXPECT_FALSE(DecodeMap(Hex("92 01 02")).ok());  // a list is not a map
  EXPECT_FALSE(DecodeList(Hex("81 01 02")).ok());
  EXPECT_FALSE(DecodeMap(Hex("81 01")).ok());  // key without value
  EXPECT_FALSE(DecodeMap(Hex("82 01 02 c7 00 01 c0")).ok());
}

TEST(CollectionTest, DepthLimited) {
  auto nested = [](int depth) {
    std::string s(depth, static_cast<char>(0x91));
    s.push_back(0x01);
    return s;
  };
  EXPECT_TRUE(DecodeList(nested(kMaxCollectionDepth)).ok());
  absl::StatusOr<std::vector<Value>> too_deep = DecodeList(nested(kMaxCollectionDepth + 1));
  ASSERT_FALSE(too_deep.ok());
  EXPECT_THAT(std::string(too_deep.status().message()), ::testing::HasSubstr("deep"));
  EXPECT_FALSE(DecodeList(nested(100000)).ok());
}

TEST(CollectionTest, TruncationsRejected) {
  Value inner = MapOf({{Value::String("k"), ListOf({Value::Integer(300), Value::Double(1.5)})}});
  std::string bytes =
      EncodeList(std::vector<Value>{inner, Value::String("hello"), Value::Integer(-100000)});
  ASSERT_TRUE(DecodeList(bytes).ok());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeList(bytes.substr(0, cut)).ok()) << cut;
  }
}

TEST(CollectionTest, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  // Bias toward msgpack-looking inputs: a collection header, then random bytes.
  for (int i = 0; i < 10000; ++i) {
    std::string s(rng() % 48, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    if (!s.empty() && i % 2 == 0)
      s[0] = static_cast<char>((i % 4 == 0 ? 0x90 : 0x80) | (rng() % 16));
    absl::StatusOr<std::vector<Value>> l = DecodeList(s);
    absl::StatusOr<Entries> m = DecodeMap(s);
    if (l.ok()) {
      for (const Value& v : *l) (void)CompareValues(v, v);
      (void)ValueToJson(Value::List(s));
    }
    if (m.ok()) (void)ValueToJson(Value::Map(s));
    (void)CollectionOrderFlags(s);
  }
}

TEST(CollectionTest, MutatedValidInputsNeverCrash) {
  std::string good = EncodeList(std::vector<Value>{
      MapOf({{Value::String("a"), ListOf({Value::Integer(1), Value::Double(2)})}}),
      Value::String("text"), Value::Blob("\x01\x02"), Value::Integer(1 << 20)});
  std::mt19937 rng(7);
  for (int i = 0; i < 10000; ++i) {
    std::string s = good;
    for (int k = 0; k < 3; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    absl::StatusOr<std::vector<Value>> l = DecodeList(s);
    if (l.ok()) {
      for (const Value& v : *l) {
        (void)CompareValues(v, (*l)[0]);
        (void)ValueToJson(v);
      }
    }
  }
}

TEST(CollectionTest, OrderedListSorts) {
  std::vector<Value> items = {Value::Double(1), Value::String("b"), Value::Integer(3),
                              Value(),          Value::String("a"), Value::Integer(-3)};
  absl::StatusOr<std::vector<Value>> sorted = DecodeList(EncodeList(items, true));
  ASSERT_TRUE(sorted.ok());
  EXPECT_EQ(*sorted,
            (std::vector<Value>{Value(), Value::Integer(-3), Value::Integer(3), Value::String("a"),
                                Value::String("b"), Value::Double(1)}));
}

TEST(CollectionTest, JsonForms) {
  Value map =
      MapOf({{Value::String("n"), Value::Integer(1)},
             {Value::String("d"), Value::Double(1.5)},
             {Value::String("s"), Value::String("x")},
             {Value::String("b"), Value::Blob("\x01\x02")},
             {Value::String("t"), Value::Bool(true)},
             {Value::String("z"), Value()},
             {Value::String("l"), ListOf({Value::Integer(1), Value::String("y")})},
             {Value::String("g"), Value::GeoJson(R"({"type":"Point","coordinates":[1,2]})")}});
  nlohmann::json j = ValueToJson(map);
  EXPECT_EQ(j, nlohmann::json::parse(R"({"n": 1, "d": 1.5, "s": "x", "b": {"blob": "AQI="},
      "t": true, "z": null, "l": [1, "y"],
      "g": {"geojson": {"type": "Point", "coordinates": [1, 2]}}})"));

  EXPECT_EQ(ValueToJson(Value::Blob("a", ParticleType::kPythonBlob)),
            nlohmann::json::parse(R"({"blob": "YQ==", "subtype": 9})"));
  EXPECT_EQ(ValueToJson(Value::GeoJson("not json")),
            nlohmann::json::parse(R"({"geojson": "not json"})"));
  // Non-string keys: an array of pairs.
  EXPECT_EQ(ValueToJson(MapOf({{Value::Integer(1), Value::String("a")}})),
            nlohmann::json::parse(R"([[1, "a"]])"));
  EXPECT_TRUE(ValueToJson(Value::List("\x92\x01")).contains("invalid"));
}

TEST(CollectionTest, JsonRoundTrips) {
  for (const Value& v :
       {Value(), Value::Bool(false), Value::Integer(-5),
        Value::Integer(std::numeric_limits<int64_t>::max()), Value::Double(2.0),
        Value::Double(-0.125), Value::String("héllo"),
        Value::Blob(std::string("\x00\xff", 2), ParticleType::kBlob),
        Value::Blob("j", ParticleType::kJavaBlob), Value::Hll("hll"),
        Value::GeoJson(R"({"coordinates":[1,2],"type":"Point"})"),
        ListOf({Value::Integer(1), ListOf({Value::String("n")}),
                MapOf({{Value::String("k"), Value::Double(0.5)}})}),
        MapOf({{Value::String("a"), Value::Integer(1)}, {Value::String("b"), ListOf({})}})}) {
    nlohmann::json j = ValueToJson(v);
    absl::StatusOr<Value> back = ValueFromJson(j);
    ASSERT_TRUE(back.ok()) << j.dump() << ": " << back.status();
    EXPECT_EQ(CompareValues(*back, v), 0) << j.dump();
    EXPECT_EQ(back->type(), v.type()) << j.dump();
    // And through text.
    absl::StatusOr<Value> reparsed = ValueFromJson(nlohmann::json::parse(j.dump()));
    ASSERT_TRUE(reparsed.ok()) << j.dump();
    EXPECT_EQ(reparsed->type(), v.type()) << j.dump();
    EXPECT_EQ(CompareValues(*reparsed, v), 0) << j.dump();
  }
}

TEST(CollectionTest, ValueFromJson) {
  absl::StatusOr<Value> v =
      ValueFromJson(nlohmann::json::parse(R"({"b": [1, 2.5, "s", null, true]})"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(ToHex(v->bytes()), "81 a2 03 62 95 01 cb 40 04 00 00 00 00 00 00 a2 03 73 c0 c3");
  v = ValueFromJson(nlohmann::json::parse(R"({"geojson": {"type": "Point"}})"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Value::GeoJson(R"({"type":"Point"})"));
  v = ValueFromJson(nlohmann::json::parse(R"({"blob": "AQI="})"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Value::Blob("\x01\x02"));
  // A map that merely has a "blob" key among others stays a map.
  v = ValueFromJson(nlohmann::json::parse(R"({"blob": "x", "other": 1})"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type(), ParticleType::kMap);

  EXPECT_FALSE(ValueFromJson(nlohmann::json::parse(R"({"blob": "***"})")).ok());
  EXPECT_FALSE(ValueFromJson(nlohmann::json::parse(R"({"blob": "AA==", "subtype": 1})")).ok());
  EXPECT_FALSE(ValueFromJson(nlohmann::json::parse("18446744073709551615")).ok());
  std::string deep(200, '[');
  deep += std::string(200, ']');
  EXPECT_FALSE(ValueFromJson(nlohmann::json::parse(deep)).ok());
}

}  // namespace
}  // namespace tern::record
