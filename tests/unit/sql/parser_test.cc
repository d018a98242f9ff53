#include "sql/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/result_code.h"
#include "record/collection.h"

namespace tern::sql {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Entries = std::vector<std::pair<Value, Value>>;

Statement One(std::string_view text) {
  auto st = ParseOne(text);
  EXPECT_TRUE(st.ok()) << text << "\n" << st.status();
  return st.ok() ? *std::move(st) : Statement{};
}

template <typename T>
T As(std::string_view text) {
  Statement st = One(text);
  const T* body = std::get_if<T>(&st.body);
  EXPECT_NE(body, nullptr) << text << " parsed as " << StatementName(st.body);
  return body != nullptr ? *body : T{};
}

std::string ErrorOf(std::string_view text) {
  auto st = Parse(text);
  EXPECT_FALSE(st.ok()) << text;
  if (st.ok()) return "";
  EXPECT_EQ(base::ResultCodeOf(st.status()), base::ResultCode::kParameterError);
  return std::string(st.status().message());
}

Value Str(std::string s) { return Value::String(std::move(s)); }
Value Int(int64_t v) { return Value::Integer(v); }
Value List(std::vector<Value> items) { return Value::List(record::EncodeList(items)); }
Value Map(Entries entries) { return Value::Map(record::EncodeMap(entries)); }

// ---- INSERT -----------------------------------------------------------------------------------

TEST(ParserInsertTest, KeyAndBins) {
  auto ins =
      As<Insert>("INSERT INTO test.demo (PK, name, age, score) VALUES ('k1', 'ada', 36, 1.5)");
  EXPECT_EQ(ins.target, (Target{"test", "demo"}));
  ASSERT_TRUE(ins.key.has_value());
  EXPECT_EQ(*ins.key, Str("k1"));
  ASSERT_EQ(ins.bins.size(), 3u);
  EXPECT_EQ(ins.bins[0].name, "name");
  EXPECT_EQ(ins.bins[0].value, Str("ada"));
  EXPECT_EQ(ins.bins[1].name, "age");
  EXPECT_EQ(ins.bins[1].value, Int(36));
  EXPECT_EQ(ins.bins[2].name, "score");
  EXPECT_EQ(ins.bins[2].value, Value::Double(1.5));
}

TEST(ParserInsertTest, IntegerKeyNegativeValuesBoolsAndNull) {
  auto ins =
      As<Insert>("insert into test.demo (pk, a, b, c, d) values (-5, -7, TRUE, false, null)");
  EXPECT_EQ(*ins.key, Int(-5));
  EXPECT_EQ(ins.bins[0].value, Int(-7));
  EXPECT_EQ(ins.bins[1].value, Value::Bool(true));
  EXPECT_EQ(ins.bins[2].value, Value::Bool(false));
  EXPECT_TRUE(ins.bins[3].value.is_null());
}

TEST(ParserInsertTest, WithoutKeyAndWithoutSet) {
  auto ins = As<Insert>("INSERT INTO test (a) VALUES (\"x\")");
  EXPECT_EQ(ins.target, (Target{"test", ""}));
  EXPECT_FALSE(ins.key.has_value());
  ASSERT_EQ(ins.bins.size(), 1u);
  EXPECT_EQ(ins.bins[0].value, Str("x"));
}

TEST(ParserInsertTest, ListsAndMapsBecomeMsgpackParticles) {
  auto ins = As<Insert>(
      "INSERT INTO test.demo (PK, tags, addr, nested, empty_l, empty_m) VALUES "
      "(1, [1, 'a', [2]], {'city': 'Paris', \"zip\": [75, 1], 3: -1.5}, "
      "[{'k': [true, null]}], [], {})");
  ASSERT_EQ(ins.bins.size(), 5u);
  EXPECT_EQ(ins.bins[0].value, List({Int(1), Str("a"), List({Int(2)})}));
  EXPECT_EQ(ins.bins[0].value.type(), record::ParticleType::kList);
  EXPECT_EQ(ins.bins[1].value, Map({{Str("city"), Str("Paris")},
                                    {Str("zip"), List({Int(75), Int(1)})},
                                    {Int(3), Value::Double(-1.5)}}));
  EXPECT_EQ(ins.bins[1].value.type(), record::ParticleType::kMap);
  EXPECT_EQ(ins.bins[2].value, List({Map({{Str("k"), List({Value::Bool(true), Value()})}})}));
  EXPECT_EQ(ins.bins[3].value, List({}));
  EXPECT_EQ(ins.bins[4].value, Map({}));
}

TEST(ParserInsertTest, GeoJson) {
  auto ins = As<Insert>(
      R"(INSERT INTO test.demo (PK, loc) VALUES (1, GEOJSON('{"type":"Point","coordinates":[1,2]}')))");
  EXPECT_EQ(ins.bins[0].value, Value::GeoJson(R"({"type":"Point","coordinates":[1,2]})"));
}

TEST(ParserInsertTest, Errors) {
  EXPECT_EQ(ErrorOf("INSERT test.demo (PK, a) VALUES (1, 2)"),
            "line 1, column 8: expected INTO after INSERT, got 'test'");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a) VALUES (1, 2, 3)"),
            "line 1, column 45: more values than the 2 columns");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a, b) VALUES (1, 2)"),
            "line 1, column 46: 2 values for 3 columns");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (a, PK) VALUES (1, 2)"),
            "line 1, column 27: PK must be the first column");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a, a) VALUES (1, 2, 3)"),
            "line 1, column 31: bin 'a' appears twice");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK) VALUES (1)"),
            "line 1, column 28: INSERT needs at least one bin besides PK");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a VALUES (1, 2)"),
            "line 1, column 30: expected ')' or ',' after the column, got 'VALUES'");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a) VALUES (1, 2"),
            "line 1, column 43: expected ')' or ',' after the value, got end of input");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a) (1, 2)"),
            "line 1, column 31: expected VALUES after the column list, got '('");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a) VALUES ([1], 2)"),
            "line 1, column 39: the primary key must be an integer or a string, not list");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a) VALUES (1, )"),
            "line 1, column 42: expected a value, got ')'");
  EXPECT_EQ(ErrorOf("INSERT INTO test.demo (PK, a_very_long_bin_name) VALUES (1, 2)"),
            "line 1, column 28: a column name (PK or a bin) 'a_very_long_bin_name' is longer than "
            "15 bytes");
  EXPECT_EQ(ErrorOf("INSERT INTO test. (a) VALUES (1)"),
            "line 1, column 19: expected a set name after '.', got '('");
}

