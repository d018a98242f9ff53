#include "record/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result_code.h"
#include "record/collection.h"
#include "record/packed_element.h"

namespace tern::record {
namespace {

using base::ResultCode;

// Expressions packed as the clients pack them: an operation is [op, args...].
std::string I(int64_t v) { return PackInt(v); }
std::string F(double d) { return PackDouble(d); }
std::string B(bool b) { return PackBool(b); }
std::string S(const std::string& s) { return PackValue(Value::String(s)); }
std::string Blob(const std::string& s) { return PackValue(Value::Blob(s)); }
std::string Geo(const std::string& s) { return PackValue(Value::GeoJson(s)); }
// A bin or variable name: a string without a type prefix.
std::string Name(const std::string& s) {
  std::string out;
  out.push_back(static_cast<char>(0xa0 | s.size()));
  return out + s;
}
std::string Arr(const std::vector<std::string>& items) {
  std::string out;
  AppendArrayHeader(static_cast<uint32_t>(items.size()), &out);
  for (const auto& i : items) out += i;
  return out;
}
std::string Exp(int op, std::vector<std::string> args = {}) {
  args.insert(args.begin(), I(op));
  return Arr(args);
}
std::string ListOf(const std::vector<Value>& items) { return EncodeList(items); }
std::string MapOf(const std::vector<std::pair<Value, Value>>& entries) {
  return EncodeMap(entries);
}
std::string Quote(const std::vector<Value>& items) { return Exp(126, {ListOf(items)}); }

// Type codes (AS_EXP_TYPE_*).
constexpr int kBool = 1, kInt = 2, kStr = 3, kList = 4, kMap = 5, kBlob = 6, kFloat = 7, kGeo = 8,
              kHll = 9;
std::string BinOf(int type, const std::string& name) { return Exp(81, {I(type), Name(name)}); }
std::string BinInt(const std::string& name) { return BinOf(kInt, name); }

class ExpressionTest : public ::testing::Test {
 protected:
  ExpressionTest() {
    rec_.bins = {
        {"i", Value::Integer(42)},
        {"f", Value::Double(3.5)},
        {"s", Value::String("Star Wars")},
        {"b", Value::Bool(true)},
        {"blob", Value::Blob("\x01\x02\x03")},
        {"l", Value::List(ListOf({Value::Integer(4), Value::Integer(2), Value::Integer(0)}))},
        {"m", Value::Map(MapOf({{Value::String("a"), Value::Integer(1)},
                                {Value::String("b"), Value::Integer(2)}}))},
        {"g", Value::GeoJson(R"({"type":"Point","coordinates":[103.913,1.308]})")}};
    rec_.key = Value::String("user-1");
    for (int i = 0; i < 20; ++i) digest_.bytes[i] = static_cast<uint8_t>(i);
    ctx_.rec = &rec_;
    ctx_.digest = &digest_;
    ctx_.set_name = "demo";
    ctx_.now = 1000000;
    ctx_.void_time = ctx_.now + 500;
    ctx_.now_unix_ms = (int64_t{ctx_.now} + base::kCitrusleafEpochSeconds) * 1000;
    ctx_.last_update_ms = ctx_.now_unix_ms - 2500;
    ctx_.stored_size = 120;
    ctx_.in_memory = true;
  }

  std::optional<Value> Eval(const std::string& packed) {
    auto e = Expression::Decode(packed);
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return std::nullopt;
    return (*e)->Evaluate(ctx_);
  }
  bool Match(const std::string& packed) {
    auto e = Expression::Decode(packed);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() && (*e)->Matches(ctx_);
  }
  ResultCode DecodeError(const std::string& packed) {
    return base::ResultCodeOf(Expression::Decode(packed).status());
  }
  int64_t EvalInt(const std::string& packed) {
    std::optional<Value> v = Eval(packed);
    EXPECT_TRUE(v && v->type() == ParticleType::kInteger);
    return v ? v->integer() : INT64_MIN;
  }
  double EvalFloat(const std::string& packed) {
    std::optional<Value> v = Eval(packed);
    EXPECT_TRUE(v && v->type() == ParticleType::kFloat);
    return v ? v->dbl() : NAN;
  }

