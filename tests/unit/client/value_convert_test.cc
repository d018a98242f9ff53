// Value conversions both ways: the client's Value ↔ tern.v1.Value, and the CLI's bin=value
// parsing and JSON form (the server's record::ValueToJson).
#include <gtest/gtest.h>

#include "bench/histogram.h"
#include "cli_values.h"
#include "convert.h"

namespace tern {
namespace {

using client_internal::ValueFromProto;
using client_internal::ValueToProto;

std::vector<Value> Samples() {
  return {
      Value(),
      Value(int64_t{-5}),
      Value(1.25),
      Value("héllo"),
      Value(Bytes{std::string("\0\x01", 2), 0}),
      Value(Bytes{"java", 7}),
      Value(true),
      Value(List{{1, "two", List{{3.5}}}, false}),
      Value(List{{1, 2}, true}),
      Value(Map{{{Value("k"), Value(1)}, {Value(2), Value(Map{{{Value("n"), Value()}}, 1})}}, 0}),
      Value(GeoJson{R"({"type":"Point","coordinates":[1,2]})"})};
}

TEST(ValueConvertTest, ProtoRoundTrip) {
  for (const Value& v : Samples()) {
    tern::v1::Value p;
    ValueToProto(v, &p);
    EXPECT_EQ(ValueFromProto(p), v) << p.DebugString();
  }
  tern::v1::Value p;
  ValueToProto(Value(int64_t{7}), &p);
  EXPECT_EQ(p.int_value(), 7);
  ValueToProto(Value("s"), &p);
  EXPECT_EQ(p.string_value(), "s");
  ValueToProto(Value(), &p);
  EXPECT_EQ(p.kind_case(), tern::v1::Value::KIND_NOT_SET);
}

TEST(ValueConvertTest, JsonRoundTrip) {
  for (const Value& v : Samples()) {
    if (v.is_null()) continue;
    auto back = cli::FromJson(cli::ToJson(v));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    if (v.is_map() && v.as_map().order == 0 && v.as_map().entries.size() > 1)
      continue;                                        // reordered
    if (v.is_list() && v.as_list().ordered) continue;  // JSON has no order flag
    if (v.is_geojson()) {  // the text is re-serialised (key order, spacing)
      EXPECT_TRUE(back->is_geojson());
      continue;
    }
    EXPECT_EQ(*back, v) << cli::ToJson(v).dump();
  }
  EXPECT_EQ(cli::ToJson(Value("a")), "a");
  EXPECT_EQ(cli::ToJson(Value(List{{1, "x"}})).dump(), R"([1,"x"])");
  EXPECT_EQ(cli::ToJson(Value(Bytes{"hi", 0})).dump(), R"({"blob":"aGk="})");
}

TEST(ValueConvertTest, BinArguments) {
  auto bin = [](const char* arg) {
    auto b = cli::ParseBinArg(arg);
    EXPECT_TRUE(b.ok()) << arg << ": " << b.status().ToString();
    return b.ok() ? b->value : Value();
  };
  EXPECT_EQ(bin("age=36"), Value(36));
  EXPECT_EQ(bin("n=-7"), Value(-7));
  EXPECT_EQ(bin("pi=3.14"), Value(3.14));
  EXPECT_EQ(bin("e=1e3"), Value(1000.0));
  EXPECT_EQ(bin("ok=true"), Value(true));
  EXPECT_EQ(bin("ok=false"), Value(false));
  EXPECT_EQ(bin("name=ada"), Value("ada"));
  EXPECT_EQ(bin("s="), Value(""));
  EXPECT_EQ(bin("s=a=b"), Value("a=b"));
  EXPECT_EQ(bin("s=nan"), Value("nan"));
  EXPECT_EQ(bin("s=007x"), Value("007x"));
  EXPECT_EQ(bin(R"(tags=["a","b"])"), Value(List{{"a", "b"}}));
  EXPECT_EQ(bin(R"(m={"city":"Paris"})"), Value(Map{{{Value("city"), Value("Paris")}}, 0}));
  EXPECT_EQ(bin("big=99999999999999999999"), Value(99999999999999999999.0));  // too big for int
  EXPECT_FALSE(cli::ParseBinArg("noequals").ok());
  EXPECT_FALSE(cli::ParseBinArg("=1").ok());
  EXPECT_FALSE(cli::ParseBinArg("sixteen_chars_xx=1").ok());
  EXPECT_FALSE(cli::ParseBinArg("l=[1,").ok());
}

TEST(HistogramTest, PercentilesWithinABucket) {
  bench::Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v * 1000);  // 1 µs .. 100 ms
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000000u);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double want = q * 100000 * 1000;
    EXPECT_NEAR(static_cast<double>(h.Percentile(q)), want, want / 16) << q;
  }
  EXPECT_EQ(h.Percentile(1.0), h.max());
  bench::Histogram other;
  other.Record(5);
  h.Merge(other);
  EXPECT_EQ(h.count(), 100001u);
  for (uint64_t v : {0ull, 1ull, 15ull, 16ull, 17ull, 1000ull, 123456789ull, ~0ull}) {
    const int i = bench::Histogram::Index(v);
    EXPECT_LE(v, bench::Histogram::UpperEdge(i)) << v;
    if (i > 0) EXPECT_GT(v, bench::Histogram::UpperEdge(i - 1)) << v;
  }
}

}  // namespace
}  // namespace tern