TEST(ParserValueTest, ListAndMapErrors) {
  EXPECT_EQ(ErrorOf("INSERT INTO t.s (PK, a) VALUES (1, [1, 2)"),
            "line 1, column 41: expected ']' or ',' in the list, got ')'");
  EXPECT_EQ(ErrorOf("INSERT INTO t.s (PK, a) VALUES (1, [1,])"),
            "line 1, column 39: expected a list element, got ']'");
  EXPECT_EQ(ErrorOf("INSERT INTO t.s (PK, a) VALUES (1, {'a' 1})"),
            "line 1, column 41: expected ':' after the map key, got '1'");
  EXPECT_EQ(ErrorOf("INSERT INTO t.s (PK, a) VALUES (1, {[1]: 1})"),
            "line 1, column 37: a map key must be a scalar, not list");
  EXPECT_EQ(ErrorOf("INSERT INTO t.s (PK, a) VALUES (1, {'a': 1)"),
            "line 1, column 43: expected '}' or ',' in the map, got ')'");
  EXPECT_EQ(ErrorOf("INSERT INTO t.s (PK, a) VALUES (1, GEOJSON(1))"),
            "line 1, column 44: expected the GeoJSON text as a string, got '1'");
}

TEST(ParserValueTest, ParseValue) {
  EXPECT_EQ(*ParseValue("12"), Int(12));
  EXPECT_EQ(*ParseValue(" 'a''b' "), Str("a'b"));
  EXPECT_EQ(*ParseValue("[1, [2, {\"x\": 'y'}]]"),
            List({Int(1), List({Int(2), Map({{Str("x"), Str("y")}})})}));
  EXPECT_EQ(ParseValue("1 2").status().message(),
            "line 1, column 3: expected end of input after the value, got '2'");
  EXPECT_EQ(ParseValue("").status().message(),
            "line 1, column 1: expected a value, got end of input");
}