  Record rec_;
  base::Digest digest_;
  ExpRecord ctx_;
};

TEST_F(ExpressionTest, ComparesEveryType) {
  EXPECT_TRUE(Match(Exp(1, {BinInt("i"), I(42)})));
  EXPECT_FALSE(Match(Exp(1, {BinInt("i"), I(37)})));
  EXPECT_TRUE(Match(Exp(2, {BinInt("i"), I(37)})));
  EXPECT_TRUE(Match(Exp(3, {BinInt("i"), I(41)})));
  EXPECT_TRUE(Match(Exp(4, {BinInt("i"), I(42)})));
  EXPECT_FALSE(Match(Exp(5, {BinInt("i"), I(42)})));
  EXPECT_TRUE(Match(Exp(6, {BinInt("i"), I(42)})));
  EXPECT_TRUE(Match(Exp(3, {BinOf(kFloat, "f"), F(1.25)})));
  EXPECT_TRUE(Match(Exp(1, {BinOf(kStr, "s"), S("Star Wars")})));
  EXPECT_TRUE(Match(Exp(5, {BinOf(kStr, "s"), S("Sun")})));
  EXPECT_TRUE(Match(Exp(1, {BinOf(kBool, "b"), B(true)})));
  EXPECT_TRUE(Match(Exp(1, {BinOf(kBlob, "blob"), Blob("\x01\x02\x03")})));
  EXPECT_FALSE(Match(Exp(1, {BinOf(kBlob, "blob"), Blob("\x04")})));
  EXPECT_TRUE(Match(Exp(
      1, {BinOf(kList, "l"), Quote({Value::Integer(4), Value::Integer(2), Value::Integer(0)})})));
  EXPECT_FALSE(Match(Exp(
      1, {BinOf(kList, "l"), Quote({Value::Integer(0), Value::Integer(2), Value::Integer(4)})})));
  // Maps compare by their entries, whatever order they were packed in.
  const std::string literal =
      MapOf({{Value::String("b"), Value::Integer(2)}, {Value::String("a"), Value::Integer(1)}});
  EXPECT_TRUE(Match(Exp(1, {BinOf(kMap, "m"), literal})));
}

TEST_F(ExpressionTest, MismatchedTypesAreRejectedOrUnknown) {
  // Known at decode time: a parameter error.
  EXPECT_EQ(DecodeError(Exp(1, {BinInt("i"), S("42")})), ResultCode::kParameterError);
  EXPECT_EQ(DecodeError(Exp(20, {I(1), F(1.0)})), ResultCode::kParameterError);
  EXPECT_EQ(DecodeError(Exp(16, {I(1)})), ResultCode::kParameterError);
  // A bin of another type, or no such bin: unknown, so the filter does not match.
  EXPECT_EQ(Eval(BinInt("s")), std::nullopt);
  EXPECT_EQ(Eval(BinInt("nope")), std::nullopt);
  EXPECT_FALSE(Match(Exp(1, {BinInt("s"), I(1)})));
  EXPECT_FALSE(Match(Exp(18, {Exp(1, {BinInt("s"), I(1)})})));  // not(unknown) is unknown
  EXPECT_FALSE(Match(Exp(0)));
  EXPECT_FALSE(Match(Exp(1, {Exp(0), Exp(0)})));
  // A non-boolean result never passes a filter.
  EXPECT_FALSE(Match(BinInt("i")));
}

TEST_F(ExpressionTest, BooleanLogicWithUnknowns) {
  const std::string t = Exp(1, {I(1), I(1)}), f = Exp(1, {I(1), I(2)}),
                    u = Exp(1, {BinInt("none"), I(1)});
  EXPECT_TRUE(Match(Exp(16, {t, t})));
  EXPECT_FALSE(Match(Exp(16, {t, f})));
  EXPECT_EQ(Eval(Exp(16, {u, f})), Value::Bool(false));  // false decides an and
  EXPECT_EQ(Eval(Exp(16, {u, t})), std::nullopt);
  EXPECT_EQ(Eval(Exp(17, {u, t})), Value::Bool(true));  // true decides an or
  EXPECT_EQ(Eval(Exp(17, {u, f})), std::nullopt);
  EXPECT_TRUE(Match(Exp(17, {f, t})));
  EXPECT_TRUE(Match(Exp(18, {f})));
  EXPECT_TRUE(Match(Exp(19, {t, f, f})));
  EXPECT_FALSE(Match(Exp(19, {t, t, f})));
  EXPECT_EQ(Eval(Exp(19, {t, u})), std::nullopt);
}

TEST_F(ExpressionTest, Arithmetic) {
  EXPECT_EQ(EvalInt(Exp(20, {BinInt("i"), BinInt("i"), I(1)})), 85);
  EXPECT_EQ(EvalInt(Exp(21, {I(10), I(3), I(2)})), 5);
  EXPECT_EQ(EvalInt(Exp(21, {I(10)})), -10);
  EXPECT_EQ(EvalInt(Exp(22, {I(6), I(7)})), 42);
  EXPECT_EQ(EvalInt(Exp(23, {I(17), I(5)})), 3);
  EXPECT_EQ(Eval(Exp(23, {I(1), I(0)})), std::nullopt);
  EXPECT_EQ(Eval(Exp(23, {I(std::numeric_limits<int64_t>::min()), I(-1)})), std::nullopt);
  EXPECT_EQ(EvalInt(Exp(20, {I(std::numeric_limits<int64_t>::max()), I(1)})),
            std::numeric_limits<int64_t>::min());  // wraps, as Aerospike
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(20, {BinOf(kFloat, "f"), F(0.25)})), 3.75);
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(23, {F(1), F(4)})), 0.25);
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(24, {F(2), F(10)})), 1024);
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(25, {F(1000), F(10)})), 3);
  EXPECT_EQ(EvalInt(Exp(26, {I(17), I(5)})), 2);
  EXPECT_EQ(Eval(Exp(26, {I(17), I(0)})), std::nullopt);
  EXPECT_EQ(EvalInt(Exp(27, {I(-5)})), 5);
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(27, {F(-2.5)})), 2.5);
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(28, {F(2.7)})), 2);
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(29, {F(2.2)})), 3);
  EXPECT_EQ(EvalInt(Exp(30, {F(-2.7)})), -2);
  EXPECT_EQ(Eval(Exp(30, {F(1e30)})), std::nullopt);
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(31, {I(3)})), 3.0);
  EXPECT_EQ(EvalInt(Exp(50, {I(3), I(-1), I(7)})), -1);
  EXPECT_EQ(EvalInt(Exp(51, {I(3), I(-1), I(7)})), 7);
  EXPECT_DOUBLE_EQ(EvalFloat(Exp(51, {F(1.5), F(0.5)})), 1.5);
  // Operands of the wrong kind.
  EXPECT_EQ(DecodeError(Exp(24, {I(2), I(3)})), ResultCode::kParameterError);
  EXPECT_EQ(DecodeError(Exp(26, {F(2), F(3)})), ResultCode::kParameterError);
  EXPECT_EQ(DecodeError(Exp(20, {S("a"), S("b")})), ResultCode::kParameterError);
}

