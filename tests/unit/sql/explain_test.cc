#include "sql/explain.h"

#include <gtest/gtest.h>

#include "sql/parser.h"

namespace tern::sql {
namespace {

Plan PlanOf(std::string_view text) {
  auto st = ParseOne(text);
  EXPECT_TRUE(st.ok()) << text << "\n" << st.status();
  return st.ok() ? Explain(*st) : Plan::kMetadata;
}

std::string Described(std::string_view text) {
  auto st = ParseOne(text);
  EXPECT_TRUE(st.ok()) << text << "\n" << st.status();
  return st.ok() ? DescribePlan(*st) : "";
}

TEST(ExplainTest, Plans) {
  EXPECT_EQ(PlanOf("EXPLAIN SELECT * FROM test.demo WHERE PK = 'k'"), Plan::kPrimaryKeyLookup);
  EXPECT_EQ(PlanOf("EXPLAIN SELECT * FROM test.demo WHERE age = 3"), Plan::kIndexQuery);
  EXPECT_EQ(PlanOf("SELECT a FROM test WHERE age BETWEEN 1 AND 2"), Plan::kIndexQuery);
  EXPECT_EQ(PlanOf("SELECT * FROM test.demo LIMIT 3"), Plan::kScan);
  EXPECT_EQ(PlanOf("INSERT INTO test.demo (PK, a) VALUES (1, 2)"), Plan::kPrimaryKeyLookup);
  EXPECT_EQ(PlanOf("DELETE FROM test.demo WHERE PK = 1"), Plan::kPrimaryKeyLookup);
  EXPECT_EQ(PlanOf("EXECUTE m.f() ON test WHERE PK = 1"), Plan::kPrimaryKeyLookup);
  EXPECT_EQ(PlanOf("EXECUTE m.f() ON test"), Plan::kScan);
  EXPECT_EQ(PlanOf("AGGREGATE m.f() ON test WHERE a = 1"), Plan::kIndexQuery);
  EXPECT_EQ(PlanOf("AGGREGATE m.f() ON test"), Plan::kScan);
  EXPECT_EQ(PlanOf("SHOW SETS"), Plan::kMetadata);
  EXPECT_EQ(PlanOf("TRUNCATE test"), Plan::kMetadata);
  EXPECT_EQ(PlanOf("CREATE INDEX i ON t (a) NUMERIC"), Plan::kMetadata);
  EXPECT_EQ(PlanOf("DROP INDEX t i"), Plan::kMetadata);
  EXPECT_EQ(PlanOf("REGISTER MODULE 'a.lua'"), Plan::kMetadata);
  EXPECT_EQ(PlanOf("REMOVE MODULE a"), Plan::kMetadata);
}

TEST(ExplainTest, Names) {
  EXPECT_EQ(PlanName(Plan::kPrimaryKeyLookup), "primary-key lookup");
  EXPECT_EQ(PlanName(Plan::kIndexQuery), "index query");
  EXPECT_EQ(PlanName(Plan::kScan), "scan");
  EXPECT_EQ(PlanName(Plan::kMetadata), "metadata");
}

TEST(ExplainTest, Descriptions) {
  EXPECT_EQ(Described("EXPLAIN SELECT * FROM test.demo WHERE PK = 'k1'"),
            "SELECT: primary-key lookup on test.demo, PK = \"k1\"");
  EXPECT_EQ(Described("EXPLAIN SELECT * FROM test.demo WHERE age BETWEEN 1 AND 9"),
            "SELECT: index query on test.demo, bin 'age' BETWEEN 1 AND 9");
  EXPECT_EQ(Described("AGGREGATE s.sum() ON test WHERE city = 'Paris'"),
            "AGGREGATE: index query on test, bin 'city' = \"Paris\"");
  EXPECT_EQ(Described("SELECT * FROM test.demo IN MAPKEYS WHERE m = 'k'"),
            "SELECT: index query on test.demo, MAPKEYS index, bin 'm' = \"k\"");
  EXPECT_EQ(Described(R"(SELECT * FROM test.p WHERE loc CONTAINS GEOJSON('{"type":"Point"}'))"),
            "SELECT: index query on test.p, bin 'loc' CONTAINS {\"geojson\":{\"type\":\"Point\"}}");
  EXPECT_EQ(Described("SELECT * FROM test"), "SELECT: scan on test");
  EXPECT_EQ(Described("INSERT INTO test.demo (PK, a) VALUES (7, [1])"),
            "INSERT: primary-key lookup on test.demo, PK = 7");
  EXPECT_EQ(Described("DELETE FROM test.demo WHERE PK = 7"),
            "DELETE: primary-key lookup on test.demo, PK = 7");
  EXPECT_EQ(Described("EXECUTE m.f() ON test.demo WHERE PK = 7"),
            "EXECUTE: primary-key lookup on test.demo, PK = 7");
  EXPECT_EQ(Described("SHOW MODULES"), "SHOW: metadata");
  EXPECT_EQ(Described("CREATE INDEX i ON test.demo (a) STRING"),
            "CREATE INDEX: metadata on test.demo");
}

}  // namespace
}  // namespace tern::sql