TEST(ParserValueTest, RoundTripsThroughMsgpack) {
  auto v = ParseValue("[1, -2, 'three', 4.5, true, null, [6, [7]], {'m': {'n': 8}}]");
  ASSERT_TRUE(v.ok()) << v.status();
  auto items = record::DecodeList(v->bytes());
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 8u);
  EXPECT_EQ((*items)[0], Int(1));
  EXPECT_EQ((*items)[1], Int(-2));
  EXPECT_EQ((*items)[2], Str("three"));
  EXPECT_EQ((*items)[3], Value::Double(4.5));
  EXPECT_EQ((*items)[4], Value::Bool(true));
  EXPECT_TRUE((*items)[5].is_null());
  auto inner = record::DecodeList((*items)[6].bytes());
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ((*inner)[1], List({Int(7)}));
  auto map = record::DecodeMap((*items)[7].bytes());
  ASSERT_TRUE(map.ok());
  ASSERT_EQ(map->size(), 1u);
  EXPECT_EQ((*map)[0].first, Str("m"));
  EXPECT_EQ((*map)[0].second, Map({{Str("n"), Int(8)}}));
  // And the JSON form the CLI prints.
  EXPECT_EQ(record::ValueToJson(*v).dump(),
            R"([1,-2,"three",4.5,true,null,[6,[7]],{"m":{"n":8}}])");
}

TEST(ParserValueTest, NestingIsBounded) {
  std::string deep = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseValue(deep).ok());
  std::string too_deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(ParseValue(too_deep).status().message(),
            "line 1, column 65: lists and maps nest deeper than 64 levels");
  std::string huge = std::string(100000, '[');
  EXPECT_FALSE(ParseValue(huge).ok());
}

// ---- SELECT -----------------------------------------------------------------------------------

TEST(ParserSelectTest, StarWholeNamespace) {
  auto sel = As<Select>("SELECT * FROM test");
  EXPECT_EQ(sel.target, (Target{"test", ""}));
  EXPECT_TRUE(sel.bins.empty());
  EXPECT_FALSE(sel.where.has_value());
  EXPECT_FALSE(sel.limit.has_value());
}

TEST(ParserSelectTest, BinsAndPrimaryKey) {
  auto sel = As<Select>("SELECT name, age FROM test.demo WHERE PK = 'k1'");
  EXPECT_EQ(sel.bins, (std::vector<std::string>{"name", "age"}));
  ASSERT_TRUE(sel.where.has_value());
  EXPECT_EQ(std::get<PrimaryKeyEquals>(*sel.where).key, Str("k1"));
}

TEST(ParserSelectTest, BinEqualsAndLimit) {
  auto sel = As<Select>("select * from test.demo where age = 36 limit 10");
  const auto& eq = std::get<BinEquals>(*sel.where);
  EXPECT_EQ(eq.bin, "age");
  EXPECT_EQ(eq.value, Int(36));
  EXPECT_EQ(sel.limit, 10);
}

TEST(ParserSelectTest, Between) {
  auto sel = As<Select>("SELECT * FROM test.demo WHERE age BETWEEN -1 AND 40");
  const auto& range = std::get<BinBetween>(*sel.where);
  EXPECT_EQ(range.bin, "age");
  EXPECT_EQ(range.low, Int(-1));
  EXPECT_EQ(range.high, Int(40));
}

TEST(ParserSelectTest, InCollectionIndex) {
  auto sel = As<Select>("SELECT * FROM test.demo IN LIST WHERE tags = 'red' LIMIT 3");
  EXPECT_EQ(sel.in, IndexCollection::kList);
  EXPECT_EQ(std::get<BinEquals>(*sel.where).bin, "tags");
  EXPECT_EQ(sel.limit, 3);
  EXPECT_EQ(As<Select>("select * from test in mapkeys where m = 'k'").in,
            IndexCollection::kMapKeys);
  EXPECT_EQ(As<Select>("SELECT a FROM test.s IN MAPVALUES WHERE m BETWEEN 1 AND 2").in,
            IndexCollection::kMapValues);
  EXPECT_EQ(As<Select>("SELECT * FROM test.demo WHERE a = 1").in, IndexCollection::kNone);
  auto agg = As<Aggregate>("AGGREGATE s.count() ON test.demo IN LIST WHERE tags = 'x'");
  EXPECT_EQ(agg.in, IndexCollection::kList);
}

