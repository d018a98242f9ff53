#include "record/cdt_path.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cdt_test_util.h"
#include "record/expression.h"

namespace tern::record {
namespace {

using namespace testing;  // NOLINT: the packing helpers

// Expressions and path operations packed as the official clients pack them.
std::string Exp(int op, std::vector<std::string> args = {}) {
  args.insert(args.begin(), I(op));
  return L(args);
}
std::string True() { return PackBool(true); }
constexpr int kStr = 3, kList = 4, kMap = 5, kFloat = 7, kInt = 2, kNilType = 0;
constexpr int kKey = 0, kValue = 1, kIndex = 2;
std::string LoopVar(int type, int part) { return Exp(122, {I(type), I(part)}); }
std::string RemoveResult() { return Exp(100); }
std::string Name(const std::string& s) {
  std::string out(1, static_cast<char>(0xa0 | s.size()));
  return out + s;
}
// Context steps.
constexpr int kChildren = 0x04, kAndFilter = 0x204, kKeysIn = 0x2a, kListIndex = 0x10,
              kMapKey = 0x22;
std::string Select(const std::vector<std::string>& ctx, int flags) {
  return L({I(0xfe), L(ctx), I(flags)});
}
std::string Apply(const std::vector<std::string>& ctx, int flags, const std::string& exp) {
  return L({I(0xfe), L(ctx), I(flags | 4), exp});
}

Value FloatMap() { return MapBin(M({{S("a"), D(1.5)}, {S("b"), D(3.0)}, {S("c"), D(4.5)}})); }
Value Books() {
  return MapBin(M({{S("book"), L({M({{S("price"), D(1.48)}, {S("title"), S("abc")}}),
                                  M({{S("price"), D(2.78)}, {S("title"), S("def")}})})}}));
}

std::string Modify(Value bin, const std::string& op) {
  absl::StatusOr<Value> r = CdtModify(op, &bin);
  if (!r.ok()) return Show(r);
  return Show(bin);
}

TEST(CdtPathTest, SelectsEveryChildInEachForm) {
  const std::vector<std::string> all = {I(kChildren), True()};
  EXPECT_EQ(Show(CdtRead(Select(all, 0), FloatMap())), R"({"a":1.5,"b":3.0,"c":4.5})");
  EXPECT_EQ(Show(CdtRead(Select(all, 1), FloatMap())), "[1.5,3.0,4.5]");
  EXPECT_EQ(Show(CdtRead(Select(all, 2), FloatMap())), R"(["a","b","c"])");
  EXPECT_EQ(Show(CdtRead(Select(all, 3), FloatMap())), R"(["a",1.5,"b",3.0,"c",4.5])");
  const Value nested = ListBin(L({L({D(2.4), D(4.8)})}));
  EXPECT_EQ(Show(CdtRead(Select(all, 1), nested)), "[[2.4,4.8]]");
  EXPECT_EQ(Show(CdtRead(Select({I(kChildren), True(), I(kChildren), True()}, 1), nested)),
            "[2.4,4.8]");
  // List elements have no keys.
  EXPECT_EQ(Show(CdtRead(Select(all, 2), nested)), "[]");
  // A missing bin answers null.
  EXPECT_EQ(Show(CdtRead(Select(all, 1), Value())), "null");
}

TEST(CdtPathTest, MixesPlainStepsWithChildren) {
  const std::vector<std::string> ctx = {I(kMapKey), S("book"),  I(kChildren),
                                        True(),     I(kMapKey), S("price")};
  EXPECT_EQ(Show(CdtRead(Select(ctx, 1), Books())), "[1.48,2.78]");
  EXPECT_EQ(Show(CdtRead(Select(ctx, 0), Books())), R"({"book":[{"price":1.48},{"price":2.78}]})");
  // A key that is not there selects nothing.
  EXPECT_EQ(Show(CdtRead(Select({I(kMapKey), S("nope"), I(kChildren), True()}, 1), Books())), "[]");
  EXPECT_EQ(Show(CdtRead(Select({I(kListIndex), I(0), I(kChildren), True()}, 1),
                         ListBin(L({L({I(1), I(2)}), L({I(3)})})))),
            "[1,2]");
}

TEST(CdtPathTest, FiltersSeeLoopVariables) {
  const std::string over3 = Exp(3, {LoopVar(kFloat, kValue), D(3.0)});
  EXPECT_EQ(Show(CdtRead(Select({I(kChildren), over3}, 2), FloatMap())), R"(["c"])");
  const std::string key_a = Exp(1, {LoopVar(kStr, kKey), S("a")});
  EXPECT_EQ(Show(CdtRead(Select({I(kChildren), key_a}, 1), FloatMap())), "[1.5]");
  const std::string index1 = Exp(1, {LoopVar(kInt, kIndex), I(1)});
  EXPECT_EQ(Show(CdtRead(Select({I(kChildren), index1}, 0), ListBin(L({I(7), I(8), I(9)})))),
            "[8]");
  // A loop variable of another type is unknown: the filter fails.
  const std::string int_value = Exp(1, {LoopVar(kInt, kValue), I(1)});
  EXPECT_EQ(Show(CdtRead(Select({I(kChildren), int_value}, 1), FloatMap())), "[]");
  const std::string is_nil = Exp(1, {LoopVar(kNilType, kValue), Nil()});
  EXPECT_EQ(Show(CdtRead(Select({I(kChildren), is_nil}, 1), ListBin(L({Nil(), I(1), Nil()})))),
            "[null,null]");
  EXPECT_EQ(Show(CdtRead(Select({I(kChildren), PackBool(false)}, 1), FloatMap())), "[]");
}

TEST(CdtPathTest, MapKeysInWithAndFilter) {
  const std::vector<std::string> keys = {I(kKeysIn), L({S("c"), S("a"), S("zz")})};
  EXPECT_EQ(Show(CdtRead(Select(keys, 1), FloatMap())), "[1.5,4.5]");
  std::vector<std::string> narrowed = keys;
  narrowed.push_back(I(kAndFilter));
  narrowed.push_back(Exp(3, {LoopVar(kFloat, kValue), D(3.0)}));
  EXPECT_EQ(Show(CdtRead(Select(narrowed, 0), FloatMap())), R"({"c":4.5})");
  // Map keys on a list do not fit: 26, or skipped with no-fail.
  EXPECT_EQ(Show(CdtRead(Select(keys, 1), ListBin(L({I(1)})))), "error 26");
  EXPECT_EQ(Show(CdtRead(Select(keys, 1 | 16), ListBin(L({I(1)})))), "[]");
}

TEST(CdtPathTest, AppliesTheExpressionToEachSelectedElement) {
  const std::vector<std::string> all = {I(kChildren), True()};
  const std::string twice = Exp(22, {LoopVar(kFloat, kValue), D(2.0)});
  EXPECT_EQ(Modify(FloatMap(), Apply(all, 0, twice)), R"({"a":3.0,"b":6.0,"c":9.0})");
  EXPECT_EQ(Modify(Books(), Apply(all, 0, D(14.0))), R"({"book":14.0})");
  const std::string by_key =
      Exp(123, {Exp(1, {LoopVar(kStr, kKey), S("a")}), S("pass"), S("fail")});
  EXPECT_EQ(Modify(FloatMap(), Apply(all, 0, by_key)), R"({"a":"pass","b":"fail","c":"fail"})");
  const std::string by_index = Exp(1, {LoopVar(kInt, kIndex), I(1)});
  EXPECT_EQ(Modify(ListBin(L({L({I(1)}), L({I(2)}), L({I(3)})})), Apply(all, 0, by_index)),
            "[false,true,false]");
  // Nested: only the leaves change.
  EXPECT_EQ(Modify(ListBin(L({L({D(1.0), D(2.0)})})),
                   Apply({I(kChildren), True(), I(kChildren), True()}, 0, twice)),
            "[[2.0,4.0]]");
  // An ordered list stays sorted.
  const std::string negate = Exp(21, {LoopVar(kInt, kValue)});
  EXPECT_EQ(Modify(ListBin(L({I(1), I(2), I(3)}, kListOrdered)), Apply(all, 0, negate)),
            "[-3,-2,-1]");
}

TEST(CdtPathTest, RemoveResultDeletesElements) {
  const std::vector<std::string> all = {I(kChildren), True()};
  EXPECT_EQ(Modify(Books(), Apply(all, 0, RemoveResult())), "{}");
  const std::string drop_big = Exp(
      123, {Exp(3, {LoopVar(kFloat, kValue), D(2.0)}), RemoveResult(), LoopVar(kFloat, kValue)});
  EXPECT_EQ(Modify(FloatMap(), Apply(all, 0, drop_big)), R"({"a":1.5})");
  EXPECT_EQ(Modify(ListBin(L({D(1.0), D(5.0), D(0.5)})), Apply(all, 0, drop_big)), "[1.0,0.5]");
}

TEST(CdtPathTest, UnknownAndMisfitsFailUnlessNoFail) {
  const std::vector<std::string> all = {I(kChildren), True()};
  const std::string int_twice = Exp(22, {LoopVar(kInt, kValue), I(2)});
  const Value mixed = ListBin(L({I(1), S("x")}));
  EXPECT_EQ(Modify(mixed, Apply(all, 0, int_twice)), "error 26");
  EXPECT_EQ(Modify(mixed, Apply(all, 16, int_twice)), R"([2,"x"])");
  // Every child of a scalar.
  const std::vector<std::string> deep = {I(kChildren), True(), I(kChildren), True()};
  EXPECT_EQ(Show(CdtRead(Select(deep, 1), mixed)), "error 26");
  EXPECT_EQ(Show(CdtRead(Select(deep, 17), mixed)), "[]");
}

TEST(CdtPathTest, RefusesMalformedOperations) {
  const std::vector<std::string> all = {I(kChildren), True()};
  const Value bin = FloatMap();
  auto code = [&](const std::string& op, bool modify) {
    Value b = bin;
    return Show(modify ? CdtModify(op, &b) : CdtRead(op, bin));
  };
  EXPECT_EQ(code(L({I(0xfe), L(all)}), false), "error 4");                // no flags
  EXPECT_EQ(code(L({I(0xfe), L(all), I(4)}), true), "error 4");           // apply, no exp
  EXPECT_EQ(code(L({I(0xfe), L(all), I(0), D(1.0)}), true), "error 4");   // exp, no apply
  EXPECT_EQ(code(Select(all, 1), true), "error 4");                       // select as modify
  EXPECT_EQ(code(Apply(all, 0, D(1.0)), false), "error 4");               // apply as read
  EXPECT_EQ(code(Select({I(kAndFilter), True()}, 1), false), "error 4");  // and-filter first
  EXPECT_EQ(code(Select({I(kChildren), True(), I(kAndFilter), True()}, 1), false), "error 4");
  EXPECT_EQ(code(Select({I(kMapKey | 0x40), S("a")}, 1), false), "error 4");  // create flag
  EXPECT_EQ(code(Select({I(0x77), S("a")}, 1), false), "error 4");
  EXPECT_EQ(code(Select({I(kKeysIn), S("a")}, 1), false), "error 4");  // keys not a list
  EXPECT_EQ(code(Select({I(kChildren), I(3)}, 1), false), "error 4");  // filter not boolean
  EXPECT_EQ(code(Select({I(kChildren), Exp(250)}, 1), false), "error 4");
  EXPECT_EQ(code(Select(all, 1).substr(0, 4), false), "error 4");  // truncated
  // A path on a bin that is no list or map.
  EXPECT_EQ(Show(CdtRead(Select(all, 1), Value::Integer(3))), "error 12");
}

TEST(CdtPathTest, RandomBytesNeverCrash) {
  const std::vector<std::string> seeds = {
      Select({I(kMapKey), S("book"), I(kChildren), True(), I(kMapKey), S("price")}, 0),
      Select({I(kKeysIn), L({S("a")}), I(kAndFilter), Exp(3, {LoopVar(kFloat, kValue), D(1.0)})},
             3),
      Apply({I(kChildren), Exp(1, {LoopVar(kStr, kKey), S("a")})}, 16,
            Exp(123, {Exp(1, {LoopVar(kInt, kIndex), I(0)}), RemoveResult(), D(2.0)})),
  };
  std::mt19937 rng(8);
  for (const std::string& seed : seeds) {
    for (int round = 0; round < 3000; ++round) {
      std::string op = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = rng() % op.size();
        switch (rng() % 3) {
          case 0:
            op[at] = static_cast<char>(rng());
            break;
          case 1:
            op.erase(at, 1 + rng() % 3);
            break;
          default:
            op.insert(at, 1, static_cast<char>(rng()));
        }
        if (op.empty()) op = seed;
      }
      Value a = Books(), b = FloatMap();
      (void)CdtRead(op, a);
      (void)CdtModify(op, &a);
      (void)CdtModify(op, &b);
    }
  }
}

// The expression forms: [127, type, 0, select, bin] and [127, type, 0x40, apply, bin].
TEST(CdtPathTest, RunsInsideExpressions) {
  Record rec;
  rec.bins = {{"m", FloatMap()}};
  ExpRecord view;
  view.rec = &rec;
  const std::string bin = Exp(81, {I(kMap), Name("m")});
  const std::vector<std::string> all = {I(kChildren), True()};
  absl::StatusOr<std::shared_ptr<const Expression>> sel =
      Expression::Decode(Exp(127, {I(kList), I(0), Select(all, 2), bin}));
  ASSERT_TRUE(sel.ok()) << sel.status();
  std::optional<Value> v = (*sel)->Evaluate(view);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(Show(*v), R"(["a","b","c"])");

  absl::StatusOr<std::shared_ptr<const Expression>> mod = Expression::Decode(
      Exp(127, {I(kMap), I(0x40), Apply(all, 0, Exp(22, {LoopVar(kFloat, kValue), D(2.0)})), bin}));
  ASSERT_TRUE(mod.ok()) << mod.status();
  v = (*mod)->Evaluate(view);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(Show(*v), R"({"a":3.0,"b":6.0,"c":9.0})");

  // The modify-local flag goes with an apply; loop variables outside a path are unknown.
  EXPECT_FALSE(Expression::Decode(Exp(127, {I(kList), I(0x40), Select(all, 1), bin})).ok());
  EXPECT_FALSE(Expression::Decode(Exp(127, {I(kMap), I(0), Apply(all, 0, D(1.0)), bin})).ok());
  absl::StatusOr<std::shared_ptr<const Expression>> loose =
      Expression::Decode(LoopVar(kFloat, kValue));
  ASSERT_TRUE(loose.ok());
  EXPECT_FALSE((*loose)->Evaluate(view).has_value());
}

}  // namespace
}  // namespace tern::record