TEST_F(ExpressionTest, IntegerBitOperations) {
  EXPECT_EQ(EvalInt(Exp(32, {I(0b1100), I(0b1010)})), 0b1000);
  EXPECT_EQ(EvalInt(Exp(33, {I(0b1100), I(0b1010)})), 0b1110);
  EXPECT_EQ(EvalInt(Exp(34, {I(0b1100), I(0b1010)})), 0b0110);
  EXPECT_EQ(EvalInt(Exp(35, {I(0)})), -1);
  EXPECT_EQ(EvalInt(Exp(36, {I(1), I(4)})), 16);
  EXPECT_EQ(EvalInt(Exp(37, {I(-1), I(60)})), 15);  // logical
  EXPECT_EQ(EvalInt(Exp(38, {I(-16), I(2)})), -4);  // arithmetic
  EXPECT_EQ(EvalInt(Exp(36, {I(1), I(64)})), 0);
  EXPECT_EQ(EvalInt(Exp(39, {I(0xff)})), 8);
  EXPECT_EQ(EvalInt(Exp(40, {I(1), B(true)})), 63);  // positions count from the top bit
  EXPECT_EQ(EvalInt(Exp(41, {I(3), B(true)})), 63);
  EXPECT_EQ(EvalInt(Exp(40, {I(std::numeric_limits<int64_t>::min()), B(true)})), 0);
  EXPECT_EQ(EvalInt(Exp(40, {I(-1), B(false)})), -1);
  EXPECT_EQ(EvalInt(Exp(41, {I(-2), B(false)})), 63);
}