TEST(ParserSelectTest, InErrors) {
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo IN TREE WHERE a = 1"),
            "line 1, column 28: expected LIST, MAPKEYS or MAPVALUES after IN, got 'TREE'");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo IN LIST"),
            "line 1, column 25: IN LIST, MAPKEYS or MAPVALUES needs WHERE bin = v or BETWEEN");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo IN LIST WHERE PK = 1"),
            "line 1, column 25: IN LIST, MAPKEYS or MAPVALUES needs WHERE bin = v or BETWEEN");
  EXPECT_EQ(ErrorOf("AGGREGATE s.f() ON test IN MAPKEYS"),
            "line 1, column 25: IN LIST, MAPKEYS or MAPVALUES needs WHERE bin = v or BETWEEN");
}

TEST(ParserSelectTest, GeoWithinAndContains) {
  auto sel =
      As<Select>(R"(SELECT * FROM test.places WHERE loc WITHIN GEOJSON('{"type":"AeroCircle",)"
                 R"("coordinates":[[103.9,1.3],1000]}'))");
  const auto& within = std::get<BinGeo>(*sel.where);
  EXPECT_EQ(within.bin, "loc");
  EXPECT_FALSE(within.contains);
  EXPECT_EQ(within.shape,
            Value::GeoJson(R"({"type":"AeroCircle","coordinates":[[103.9,1.3],1000]})"));
  sel = As<Select>(
      R"(SELECT * FROM test.areas WHERE area CONTAINS GEOJSON('{"type":"Point","coordinates":[1,2]}'))");
  EXPECT_TRUE(std::get<BinGeo>(*sel.where).contains);
  EXPECT_EQ(ErrorOf("SELECT * FROM test.areas WHERE area CONTAINS 'x'"),
            "line 1, column 46: expected GEOJSON('...') after CONTAINS");
}

TEST(ParserSelectTest, KeywordsAsBinNames) {
  // Bins may share a keyword's spelling where the grammar expects a name.
  auto sel = As<Select>("SELECT limit, from FROM test.demo WHERE where = 'x'");
  EXPECT_EQ(sel.bins, (std::vector<std::string>{"limit", "from"}));
  EXPECT_EQ(std::get<BinEquals>(*sel.where).bin, "where");
}

TEST(ParserSelectTest, Errors) {
  EXPECT_EQ(ErrorOf("SELECT name, age\n  FORM test.demo"),
            "line 2, column 3: expected FROM after the bin list, got 'FORM'");
  EXPECT_EQ(ErrorOf("SELECT * test.demo"),
            "line 1, column 10: expected FROM after '*', got 'test'");
  EXPECT_EQ(ErrorOf("SELECT FROM test.demo"),
            "line 1, column 13: expected FROM after the bin list, got 'test'");
  EXPECT_EQ(ErrorOf("SELECT , FROM test.demo"),
            "line 1, column 8: expected '*' or a bin name, got ','");
  EXPECT_EQ(ErrorOf("SELECT * FROM"),
            "line 1, column 14: expected a namespace after FROM, got end of input");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE"),
            "line 1, column 30: expected PK or a bin name after WHERE, got end of input");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE PK 'k'"),
            "line 1, column 34: expected '=' after PK, got ''k''");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE age > 3"),
            "line 1, column 35: unexpected character '>'");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE age < 3"),
            "line 1, column 35: unexpected character '<'");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE age LIKE 3"),
            "line 1, column 35: expected '=', BETWEEN, WITHIN or CONTAINS after the bin name, got "
            "'LIKE'");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE age BETWEEN 1 OR 5"),
            "line 1, column 45: expected AND between the bounds, got 'OR'");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE age BETWEEN 'a' AND 5"),
            "line 1, column 43: BETWEEN bounds must be integers");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE age BETWEEN 1 AND 2.5"),
            "line 1, column 49: BETWEEN bounds must be integers");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE age BETWEEN 9 AND 1"),
            "line 1, column 43: BETWEEN 9 AND 1 is an empty range (low bound above high bound)");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE age = [1]"),
            "line 1, column 37: the value compared with a bin must be an integer or a string, not "
            "list");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo LIMIT 0"),
            "line 1, column 31: expected a positive integer after LIMIT, got '0'");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo LIMIT ten"),
            "line 1, column 31: expected a positive integer after LIMIT, got 'ten'");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo garbage"),
            "line 1, column 25: expected ';' or end of input after the SELECT statement, got "
            "'garbage'");
  EXPECT_EQ(ErrorOf("SELECT * FROM test.demo WHERE PK = 1 LIMIT 5 extra"),
            "line 1, column 46: expected ';' or end of input after the SELECT statement, got "
            "'extra'");
  EXPECT_EQ(ErrorOf("SELECT * FROM a_namespace_name_of_more_than_31_bytes"),
            "line 1, column 15: a namespace after FROM 'a_namespace_name_of_more_than_31_bytes' is "
            "longer than 31 bytes");
}

