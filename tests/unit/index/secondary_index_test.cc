#include "index/secondary_index.h"

#include <gtest/gtest.h>

#include <set>

#include "record/collection.h"
#include "record/packed_element.h"

namespace tern::index {
namespace {

using record::Value;

base::Digest D(int i) { return base::ComputeDigest("s", int64_t{i}); }

TEST(SecondaryIndexTest, IntegerKeysSortNumerically) {
  std::vector<int64_t> values = {INT64_MIN, -5, -1, 0, 1, 7, INT64_MAX};
  for (size_t i = 1; i < values.size(); ++i) {
    EXPECT_LT(SecondaryIndex::IntegerKey(values[i - 1]), SecondaryIndex::IntegerKey(values[i]));
    EXPECT_EQ(SecondaryIndex::IntegerOfKey(SecondaryIndex::IntegerKey(values[i])), values[i]);
  }
}

TEST(SecondaryIndexTest, RangeWalksValuesInOrderAndUpdatesMove) {
  SecondaryIndex idx(SindexDef{"test", "", "i", "age"});
  for (int i = 0; i < 20; ++i) {
    record::Record r;
    r.Set("age", Value::Integer(i % 10 - 3));
    idx.Update(D(i), {}, idx.KeysOf(r));
  }
  EXPECT_EQ(idx.entries(), 20u);
  std::vector<int64_t> seen;
  idx.Range(SecondaryIndex::IntegerKey(-1), SecondaryIndex::IntegerKey(1),
            [&](std::string_view k, const base::Digest&) {
              seen.push_back(SecondaryIndex::IntegerOfKey(k));
              return true;
            });
  EXPECT_EQ(seen, (std::vector<int64_t>{-1, -1, 0, 0, 1, 1}));
  // A record whose value changes moves; one that loses the bin leaves.
  record::Record changed;
  changed.Set("age", Value::Integer(100));
  record::Record old;
  old.Set("age", Value::Integer(-3));
  idx.Update(D(0), idx.KeysOf(old), idx.KeysOf(changed));
  idx.Update(D(10), idx.KeysOf(old), {});
  int n = 0;
  idx.Range(SecondaryIndex::IntegerKey(-3), SecondaryIndex::IntegerKey(-3),
            [&](auto, auto&) { return ++n, true; });
  EXPECT_EQ(n, 0);
  EXPECT_EQ(idx.entries(), 19u);
}

TEST(SecondaryIndexTest, SetIndexKeysMembershipAlone) {
  SecondaryIndex by_set(
      SindexDef{"test", "demo", "si", "", SindexType::kNumeric, SindexCollection::kSet});
  record::Record empty;
  EXPECT_EQ(by_set.KeysOf(empty), (std::vector<std::string>{""}));  // even without bins
  SindexDef back;
  ASSERT_TRUE(SindexDef::Parse(by_set.def().Serialize(), &back));
  EXPECT_EQ(back, by_set.def());
  EXPECT_EQ(SindexCollectionName(SindexCollection::kSet), "set");
}

TEST(SecondaryIndexTest, CollectionsAndContextsKeyTheirElements) {
  std::vector<Value> list = {Value::Integer(1), Value::String("x"), Value::Integer(2),
                             Value::Integer(1)};
  std::vector<std::pair<Value, Value>> nested = {{Value::String("k1"), Value::Integer(5)},
                                                 {Value::String("k2"), Value::String("v")}};
  std::vector<std::pair<Value, Value>> outer = {
      {Value::String("nested"), Value::Map(record::EncodeMap(nested))}};
  record::Record r;
  r.Set("l", Value::List(record::EncodeList(list)));
  r.Set("m", Value::Map(record::EncodeMap(outer)));
  r.Set("s", Value::String("name"));

  SecondaryIndex by_list(
      SindexDef{"test", "", "li", "l", SindexType::kNumeric, SindexCollection::kList});
  EXPECT_EQ(by_list.KeysOf(r).size(), 2u);  // 1 and 2, once each; "x" is not numeric
  std::vector<Value> ctx = {Value::Integer(0x22), Value::String("nested")};
  SecondaryIndex nested_keys(SindexDef{"test", "", "nk", "m", SindexType::kString,
                                       SindexCollection::kMapKeys, record::EncodeList(ctx)});
  EXPECT_TRUE(SindexDef::SupportedContext(nested_keys.def().context));
  EXPECT_EQ(nested_keys.KeysOf(r), (std::vector<std::string>{"k1", "k2"}));
  SecondaryIndex wrong_type(SindexDef{"test", "", "w", "s", SindexType::kNumeric});
  EXPECT_TRUE(wrong_type.KeysOf(r).empty());

  SindexDef back;
  ASSERT_TRUE(SindexDef::Parse(nested_keys.def().Serialize(), &back));
  EXPECT_EQ(back, nested_keys.def());
  std::vector<Value> rank_ctx = {Value::Integer(0x11), Value::Integer(0)};
  EXPECT_FALSE(SindexDef::SupportedContext(record::EncodeList(rank_ctx)));
}

TEST(SecondaryIndexTest, ExpressionIndexesKeyTheExpressionsValue) {
  // [81, 4, "l"]: the list bin l, as the clients pack exp.binList('l'); and [20, bin i, 100].
  auto packed = [](std::vector<std::string> items) {
    std::string out;
    record::AppendArrayHeader(static_cast<uint32_t>(items.size()), &out);
    for (const auto& i : items) out += i;
    return out;
  };
  const std::string list_bin = packed({record::PackInt(81), record::PackInt(4), "\xa1l"});
  const std::string plus_100 =
      packed({record::PackInt(20), packed({record::PackInt(81), record::PackInt(2), "\xa1i"}),
              record::PackInt(100)});
  SindexDef def{"test", "", "el", "", SindexType::kNumeric, SindexCollection::kList};
  def.expression = list_bin;
  SecondaryIndex by_list(def);
  SindexDef sum_def{"test", "", "es", "", SindexType::kNumeric};
  sum_def.expression = plus_100;
  SecondaryIndex by_sum(sum_def);

  record::Record r;
  r.Set("l",
        Value::List(record::EncodeList(std::vector<Value>{Value::Integer(3), Value::Integer(9)})));
  r.Set("i", Value::Integer(5));
  EXPECT_EQ(by_list.KeysOf(r), (std::vector<std::string>{SecondaryIndex::IntegerKey(3),
                                                         SecondaryIndex::IntegerKey(9)}));
  EXPECT_EQ(by_sum.KeysOf(r), (std::vector<std::string>{SecondaryIndex::IntegerKey(105)}));
  // Unknown (the bin is missing or of another type) indexes nothing.
  record::Record other;
  other.Set("i", Value::String("x"));
  EXPECT_TRUE(by_sum.KeysOf(other).empty());
  EXPECT_TRUE(by_list.KeysOf(other).empty());
  // The expression survives the system-metadata form; plain definitions keep 7 fields.
  SindexDef back;
  ASSERT_TRUE(SindexDef::Parse(by_sum.def().Serialize(), &back));
  EXPECT_EQ(back, by_sum.def());
  const std::string with_exp = by_list.def().Serialize();
  EXPECT_EQ(std::count(with_exp.begin(), with_exp.end(), '\n'), 7);
  const std::string plain = SindexDef{"test", "", "p", "age"}.Serialize();
  EXPECT_EQ(std::count(plain.begin(), plain.end(), '\n'), 6);
  // Bytes that are no expression index nothing instead of failing.
  SindexDef broken{"test", "", "b", "", SindexType::kNumeric};
  broken.expression = "\x91\xcc\xc8";
  EXPECT_TRUE(SecondaryIndex(broken).KeysOf(r).empty());
}

TEST(SecondaryIndexTest, GeoIndexKeysCellsAndMatchesExactly) {
  SecondaryIndex idx(SindexDef{"test", "", "g", "loc", SindexType::kGeo2dSphere});
  EXPECT_EQ(SindexTypeName(SindexType::kGeo2dSphere), "geo2dsphere");
  SindexDef back;
  ASSERT_TRUE(SindexDef::Parse(idx.def().Serialize(), &back));
  EXPECT_EQ(back, idx.def());

  record::Record point, region, other, text;
  point.Set("loc", Value::GeoJson(R"({"type":"Point","coordinates":[103.913,1.308]})"));
  region.Set("loc", Value::GeoJson(R"({"type":"Polygon","coordinates":[[[102.913,0.308],)"
                                   R"([102.913,2.308],[104.913,2.308],[104.913,0.308],)"
                                   R"([102.913,0.308]]]})"));
  other.Set("loc", Value::GeoJson(R"({"type":"Point","coordinates":[-122.101,37.421]})"));
  text.Set("loc", Value::String("not geo"));
  EXPECT_EQ(idx.KeysOf(point).size(), 1u);   // the leaf cell
  EXPECT_GE(idx.KeysOf(region).size(), 1u);  // the covering
  EXPECT_LE(idx.KeysOf(region).size(), 12u);
  EXPECT_TRUE(idx.KeysOf(text).empty());
  idx.Update(D(1), {}, idx.KeysOf(point));
  idx.Update(D(2), {}, idx.KeysOf(region));
  idx.Update(D(3), {}, idx.KeysOf(other));

  // Points within a box: the box's covering ranges hold the point's cell, then the exact test.
  auto box = record::GeoShape::Parse(
      R"({"type":"Polygon","coordinates":[[[103,1.3],[104,1.3],[104,1.4],[103,1.4],[103,1.3]]]})");
  ASSERT_NE(box, nullptr);
  std::set<base::Digest> candidates;
  for (auto [lo, hi] : box->QueryRanges()) {
    idx.Range(SecondaryIndex::CellKey(lo), SecondaryIndex::CellKey(hi),
              [&](auto, const base::Digest& d) { return candidates.insert(d), true; });
  }
  EXPECT_TRUE(candidates.count(D(1)));
  EXPECT_FALSE(candidates.count(D(3)));
  EXPECT_TRUE(idx.GeoMatches(point, *box));
  EXPECT_FALSE(idx.GeoMatches(region, *box));
  EXPECT_FALSE(idx.GeoMatches(other, *box));

  // Regions containing a point: the point's ancestor cells find the region's covering.
  auto at = record::GeoShape::Parse(R"({"type":"Point","coordinates":[103.913,1.308]})");
  candidates.clear();
  for (auto [lo, hi] : at->QueryRanges()) {
    idx.Range(SecondaryIndex::CellKey(lo), SecondaryIndex::CellKey(hi),
              [&](auto, const base::Digest& d) { return candidates.insert(d), true; });
  }
  EXPECT_TRUE(candidates.count(D(2)));
  EXPECT_TRUE(idx.GeoMatches(region, *at));
  EXPECT_FALSE(idx.GeoMatches(point, *at));

  // A region that moves away leaves its cells.
  idx.Update(D(2), idx.KeysOf(region), idx.KeysOf(other));
  candidates.clear();
  for (auto [lo, hi] : at->QueryRanges()) {
    idx.Range(SecondaryIndex::CellKey(lo), SecondaryIndex::CellKey(hi),
              [&](auto, const base::Digest& d) { return candidates.insert(d), true; });
  }
  EXPECT_FALSE(candidates.count(D(2)));
}

TEST(SecondaryIndexTest, GeoListIndexKeysEveryElement) {
  SecondaryIndex idx(
      SindexDef{"test", "", "gl", "locs", SindexType::kGeo2dSphere, SindexCollection::kList});
  record::Record r;
  std::vector<Value> items = {Value::GeoJson(R"({"type":"Point","coordinates":[1,1]})"),
                              Value::GeoJson(R"({"type":"Point","coordinates":[50,50]})"),
                              Value::Integer(3)};
  r.Set("locs", Value::List(record::EncodeList(items)));
  EXPECT_EQ(idx.KeysOf(r).size(), 2u);
  auto near = record::GeoShape::Parse(R"({"type":"AeroCircle","coordinates":[[50,50],1000]})");
  EXPECT_TRUE(idx.GeoMatches(r, *near));
}

TEST(SecondaryIndexTest, GeoIndexCoversRegionsWithTheNamespaceOptions) {
  // Every covering cell at level 8: a cell id at level L ends in a 1 followed by 2·(30−L) zeros.
  record::GeoCoverOptions level8{8, 8, 50, 1, 6371000};
  SecondaryIndex idx(SindexDef{"test", "", "g", "loc", SindexType::kGeo2dSphere}, level8);
  record::Record r;
  r.Set("loc", Value::GeoJson(R"({"type":"Polygon","coordinates":[[[0,0],[3,0],[3,3],[0,3],)"
                              R"([0,0]]]})"));
  std::vector<std::string> keys = idx.KeysOf(r);
  ASSERT_FALSE(keys.empty());
  for (const std::string& k : keys) {
    uint64_t id = 0;
    for (char c : k) id = id << 8 | static_cast<uint8_t>(c);
    EXPECT_EQ(__builtin_ctzll(id), 2 * (30 - 8));
  }
  // The earth radius turns circle radii into angles: 1000 km is 9°, on a 10x larger earth 0.9°.
  record::GeoCoverOptions big{1, 20, 12, 1, 63710000};
  SecondaryIndex on_big(SindexDef{"test", "", "g", "loc", SindexType::kGeo2dSphere}, big);
  record::Record p;
  p.Set("loc", Value::GeoJson(R"({"type":"Point","coordinates":[0,5]})"));
  const char circle[] = R"({"type":"AeroCircle","coordinates":[[0,0],1000000]})";
  EXPECT_TRUE(idx.GeoMatches(p, *record::GeoShape::Parse(circle)));
  EXPECT_FALSE(on_big.GeoMatches(p, *record::GeoShape::Parse(circle, big)));
}

}  // namespace
}  // namespace tern::index
