#include "record/cdt_map.h"

#include <gtest/gtest.h>

#include "cdt_test_util.h"

namespace tern::record {
namespace {

using namespace testing;  // NOLINT: the op builders

enum : int {
  kSetType = 64,
  kAdd = 65,
  kPut = 67,
  kPutItems = 68,
  kReplace = 69,
  kReplaceItems = 70,
  kIncrement = 73,
  kDecrement = 74,
  kClear = 75,
  kRemoveByKey = 76,
  kRemoveByKeyInterval = 84,
  kRemoveByKeyRelIndex = 88,
  kSize = 96,
  kGetByValueRelRank = 110,
};
constexpr int64_t kCreateOnly = 1, kUpdateOnly = 2, kNoFail = 4, kPartial = 8;

Value Abc() { return MapBin(M({{S("a"), I(1)}, {S("b"), I(2)}, {S("c"), I(3)}})); }

TEST(CdtMapTest, PutWithWriteFlags) {
  Value bin = Abc();
  EXPECT_EQ(Modify(&bin, Op(kPut, {S("d"), I(4), I(0)})), "4 -> {\"a\":1,\"b\":2,\"c\":3,\"d\":4}");
  EXPECT_EQ(Modify(&bin, Op(kPut, {S("a"), I(9), I(0), I(kCreateOnly)})),
            "error 24 -> {\"a\":1,\"b\":2,\"c\":3,\"d\":4}");
  EXPECT_EQ(Modify(&bin, Op(kPut, {S("z"), I(9), I(0), I(kUpdateOnly)})),
            "error 23 -> {\"a\":1,\"b\":2,\"c\":3,\"d\":4}");
  EXPECT_EQ(Modify(&bin, Op(kPut, {S("z"), I(9), I(0), I(kUpdateOnly | kNoFail)})),
            "4 -> {\"a\":1,\"b\":2,\"c\":3,\"d\":4}");
  EXPECT_EQ(Modify(&bin, Op(kAdd, {S("a"), I(9)})),
            "error 24 -> {\"a\":1,\"b\":2,\"c\":3,\"d\":4}");
  EXPECT_EQ(Modify(&bin, Op(kReplace, {S("a"), I(9)})), "4 -> {\"a\":9,\"b\":2,\"c\":3,\"d\":4}");
  // put-items: all or nothing, unless partial.
  bin = Abc();
  EXPECT_EQ(Modify(&bin, Op(kPutItems,
                            {M({{S("c"), I(0)}, {S("x"), I(0)}}), I(0), I(kUpdateOnly | kNoFail)})),
            "3 -> {\"a\":1,\"b\":2,\"c\":3}");
  EXPECT_EQ(Modify(&bin, Op(kPutItems, {M({{S("c"), I(0)}, {S("x"), I(0)}}), I(0),
                                        I(kUpdateOnly | kNoFail | kPartial)})),
            "3 -> {\"a\":1,\"b\":2,\"c\":0}");
  EXPECT_EQ(Modify(&bin, Op(kReplaceItems, {M({{S("q"), I(0)}})})),
            "error 23 -> {\"a\":1,\"b\":2,\"c\":0}");
  // Keys are integers, strings or blobs.
  EXPECT_EQ(Modify(&bin, Op(kPut, {D(1.5), I(0)})), "error 4 -> {\"a\":1,\"b\":2,\"c\":0}");
  EXPECT_EQ(Modify(&bin, Op(kPut, {L({}), I(0)})), "error 4 -> {\"a\":1,\"b\":2,\"c\":0}");
}

TEST(CdtMapTest, OrderFlagsArePersistedAndKeyOrderKept) {
  Value bin = MapBin(M({{S("c"), I(1)}, {S("a"), I(2)}}));
  EXPECT_EQ(Modify(&bin, Op(kSetType, {I(1)})), "null -> {\"a\":2,\"c\":1}");
  EXPECT_EQ(bin, MapBin(M({{S("a"), I(2)}, {S("c"), I(1)}}, kMapKeyOrdered)));
  EXPECT_EQ(Modify(&bin, Op(kPut, {S("b"), I(0), I(0)})), "3 -> {\"a\":2,\"b\":0,\"c\":1}");
  EXPECT_EQ(bin, MapBin(M({{S("a"), I(2)}, {S("b"), I(0)}, {S("c"), I(1)}}, kMapKeyOrdered)));
  EXPECT_EQ(Modify(&bin, Op(kSetType, {I(3)})), "null -> {\"a\":2,\"b\":0,\"c\":1}");
  EXPECT_EQ(Modify(&bin, Op(kSetType, {I(2)})), "error 26 -> {\"a\":2,\"b\":0,\"c\":1}");
  EXPECT_EQ(Modify(&bin, Op(kClear)), "null -> {}");
  EXPECT_EQ(bin, MapBin(M({}, kMapKeyValueOrdered)));
  // A map a put creates takes the put's order.
  Value fresh;
  EXPECT_EQ(Modify(&fresh, Op(kPut, {S("k"), I(1), I(1)})), "1 -> {\"k\":1}");
  EXPECT_EQ(fresh, MapBin(M({{S("k"), I(1)}}, kMapKeyOrdered)));
}

TEST(CdtMapTest, IncrementAndDecrement) {
  Value bin = Abc();
  EXPECT_EQ(Modify(&bin, Op(kIncrement, {S("b"), I(10), I(0)})),
            "12 -> {\"a\":1,\"b\":12,\"c\":3}");
  EXPECT_EQ(Modify(&bin, Op(kDecrement, {S("d"), I(1), I(0)})),
            "-1 -> {\"a\":1,\"b\":12,\"c\":3,\"d\":-1}");
  EXPECT_EQ(Modify(&bin, Op(kIncrement, {S("a"), Nil(), I(0)})),
            "2 -> {\"a\":2,\"b\":12,\"c\":3,\"d\":-1}");
  EXPECT_EQ(Modify(&bin, Op(kIncrement, {S("a"), S("x"), I(0)})),
            "error 4 -> {\"a\":2,\"b\":12,\"c\":3,\"d\":-1}");
}

TEST(CdtMapTest, RangesAndRelativeSelections) {
  Value bin = MapBin(M({{S("a"), I(17)}, {S("e"), I(2)}, {S("f"), I(15)}, {S("j"), I(10)}}));
  EXPECT_EQ(Show(CdtRead(Op(kGetByValueRelRank, {I(6), I(11), I(-1)}), bin)),
            "[\"j\",\"f\",\"a\"]");
  EXPECT_EQ(Show(CdtRead(Op(kSize), bin)), "4");
  EXPECT_EQ(Modify(&bin, Op(kRemoveByKeyRelIndex, {I(6), S("f"), I(0), I(1)})),
            "[\"f\"] -> {\"a\":17,\"e\":2,\"j\":10}");
  EXPECT_EQ(Modify(&bin, Op(kRemoveByKeyInterval, {I(7), Nil(), S("f")})), "[17,2] -> {\"j\":10}");
  EXPECT_EQ(Modify(&bin, Op(kRemoveByKey, {I(7), S("zz")})), "null -> {\"j\":10}");
}

TEST(CdtMapTest, AbsentBinsAndWrongTypes) {
  Value bin;
  EXPECT_EQ(Show(CdtRead(Op(kSize), bin)), "null");
  EXPECT_EQ(Modify(&bin, Op(kRemoveByKey, {I(7), S("a")})), "null -> null");
  EXPECT_EQ(Modify(&bin, Op(kReplace, {S("a"), I(1)})), "error 23 -> null");
  EXPECT_EQ(Modify(&bin, Op(kSetType, {I(1)})), "null -> {}");
  Value text = Value::String("not a map");
  EXPECT_EQ(Modify(&text, Op(kPut, {S("a"), I(1), I(0)})), "error 12 -> \"not a map\"");
}

}  // namespace
}  // namespace tern::record