// ---- DELETE -----------------------------------------------------------------------------------

TEST(ParserDeleteTest, ByKey) {
  auto del = As<Delete>("DELETE FROM test.demo WHERE PK = 7");
  EXPECT_EQ(del.target, (Target{"test", "demo"}));
  EXPECT_EQ(del.key, Int(7));
}

TEST(ParserDeleteTest, Errors) {
  EXPECT_EQ(ErrorOf("DELETE FROM test.demo"),
            "line 1, column 22: expected WHERE after the namespace and set (DELETE takes WHERE PK "
            "= key), got end of input");
  EXPECT_EQ(ErrorOf("DELETE FROM test.demo WHERE age = 3"),
            "line 1, column 29: DELETE takes only WHERE PK = <key>");
  EXPECT_EQ(ErrorOf("DELETE test.demo WHERE PK = 1"),
            "line 1, column 8: expected FROM after DELETE, got 'test'");
  EXPECT_EQ(ErrorOf("DELETE FROM test.demo WHERE PK = 1.5"),
            "line 1, column 34: the primary key must be an integer or a string, not double");
}

// ---- indexes ----------------------------------------------------------------------------------

TEST(ParserIndexTest, Create) {
  auto idx = As<CreateIndex>("CREATE INDEX idx_age ON test.demo (age) NUMERIC");
  EXPECT_EQ(idx.name, "idx_age");
  EXPECT_EQ(idx.target, (Target{"test", "demo"}));
  EXPECT_EQ(idx.bin, "age");
  EXPECT_EQ(idx.type, IndexType::kNumeric);
  EXPECT_EQ(idx.collection, IndexCollection::kNone);

  idx = As<CreateIndex>("create list index tags_idx on test (tags) string");
  EXPECT_EQ(idx.collection, IndexCollection::kList);
  EXPECT_EQ(idx.type, IndexType::kString);
  EXPECT_EQ(idx.target, (Target{"test", ""}));

  EXPECT_EQ(As<CreateIndex>("CREATE MAPKEYS INDEX i ON t.s (m) BLOB").collection,
            IndexCollection::kMapKeys);
  EXPECT_EQ(As<CreateIndex>("CREATE MAPKEYS INDEX i ON t.s (m) BLOB").type, IndexType::kBlob);
  EXPECT_EQ(As<CreateIndex>("CREATE MAPVALUES INDEX i ON t.s (m) NUMERIC").collection,
            IndexCollection::kMapValues);
  EXPECT_EQ(As<CreateIndex>("CREATE INDEX g ON t.s (loc) GEO2DSPHERE").type,
            IndexType::kGeo2dSphere);
}

TEST(ParserIndexTest, CreateErrors) {
  EXPECT_EQ(ErrorOf("CREATE INDEX i ON t.s (a) INTEGER"),
            "line 1, column 27: expected NUMERIC, STRING, BLOB or GEO2DSPHERE after the bin, got "
            "'INTEGER'");
  EXPECT_EQ(ErrorOf("CREATE INDEX i ON t.s a NUMERIC"),
            "line 1, column 23: expected '(' before the bin name, got 'a'");
  EXPECT_EQ(ErrorOf("CREATE INDEX i ON t.s (a NUMERIC"),
            "line 1, column 26: expected ')' after the bin name, got 'NUMERIC'");
  EXPECT_EQ(ErrorOf("CREATE INDEX i t.s (a) NUMERIC"),
            "line 1, column 16: expected ON after the index name, got 't'");
  EXPECT_EQ(ErrorOf("CREATE TABLE t"),
            "line 1, column 8: expected INDEX or LIST, MAPKEYS, MAPVALUES after CREATE, got "
            "'TABLE'");
  EXPECT_EQ(ErrorOf("CREATE LIST i ON t.s (a) NUMERIC"),
            "line 1, column 13: expected INDEX after the collection type, got 'i'");
}