TEST_F(ExpressionTest, Metadata) {
  EXPECT_EQ(EvalInt(Exp(69)), 500);  // ttl
  EXPECT_EQ(EvalInt(Exp(68)),
            (int64_t{ctx_.void_time} + base::kCitrusleafEpochSeconds) * 1000000000);
  EXPECT_EQ(EvalInt(Exp(66)), static_cast<int64_t>(ctx_.last_update_ms) * 1000000);
  EXPECT_EQ(EvalInt(Exp(67)), 2500);
  EXPECT_EQ(Eval(Exp(70)), Value::String("demo"));
  EXPECT_EQ(Eval(Exp(71)), Value::Bool(true));
  EXPECT_EQ(Eval(Exp(72)), Value::Bool(false));
  EXPECT_EQ(EvalInt(Exp(74)), 120);
  EXPECT_EQ(EvalInt(Exp(73)), 120);
  EXPECT_EQ(EvalInt(Exp(65)), 0);  // device size of an in-memory record
  // Digest bytes 16..19 are 16, 17, 18, 19: little-endian 0x13121110.
  EXPECT_EQ(EvalInt(Exp(64, {I(1000)})), 0x13121110 % 1000);
  EXPECT_EQ(Eval(Exp(80, {I(kStr)})), Value::String("user-1"));
  EXPECT_EQ(Eval(Exp(80, {I(kInt)})), std::nullopt);
  EXPECT_EQ(EvalInt(Exp(82, {Name("s")})), static_cast<int>(ParticleType::kString));
  EXPECT_EQ(EvalInt(Exp(82, {Name("none")})), 0);
  ctx_.void_time = 0;
  EXPECT_EQ(EvalInt(Exp(69)), -1);
  EXPECT_EQ(EvalInt(Exp(68)), -1);
}

TEST_F(ExpressionTest, LetVarAndCond) {
  // let x = i + 1, y = x * 2 in (let x = 1 in x + y)
  const std::string inner =
      Exp(125, {Name("x"), I(1), Exp(20, {Exp(124, {Name("x")}), Exp(124, {Name("y")})})});
  const std::string e = Exp(125, {Name("x"), Exp(20, {BinInt("i"), I(1)}), Name("y"),
                                  Exp(22, {Exp(124, {Name("x")}), I(2)}), inner});
  EXPECT_EQ(EvalInt(e), 1 + 86);
  EXPECT_EQ(DecodeError(Exp(124, {Name("x")})), ResultCode::kParameterError);
  EXPECT_EQ(DecodeError(Exp(125, {Name("x"), I(1)})), ResultCode::kParameterError);
  // cond: first true condition wins, else the default.
  const auto cond = [&](int64_t v) {
    return Exp(123, {Exp(5, {I(v), I(0)}), S("neg"), Exp(1, {I(v), I(0)}), S("zero"), S("pos")});
  };
  EXPECT_EQ(Eval(cond(-3)), Value::String("neg"));
  EXPECT_EQ(Eval(cond(0)), Value::String("zero"));
  EXPECT_EQ(Eval(cond(9)), Value::String("pos"));
  EXPECT_EQ(DecodeError(Exp(123, {B(true), I(1), S("x")})), ResultCode::kParameterError);
  // unknown() fits any branch and fails the evaluation when chosen.
  const std::string guarded =
      Exp(125, {Name("v"), Exp(21, {BinInt("i"), I(100)}),
                Exp(123, {Exp(4, {Exp(124, {Name("v")}), I(0)}), Exp(124, {Name("v")}), Exp(0)})});
  EXPECT_EQ(Eval(guarded), std::nullopt);
}

