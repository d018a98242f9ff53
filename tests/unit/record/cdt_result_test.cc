// Every return type, through list and map get-by operations.
#include "record/cdt_result.h"

#include <gtest/gtest.h>

#include "cdt_test_util.h"

namespace tern::record {
namespace {

using namespace testing;  // NOLINT: the op builders

// List op codes used here.
constexpr int kGetByValue = 20, kGetAllByValue = 22, kGetByIndexRange = 24, kGetByRankRange = 26;
// Map op codes used here.
constexpr int kMapGetByKey = 97, kMapGetByRankRange = 106, kMapGetByIndex = 98;
constexpr int64_t kInverted = 0x10000;

std::string Get(const Value& bin, int code, int64_t rt, std::vector<std::string> args) {
  args.insert(args.begin(), I(rt));
  return Show(CdtRead(Op(code, args), bin));
}

TEST(CdtResultTest, SingleListPickAnswersEveryReturnType) {
  const Value list = ListBin(L({I(3), I(1), I(2), I(1)}));
  // The first 1 is at index 1, rank 0 (ties rank by index).
  EXPECT_EQ(Get(list, kGetByValue, 0, {I(1)}), "null");      // none
  EXPECT_EQ(Get(list, kGetByValue, 1, {I(1)}), "1");         // index
  EXPECT_EQ(Get(list, kGetByValue, 2, {I(1)}), "2");         // reverse index
  EXPECT_EQ(Get(list, kGetByValue, 3, {I(1)}), "0");         // rank
  EXPECT_EQ(Get(list, kGetByValue, 4, {I(1)}), "3");         // reverse rank
  EXPECT_EQ(Get(list, kGetByValue, 5, {I(1)}), "1");         // count
  EXPECT_EQ(Get(list, kGetByValue, 7, {I(1)}), "1");         // value
  EXPECT_EQ(Get(list, kGetByValue, 13, {I(1)}), "true");     // exists
  EXPECT_EQ(Get(list, kGetByValue, 6, {I(1)}), "error 26");  // lists have no keys
  EXPECT_EQ(Get(list, kGetByValue, 8, {I(1)}), "error 26");  // nor key/value pairs
  // Nothing found.
  EXPECT_EQ(Get(list, kGetByValue, 1, {I(9)}), "-1");
  EXPECT_EQ(Get(list, kGetByValue, 3, {I(9)}), "-1");
  EXPECT_EQ(Get(list, kGetByValue, 5, {I(9)}), "0");
  EXPECT_EQ(Get(list, kGetByValue, 7, {I(9)}), "null");
  EXPECT_EQ(Get(list, kGetByValue, 13, {I(9)}), "false");
  // Inverting a single pick is refused.
  EXPECT_EQ(Get(list, kGetByValue, 1 | kInverted, {I(1)}), "error 26");
}

TEST(CdtResultTest, MultiListPickAnswersEveryReturnType) {
  const Value list = ListBin(L({I(3), I(1), I(2), I(1)}));
  EXPECT_EQ(Get(list, kGetAllByValue, 1, {I(1)}), "[1,3]");
  EXPECT_EQ(Get(list, kGetAllByValue, 2, {I(1)}), "[0,2]");
  EXPECT_EQ(Get(list, kGetAllByValue, 3, {I(1)}), "[0,1]");
  EXPECT_EQ(Get(list, kGetAllByValue, 4, {I(1)}), "[2,3]");
  EXPECT_EQ(Get(list, kGetAllByValue, 5, {I(1)}), "2");
  EXPECT_EQ(Get(list, kGetAllByValue, 7, {I(1)}), "[1,1]");
  EXPECT_EQ(Get(list, kGetAllByValue, 13, {I(1)}), "true");
  EXPECT_EQ(Get(list, kGetAllByValue, 7, {I(9)}), "[]");
  // Inverted: everything else, in index order.
  EXPECT_EQ(Get(list, kGetAllByValue, 1 | kInverted, {I(1)}), "[0,2]");
  EXPECT_EQ(Get(list, kGetAllByValue, 7 | kInverted, {I(1)}), "[3,2]");
  EXPECT_EQ(Get(list, kGetAllByValue, 5 | kInverted, {I(1)}), "2");
  // Positional picks answer ranks per element in index order, range types as [start, count].
  EXPECT_EQ(Get(list, kGetByIndexRange, 3, {I(0), I(3)}), "[3,0,2]");
  EXPECT_EQ(Get(list, kGetByIndexRange, 9, {I(1), I(2)}), "[1,2]");
  EXPECT_EQ(Get(list, kGetByIndexRange, 10, {I(1), I(2)}), "[1,2]");
  EXPECT_EQ(Get(list, kGetByIndexRange, 9 | kInverted, {I(1), I(2)}), "error 26");
  // Rank picks answer values in rank order.
  EXPECT_EQ(Get(list, kGetByRankRange, 7, {I(1), I(3)}), "[1,2,3]");
  EXPECT_EQ(Get(list, kGetByRankRange, 11, {I(1), I(3)}), "[1,3]");
  EXPECT_EQ(Get(list, kGetByRankRange, 12, {I(1), I(3)}), "[0,3]");
  EXPECT_EQ(Get(list, kGetByRankRange, 1, {I(-2)}), "[0,2]");
}

TEST(CdtResultTest, MapReturnTypes) {
  const Value map = MapBin(M({{S("a"), I(3)}, {S("b"), I(1)}, {S("c"), I(2)}}));
  EXPECT_EQ(Get(map, kMapGetByKey, 6, {S("b")}), "\"b\"");
  EXPECT_EQ(Get(map, kMapGetByKey, 7, {S("b")}), "1");
  EXPECT_EQ(Get(map, kMapGetByKey, 1, {S("b")}), "1");
  EXPECT_EQ(Get(map, kMapGetByKey, 2, {S("b")}), "1");
  EXPECT_EQ(Get(map, kMapGetByKey, 3, {S("b")}), "0");
  EXPECT_EQ(Get(map, kMapGetByKey, 4, {S("b")}), "2");
  EXPECT_EQ(Get(map, kMapGetByKey, 13, {S("b")}), "true");
  // Key/value answers are maps: "preserve order" (8), unordered (no flag), key-ordered (1).
  EXPECT_EQ(*CdtRead(Op(kMapGetByKey, {I(8), S("b")}), map), MapBin(M({{S("b"), I(1)}}, 8)));
  EXPECT_EQ(*CdtRead(Op(kMapGetByKey, {I(16), S("b")}), map), MapBin(M({{S("b"), I(1)}})));
  EXPECT_EQ(*CdtRead(Op(kMapGetByKey, {I(17), S("b")}), map), MapBin(M({{S("b"), I(1)}}, 1)));
  EXPECT_EQ(*CdtRead(Op(kMapGetByKey, {I(8), S("z")}), map), MapBin(M({}, 8)));
  EXPECT_EQ(Get(map, kMapGetByKey, 7, {S("z")}), "null");
  EXPECT_EQ(Get(map, kMapGetByKey, 1, {S("z")}), "-1");
  // Rank order for rank picks; an ordered-map answer is in key order.
  EXPECT_EQ(Get(map, kMapGetByRankRange, 6, {I(0), I(2)}), "[\"b\",\"c\"]");
  EXPECT_EQ(*CdtRead(Op(kMapGetByRankRange, {I(17), I(0), I(2)}), map),
            MapBin(M({{S("b"), I(1)}, {S("c"), I(2)}}, 1)));
  // Index order is key order, whatever the stored order.
  const Value unsorted = MapBin(M({{S("c"), I(2)}, {S("a"), I(3)}}));
  EXPECT_EQ(Get(unsorted, kMapGetByIndex, 6, {I(0)}), "\"a\"");
  EXPECT_EQ(Get(unsorted, kMapGetByIndex, 6, {I(2)}), "error 26");
}

}  // namespace
}  // namespace tern::record