TEST(ParserIndexTest, Drop) {
  auto drop = As<DropIndex>("DROP INDEX test idx_age");
  EXPECT_EQ(drop.target, (Target{"test", ""}));
  EXPECT_EQ(drop.name, "idx_age");
  drop = As<DropIndex>("drop index test.demo idx_age;");
  EXPECT_EQ(drop.target, (Target{"test", "demo"}));
  EXPECT_EQ(drop.name, "idx_age");
  EXPECT_EQ(ErrorOf("DROP INDEX test"),
            "line 1, column 16: expected an index name after the namespace, got end of input");
  EXPECT_EQ(ErrorOf("DROP TABLE x"), "line 1, column 6: expected INDEX after DROP, got 'TABLE'");
}

// ---- modules and UDFs -------------------------------------------------------------------------

TEST(ParserModuleTest, RegisterAndRemove) {
  EXPECT_EQ(As<RegisterModule>("REGISTER MODULE 'udf/sum.lua'").path, "udf/sum.lua");
  EXPECT_EQ(As<RegisterModule>("register module \"my mod.lua\"").path, "my mod.lua");
  EXPECT_EQ(As<RemoveModule>("REMOVE MODULE sum").name, "sum");
  EXPECT_EQ(As<RemoveModule>("REMOVE MODULE sum.lua").name, "sum.lua");
  EXPECT_EQ(As<RemoveModule>("REMOVE MODULE 'sum.lua'").name, "sum.lua");
  EXPECT_EQ(ErrorOf("REGISTER MODULE sum"),
            "line 1, column 17: expected the module file as a quoted string ('udf/sum.lua'), got "
            "'sum'");
  // The whole text is tokenized first, so a path's '/' is reported as a character.
  EXPECT_EQ(ErrorOf("REGISTER MODULE udf/sum.lua"), "line 1, column 20: unexpected character '/'");
  EXPECT_EQ(ErrorOf("REGISTER MODULE ''"),
            "line 1, column 17: expected the module file as a quoted string ('udf/sum.lua'), got "
            "''''");
  EXPECT_EQ(ErrorOf("REGISTER 'x.lua'"),
            "line 1, column 10: expected MODULE after REGISTER, got ''x.lua''");
  EXPECT_EQ(ErrorOf("REMOVE MODULE"),
            "line 1, column 14: expected a module name, got end of input");
}

TEST(ParserUdfTest, ExecuteOnKey) {
  auto exec = As<Execute>("EXECUTE counter.add('n', 5, [1]) ON test.demo WHERE PK = 'k1'");
  EXPECT_EQ(exec.module, "counter");
  EXPECT_EQ(exec.function, "add");
  ASSERT_EQ(exec.args.size(), 3u);
  EXPECT_EQ(exec.args[0], Str("n"));
  EXPECT_EQ(exec.args[1], Int(5));
  EXPECT_EQ(exec.args[2], List({Int(1)}));
  EXPECT_EQ(exec.target, (Target{"test", "demo"}));
  EXPECT_EQ(exec.key, Str("k1"));
}

TEST(ParserUdfTest, ExecuteOnEveryRecord) {
  auto exec = As<Execute>("execute m.touch() on test");
  EXPECT_TRUE(exec.args.empty());
  EXPECT_EQ(exec.target, (Target{"test", ""}));
  EXPECT_FALSE(exec.key.has_value());
}

TEST(ParserUdfTest, Aggregate) {
  auto agg = As<Aggregate>("AGGREGATE stats.sum('age') ON test.demo WHERE age BETWEEN 1 AND 99");
  EXPECT_EQ(agg.module, "stats");
  EXPECT_EQ(agg.function, "sum");
  EXPECT_EQ(agg.args, (std::vector<Value>{Str("age")}));
  const auto& range = std::get<BinBetween>(*agg.where);
  EXPECT_EQ(range.bin, "age");
  EXPECT_EQ(range.low, Int(1));
  EXPECT_EQ(range.high, Int(99));

  agg = As<Aggregate>("AGGREGATE stats.count() ON test WHERE city = 'Paris'");
  EXPECT_EQ(std::get<BinEquals>(*agg.where).value, Str("Paris"));
  agg = As<Aggregate>("AGGREGATE stats.count() ON test.demo");
  EXPECT_FALSE(agg.where.has_value());
}