TEST_F(ExpressionTest, RegexAndGeo) {
  EXPECT_TRUE(Match(Exp(7, {I(0), Name("^Star"), BinOf(kStr, "s")})));
  EXPECT_FALSE(Match(Exp(7, {I(0), Name("Trek$"), BinOf(kStr, "s")})));
  EXPECT_FALSE(Match(Exp(7, {I(0), Name("^sTaR"), BinOf(kStr, "s")})));
  EXPECT_TRUE(Match(Exp(7, {I(2), Name("^sTaR"), BinOf(kStr, "s")})));           // ICASE
  EXPECT_TRUE(Match(Exp(7, {I(1), Name("^(Star|Moon) W"), BinOf(kStr, "s")})));  // EXTENDED
  EXPECT_EQ(DecodeError(Exp(7, {I(1), Name("(unclosed"), BinOf(kStr, "s")})),
            ResultCode::kParameterError);
  const std::string near = Geo(R"({"type":"AeroCircle","coordinates":[[103.875,1.297],10000]})");
  const std::string far = Geo(R"({"type":"AeroCircle","coordinates":[[9.78,53.55],50000]})");
  EXPECT_TRUE(Match(Exp(8, {BinOf(kGeo, "g"), near})));
  EXPECT_TRUE(Match(Exp(8, {near, BinOf(kGeo, "g")})));
  EXPECT_FALSE(Match(Exp(8, {BinOf(kGeo, "g"), far})));
  const std::string square =
      Geo(R"({"type":"Polygon","coordinates":[[[103,1],[104,1],[104,2],[103,2],[103,1]]]})");
  EXPECT_TRUE(Match(Exp(8, {BinOf(kGeo, "g"), square})));
}

