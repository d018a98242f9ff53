#include "query/index_query.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "base/digest.h"
#include "record/collection.h"

namespace tern::query {
namespace {

using base::ResultCode;
using record::Value;

// A memory namespace with a numeric, a string, a list and a geo index on set "demo", filled
// through the engine (which keeps the indexes exact on every write).
class IndexQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-index-query-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    base::Config config;
    config.node.data_dir = dir_.string();
    base::NamespaceConfig ns;
    ns.name = "test";
    ns.storage = base::StorageKind::kMemory;
    ns.nsup_period_sec = 0;
    config.namespaces.push_back(ns);
    auto cat = ns::Catalog::Open(config);
    ASSERT_TRUE(cat.ok()) << cat.status();
    catalog_ = std::move(*cat);
    engine_ = std::make_unique<txn::Engine>(*catalog_, nullptr);
    ns::Namespace& n = *catalog_->Find("test");
    n.AddSindex(index::SindexDef{"test", "demo", "by_age", "age"});
    n.AddSindex(index::SindexDef{"test", "demo", "by_name", "name", index::SindexType::kString});
    n.AddSindex(index::SindexDef{"test", "demo", "by_tag", "tags", index::SindexType::kString,
                                 index::SindexCollection::kList});
    n.AddSindex(index::SindexDef{"test", "demo", "by_loc", "loc", index::SindexType::kGeo2dSphere});
    for (int i = 0; i < 20; ++i) {
      const Value tags[] = {Value::String(i % 2 ? "odd" : "even"), Value::String("all")};
      Put("k" + std::to_string(i), {{"age", Value::Integer(i)},
                                    {"name", Value::String("n" + std::to_string(i % 5))},
                                    {"tags", Value::List(record::EncodeList(tags))},
                                    {"loc", Value::GeoJson(R"({"type":"Point","coordinates":[)" +
                                                           std::to_string(i) + ",0]}")}});
    }
  }
  void TearDown() override {
    engine_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Put(const std::string& key, std::vector<std::pair<std::string, Value>> bins) {
    txn::Request r;
    r.command = txn::Command::kWrite;
    r.ns = "test";
    r.set = "demo";
    r.digest = base::ComputeStringKeyDigest("demo", key);
    for (auto& [n, v] : bins) r.ops.push_back(txn::Op{txn::OpType::kWrite, n, v});
    ASSERT_EQ(engine_->Execute(r).result, ResultCode::kOk);
  }

  static base::Digest DigestOf(int i) {
    return base::ComputeStringKeyDigest("demo", "k" + std::to_string(i));
  }
  static std::set<base::Digest> Digests(std::initializer_list<int> keys) {
    std::set<base::Digest> out;
    for (int i : keys) out.insert(DigestOf(i));
    return out;
  }

  absl::StatusOr<txn::QueryMatches> Run(std::string bin, IndexPredicate p,
                                        index::SindexCollection c = {}) {
    return IndexMatches(*catalog_, IndexQuery{"test", "demo", std::move(bin), c, std::move(p)});
  }
  static std::set<base::Digest> Found(const absl::StatusOr<txn::QueryMatches>& m) {
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return {};
    // Each digest once, ascending.
    EXPECT_TRUE(std::is_sorted(m->digests.begin(), m->digests.end()));
    std::set<base::Digest> out(m->digests.begin(), m->digests.end());
    EXPECT_EQ(out.size(), m->digests.size());
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<ns::Catalog> catalog_;
  std::unique_ptr<txn::Engine> engine_;
};

TEST_F(IndexQueryTest, EqualityAndRange) {
  EXPECT_EQ(Found(Run("age", IndexEqual{Value::Integer(7)})), Digests({7}));
  EXPECT_EQ(Found(Run("age", IndexRange{3, 6})), Digests({3, 4, 5, 6}));
  EXPECT_EQ(Found(Run("age", IndexRange{100, 200})), Digests({}));
  EXPECT_EQ(Found(Run("name", IndexEqual{Value::String("n2")})), Digests({2, 7, 12, 17}));
}

TEST_F(IndexQueryTest, StillMatchesRejectsARecordThatChanged) {
  auto m = Run("age", IndexRange{3, 6});
  ASSERT_TRUE(m.ok());
  record::Record rec;
  rec.bins.push_back(record::Bin{"age", Value::Integer(5)});
  EXPECT_TRUE(m->still_matches(rec));
  rec.bins[0].value = Value::Integer(9);
  EXPECT_FALSE(m->still_matches(rec));
  rec.bins[0].value = Value::String("5");
  EXPECT_FALSE(m->still_matches(rec));
}

TEST_F(IndexQueryTest, ListIndexNamesEachRecordOnce) {
  auto all = Found(Run("tags", IndexEqual{Value::String("all")}, index::SindexCollection::kList));
  EXPECT_EQ(all.size(), 20u);
  EXPECT_EQ(
      Found(Run("tags", IndexEqual{Value::String("odd")}, index::SindexCollection::kList)).size(),
      10u);
  // The plain index on the same bin does not exist.
  auto plain = Run("tags", IndexEqual{Value::String("odd")});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(base::ResultCodeOf(plain.status()), ResultCode::kIndexNotFound);
  EXPECT_EQ(plain.status().message(), "no index on bin 'tags' of test.demo");
  auto mapkeys = Run("tags", IndexEqual{Value::String("odd")}, index::SindexCollection::kMapKeys);
  EXPECT_EQ(base::ResultCodeOf(mapkeys.status()), ResultCode::kIndexNotFound);
}

TEST_F(IndexQueryTest, GeoWithinAndContains) {
  // Points (0,0) .. (19,0): the box from longitude 2.5 to 5.5 holds 3, 4 and 5.
  const std::string box =
      R"({"type":"Polygon","coordinates":[[[2.5,-1],[5.5,-1],[5.5,1],[2.5,1],[2.5,-1]]]})";
  auto m = Run("loc", GeoWithin{box});
  EXPECT_EQ(Found(m), Digests({3, 4, 5}));
  record::Record far;
  far.bins.push_back(record::Bin{"loc", Value::GeoJson(R"({"type":"Point","coordinates":[9,0]})")});
  EXPECT_FALSE(m->still_matches(far));

  // CONTAINS asks for the regions holding a point.
  Put("region", {{"loc", Value::GeoJson(R"({"type":"Polygon","coordinates":)"
                                        R"([[[10,-1],[12,-1],[12,1],[10,1],[10,-1]]]})")}});
  EXPECT_EQ(Found(Run("loc", GeoContains{R"({"type":"Point","coordinates":[11.5,0.5]})"})),
            std::set<base::Digest>{base::ComputeStringKeyDigest("demo", "region")});
}

TEST_F(IndexQueryTest, ErrorsCarryTheirResultCodes) {
  auto code = [](const absl::StatusOr<txn::QueryMatches>& m) {
    return m.ok() ? ResultCode::kOk : base::ResultCodeOf(m.status());
  };
  EXPECT_EQ(code(Run("nope", IndexEqual{Value::Integer(1)})), ResultCode::kIndexNotFound);
  // A string value asks for a string index: there is none on age.
  EXPECT_EQ(code(Run("age", IndexEqual{Value::String("7")})), ResultCode::kIndexNotFound);
  EXPECT_EQ(code(Run("age", IndexRange{6, 3})), ResultCode::kParameterError);
  EXPECT_EQ(code(Run("age", IndexEqual{Value::Double(1.5)})), ResultCode::kParameterError);
  EXPECT_EQ(code(Run("loc", IndexEqual{Value::GeoJson("{}")})), ResultCode::kParameterError);
  EXPECT_EQ(code(Run("loc", GeoWithin{"not json"})), ResultCode::kGeoInvalidGeoJson);
  EXPECT_EQ(code(Run("loc", GeoWithin{R"({"type":"Point","coordinates":[3,0]})"})),
            ResultCode::kParameterError);  // WITHIN takes a region
  EXPECT_EQ(
      code(Run("loc",
               GeoContains{R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})"})),
      ResultCode::kParameterError);  // CONTAINS takes a point
  EXPECT_EQ(code(IndexMatches(*catalog_, IndexQuery{"nons", "", "age", {}, IndexRange{1, 2}})),
            ResultCode::kNamespaceNotFound);
  // An index of set "demo" does not answer a query of another set.
  EXPECT_EQ(code(IndexMatches(*catalog_, IndexQuery{"test", "other", "age", {}, IndexRange{1, 2}})),
            ResultCode::kIndexNotFound);
}

}  // namespace
}  // namespace tern::query