TEST(ParserUdfTest, Errors) {
  EXPECT_EQ(ErrorOf("EXECUTE add(1) ON test"),
            "line 1, column 12: expected '.' between the module and the function "
            "(module.function), got '('");
  EXPECT_EQ(ErrorOf("EXECUTE m.add ON test"),
            "line 1, column 15: expected '(' after the function name, got 'ON'");
  EXPECT_EQ(ErrorOf("EXECUTE m.add(1, 2 ON test"),
            "line 1, column 20: expected ')' or ',' after the argument, got 'ON'");
  EXPECT_EQ(ErrorOf("EXECUTE m.add(1) test"),
            "line 1, column 18: expected ON after the function call, got 'test'");
  EXPECT_EQ(ErrorOf("EXECUTE m.add(1) ON test WHERE age = 1"),
            "line 1, column 32: EXECUTE takes only WHERE PK = <key> (none runs it on every "
            "record)");
  EXPECT_EQ(ErrorOf("AGGREGATE m.sum() ON test WHERE PK = 1"),
            "line 1, column 33: AGGREGATE filters on a bin, not on PK");
  EXPECT_EQ(ErrorOf("AGGREGATE sum() ON test"),
            "line 1, column 14: expected '.' between the module and the function "
            "(module.function), got '('");
}

// ---- SHOW, TRUNCATE ---------------------------------------------------------------------------

TEST(ParserShowTest, EveryKind) {
  EXPECT_EQ(As<Show>("SHOW NAMESPACES").what, ShowWhat::kNamespaces);
  EXPECT_EQ(As<Show>("show sets").what, ShowWhat::kSets);
  EXPECT_EQ(As<Show>("Show Bins").what, ShowWhat::kBins);
  EXPECT_EQ(As<Show>("SHOW INDEXES").what, ShowWhat::kIndexes);
  EXPECT_EQ(As<Show>("SHOW MODULES").what, ShowWhat::kModules);
  auto show = As<Show>("SHOW INDEXES test.demo");
  EXPECT_EQ(show.target, (Target{"test", "demo"}));
  EXPECT_EQ(As<Show>("SHOW SETS test").target, (Target{"test", ""}));
  EXPECT_EQ(ErrorOf("SHOW TABLES"),
            "line 1, column 6: expected NAMESPACES, SETS, BINS, INDEXES or MODULES after SHOW, "
            "got 'TABLES'");
  EXPECT_EQ(ErrorOf("SHOW NAMESPACES test"),
            "line 1, column 17: expected ';' or end of input after the SHOW statement, got 'test'");
}

TEST(ParserTruncateTest, NamespaceOrSet) {
  EXPECT_EQ(As<Truncate>("TRUNCATE test").target, (Target{"test", ""}));
  EXPECT_EQ(As<Truncate>("truncate test.demo;").target, (Target{"test", "demo"}));
  EXPECT_EQ(ErrorOf("TRUNCATE"),
            "line 1, column 9: expected a namespace after TRUNCATE, got end of input");
}

// ---- EXPLAIN, statements, positions -----------------------------------------------------------

TEST(ParserExplainTest, RecordsTheFlag) {
  Statement st = One("EXPLAIN SELECT * FROM test.demo WHERE PK = 1");
  EXPECT_TRUE(st.explain);
  ASSERT_TRUE(std::holds_alternative<Select>(st.body));
  EXPECT_EQ(st.text, "EXPLAIN SELECT * FROM test.demo WHERE PK = 1");
  EXPECT_FALSE(One("SELECT * FROM test").explain);
  EXPECT_EQ(ErrorOf("EXPLAIN EXPLAIN SELECT * FROM t"),
            "line 1, column 9: EXPLAIN cannot be nested");
  EXPECT_EQ(ErrorOf("EXPLAIN;"), "line 1, column 8: expected a statement after EXPLAIN, got ';'");
}

TEST(ParserStatementsTest, UnknownAndMissingStatements) {
  EXPECT_EQ(ErrorOf("SELCT * FROM test"),
            "line 1, column 1: unknown statement 'SELCT' (expected INSERT, SELECT, DELETE, CREATE "
            "INDEX, DROP INDEX, REGISTER MODULE, REMOVE MODULE, EXECUTE, AGGREGATE, SHOW, TRUNCATE "
            "or EXPLAIN)");
  EXPECT_THAT(ErrorOf("(SELECT)"), StartsWith("line 1, column 1: expected a statement (INSERT, "));
  EXPECT_THAT(ErrorOf("42"), StartsWith("line 1, column 1: expected a statement ("));
  EXPECT_THAT(ErrorOf("UPDATE test.demo SET a = 1"),
              StartsWith("line 1, column 1: unknown statement 'UPDATE'"));
}