TEST_F(ExpressionTest, CollectionCallsAndHelpers) {
  // [127, type, system, [op, args...], bin]: list size (op 16), map get-by-key value (op 97).
  EXPECT_EQ(EvalInt(Exp(127, {I(kInt), I(0), Arr({I(16)}), BinOf(kList, "l")})), 3);
  EXPECT_EQ(EvalInt(Exp(127, {I(kInt), I(0), Arr({I(97), I(7), S("b")}), BinOf(kMap, "m")})), 2);
  // A modifying call (flag 0x40) answers the changed list; the bin itself is untouched.
  std::optional<Value> appended =
      Eval(Exp(127, {I(kList), I(0x40), Arr({I(1), BinInt("i")}), BinOf(kList, "l")}));
  ASSERT_TRUE(appended);
  EXPECT_EQ(*appended, Value::List(ListOf({Value::Integer(4), Value::Integer(2), Value::Integer(0),
                                           Value::Integer(42)})));
  // With a context: size of the list at index 1 of [[1], [1, 2]].
  ctx_.rec = nullptr;
  const std::string nested = Quote({Value::List(ListOf({Value::Integer(1)})),
                                    Value::List(ListOf({Value::Integer(1), Value::Integer(2)}))});
  EXPECT_EQ(EvalInt(Exp(
                127, {I(kInt), I(0), Arr({I(0xff), Arr({I(0x10), I(1)}), Arr({I(16)})}), nested})),
            2);
  // A call on something that is not a list or map is unknown.
  EXPECT_EQ(Eval(Exp(127, {I(kInt), I(0), Arr({I(16)}), BinOf(kList, "x")})), std::nullopt);
  EXPECT_EQ(DecodeError(Exp(127, {I(kInt), I(0), Arr({I(16)}), I(3)})),
            ResultCode::kParameterError);
  ctx_.rec = &rec_;
  // Bit calls (system 1): count the set bits of 01 02 03; a modifying resize answers the
  // grown blob. A bit call on a known non-blob does not decode.
  EXPECT_EQ(EvalInt(Exp(127, {I(kInt), I(1), Arr({I(51), I(0), I(24)}), BinOf(kBlob, "blob")})), 4);
  EXPECT_EQ(
      Eval(Exp(127, {I(kBlob), I(0x41), Arr({I(0), I(4), I(0), I(0)}), BinOf(kBlob, "blob")})),
      Value::Blob(std::string("\x01\x02\x03\x00", 4)));
  EXPECT_EQ(DecodeError(Exp(127, {I(kInt), I(1), Arr({I(51), I(0), I(8)}), BinInt("i")})),
            ResultCode::kParameterError);
  // HLL calls (system 2): the count of an empty sketch after a modifying add of two elements.
  std::string empty_hll(203, '\0');
  empty_hll[1] = 8;
  rec_.Set("h", Value::Hll(empty_hll));
  const std::string add =
      Exp(127, {I(kHll), I(0x42),
                Arr({I(1), Quote({Value::String("a"), Value::String("b")}), I(-1), I(-1), I(0)}),
                BinOf(kHll, "h")});
  EXPECT_EQ(EvalInt(Exp(127, {I(kInt), I(2), Arr({I(50)}), add})), 2);
  EXPECT_EQ(EvalInt(Exp(127, {I(kInt), I(2), Arr({I(50)}), BinOf(kHll, "h")})), 0);
  EXPECT_EQ(Eval(Exp(127, {I(kInt), I(2), Arr({I(50)}), BinOf(kHll, "blob")})), std::nullopt);
  ctx_.rec = &rec_;
  EXPECT_TRUE(Match(Exp(9, {BinInt("i"), Quote({Value::Integer(1), Value::Integer(42)})})));
  EXPECT_FALSE(Match(Exp(9, {BinInt("i"), Quote({Value::String("42")})})));
  EXPECT_EQ(Eval(Exp(101, {BinOf(kMap, "m")})),
            Value::List(ListOf({Value::String("a"), Value::String("b")})));
  EXPECT_EQ(Eval(Exp(102, {BinOf(kMap, "m")})),
            Value::List(ListOf({Value::Integer(1), Value::Integer(2)})));
}

TEST_F(ExpressionTest, WildcardsInsideLiteralsMatchButAreNeverStored) {
  // [["a", 1], ["b", 2]] searched for ["b", *] (list op 22, all by value).
  rec_.Set("pairs",
           Value::List(ListOf({Value::List(ListOf({Value::String("a"), Value::Integer(1)})),
                               Value::List(ListOf({Value::String("b"), Value::Integer(2)}))})));
  std::string pattern;
  AppendArrayHeader(2, &pattern);
  pattern += S("b");
  pattern += std::string("\xd4\xff\x00", 3);  // wildcard
  const std::string quoted = Exp(126, {pattern});
  constexpr int kGetByValue = 22, kValue = 7;
  std::optional<Value> found = Eval(
      Exp(127, {I(kList), I(0), Arr({I(kGetByValue), I(kValue), quoted}), BinOf(kList, "pairs")}));
  ASSERT_TRUE(found);
  EXPECT_EQ(*found,
            Value::List(ListOf({Value::List(ListOf({Value::String("b"), Value::Integer(2)}))})));
  Record out = rec_;
  EXPECT_EQ(base::ResultCodeOf(ExpModify(Arr({quoted, I(0)}), "w", ctx_, &out)),
            ResultCode::kParameterError);
  EXPECT_EQ(out.Find("w"), nullptr);
}

TEST_F(ExpressionTest, EveryExpressionTheNodeClientPackedDecodes) {
  // tests/fuzz/corpus_exp holds expressions packed by the official Node client (one family of
  // operations each); every one must decode, and evaluate without crashing.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TERN_EXP_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    auto e = Expression::Decode(bytes.str());
    EXPECT_TRUE(e.ok()) << entry.path() << ": " << e.status();
    if (e.ok()) (void)(*e)->Evaluate(ctx_);
    ++files;
  }
  EXPECT_GE(files, 40);
}