TEST(ParserStatementsTest, SeveralStatements) {
  auto all = Parse(
      "INSERT INTO test.demo (PK, a) VALUES (1, 'x');\n"
      "  select * from test.demo where PK = 1;;\n"
      "-- a comment line\n"
      "DELETE FROM test.demo\n"
      "  WHERE PK = 1;\n"
      "SHOW SETS");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_TRUE(std::holds_alternative<Insert>((*all)[0].body));
  EXPECT_EQ((*all)[0].location, (Location{1, 1}));
  EXPECT_EQ((*all)[0].text, "INSERT INTO test.demo (PK, a) VALUES (1, 'x')");
  EXPECT_TRUE(std::holds_alternative<Select>((*all)[1].body));
  EXPECT_EQ((*all)[1].location, (Location{2, 3}));
  EXPECT_TRUE(std::holds_alternative<Delete>((*all)[2].body));
  EXPECT_EQ((*all)[2].location, (Location{4, 1}));
  EXPECT_EQ((*all)[2].text, "DELETE FROM test.demo\n  WHERE PK = 1");
  EXPECT_TRUE(std::holds_alternative<Show>((*all)[3].body));
}

TEST(ParserStatementsTest, EmptyInput) {
  auto none = Parse("  ;; -- nothing\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(ParseOne("").status().message(),
            "line 1, column 1: expected a statement, got end of input");
}

TEST(ParserStatementsTest, ParseOneWantsExactlyOne) {
  EXPECT_TRUE(ParseOne("SHOW SETS;").ok());
  EXPECT_EQ(ParseOne("SHOW SETS; SHOW BINS").status().message(),
            "line 1, column 12: expected one statement, got 2");
}

TEST(ParserStatementsTest, MissingSemicolonBetweenStatements) {
  EXPECT_EQ(ErrorOf("SHOW SETS\nSHOW BINS"),
            "line 2, column 1: expected ';' or end of input after the SHOW statement, got 'SHOW'");
}

TEST(ParserStatementsTest, ErrorsInLaterLinesPointAtTheToken) {
  EXPECT_EQ(ErrorOf("SHOW SETS;\n"
                    "SELECT a,\n"
                    "       b\n"
                    "  FROM test.demo\n"
                    "  WHERE b BETWEEN 1 AND 'z'"),
            "line 5, column 25: BETWEEN bounds must be integers");
  EXPECT_EQ(ErrorOf("SHOW SETS;\nINSERT INTO test.demo (PK, a)\n  VALUES (1, 'unterminated)"),
            "line 3, column 14: unterminated string starting 'unterminated)");
  EXPECT_EQ(ErrorOf("SELECT *\nFROM test.demo\nWHERE PK = 12x"),
            "line 3, column 12: bad number '12x'");
}

TEST(ParserStatementsTest, EveryPrefixParsesOrFailsWithAPosition) {
  const std::string text =
      "INSERT INTO test.demo (PK, a, b) VALUES ('k''1', [1, {'x': -2.5e1}], GEOJSON('{}'));\n"
      "SELECT a FROM test.demo WHERE b BETWEEN -1 AND 2 LIMIT 3; -- note\n"
      "EXPLAIN EXECUTE m.f(\"s\", [], {}) ON test WHERE PK = 1;\n"
      "CREATE MAPKEYS INDEX i ON test.demo (m) STRING; DROP INDEX test.demo i;\n"
      "AGGREGATE m.g() ON test WHERE a = 'x'; SHOW INDEXES test; TRUNCATE test.demo;\n"
      "REGISTER MODULE 'm.lua'; REMOVE MODULE m.lua; DELETE FROM test.demo WHERE PK = 2";
  ASSERT_TRUE(Parse(text).ok()) << Parse(text).status();
  EXPECT_EQ(Parse(text)->size(), 11u);
  for (size_t n = 0; n < text.size(); ++n) {
    auto prefix = Parse(std::string_view(text).substr(0, n));
    if (!prefix.ok()) {
      EXPECT_THAT(std::string(prefix.status().message()), StartsWith("line ")) << n;
    }
  }
}

}  // namespace
}  // namespace tern::sql