TEST_F(ExpressionTest, MalformedInputIsAParameterError) {
  const std::vector<std::string> bad = {
      "",
      "\x90",                          // []
      "\x91\xcc\xc8",                  // unknown op 200
      Exp(1, {I(1)}),                  // eq with one argument
      Exp(81, {I(2)}),                 // bin without a name
      Exp(81, {I(42), Name("i")}),     // unknown bin type
      Exp(80, {I(4)}),                 // key of type list
      Exp(64, {I(0)}),                 // digest modulo 0
      Exp(1, {I(1), I(1)}) + "\x01",   // trailing bytes
      std::string("\x93\x01\x01", 3),  // truncated
      Exp(126, {I(1)}),                // quote of a non-list
      std::string("\xd4\xff\x01"),     // infinity alone is fine to decode ...
  };
  for (size_t i = 0; i + 1 < bad.size(); ++i) {
    EXPECT_EQ(DecodeError(bad[i]), ResultCode::kParameterError) << "case " << i;
  }
  // ... but evaluates to unknown outside a collection call.
  EXPECT_EQ(Eval(bad.back()), std::nullopt);
  // Deep nesting is refused rather than recursing without bound.
  std::string deep = I(1);
  for (int i = 0; i < 200; ++i) deep = Exp(18, {deep});
  EXPECT_EQ(DecodeError(deep), ResultCode::kParameterError);
}

TEST_F(ExpressionTest, ExpressionOperations) {
  const auto op = [](const std::string& exp, uint64_t flags) {
    return Arr({exp, I(static_cast<int64_t>(flags))});
  };
  auto r = ExpRead(op(Exp(20, {BinInt("i"), BinInt("i")}), 0), ctx_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, Value::Integer(84));
  EXPECT_EQ(base::ResultCodeOf(ExpRead(op(BinInt("none"), 0), ctx_).status()),
            ResultCode::kOpNotApplicable);
  r = ExpRead(op(BinInt("none"), kExpEvalNoFail), ctx_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_null());
  EXPECT_EQ(base::ResultCodeOf(ExpRead("\x92\x01", ctx_).status()), ResultCode::kParameterError);

  Record out = rec_;
  ASSERT_TRUE(ExpModify(op(Exp(20, {BinInt("i"), I(1)}), 0), "i", ctx_, &out).ok());
  EXPECT_EQ(out.Find("i")->value, Value::Integer(43));
  EXPECT_EQ(base::ResultCodeOf(ExpModify(op(I(1), kExpWriteCreateOnly), "i", ctx_, &out)),
            ResultCode::kBinExists);
  EXPECT_TRUE(
      ExpModify(op(I(1), kExpWriteCreateOnly | kExpWritePolicyNoFail), "i", ctx_, &out).ok());
  EXPECT_EQ(out.Find("i")->value, Value::Integer(43));
  EXPECT_EQ(base::ResultCodeOf(ExpModify(op(I(1), kExpWriteUpdateOnly), "new", ctx_, &out)),
            ResultCode::kBinNotFound);
  ASSERT_TRUE(ExpModify(op(I(7), kExpWriteCreateOnly), "new", ctx_, &out).ok());
  EXPECT_EQ(out.Find("new")->value, Value::Integer(7));
  // Nil deletes only with allow-delete.
  EXPECT_EQ(base::ResultCodeOf(ExpModify(op(PackNil(), 0), "new", ctx_, &out)),
            ResultCode::kOpNotApplicable);
  ASSERT_TRUE(ExpModify(op(PackNil(), kExpWriteAllowDelete), "new", ctx_, &out).ok());
  EXPECT_EQ(out.Find("new"), nullptr);
  EXPECT_EQ(base::ResultCodeOf(ExpModify(op(BinInt("none"), 0), "x", ctx_, &out)),
            ResultCode::kOpNotApplicable);
  EXPECT_TRUE(ExpModify(op(BinInt("none"), kExpEvalNoFail), "x", ctx_, &out).ok());
  EXPECT_EQ(out.Find("x"), nullptr);
}

}  // namespace
}  // namespace tern::record
