#include "record/cdt_context.h"

#include <gtest/gtest.h>

#include "cdt_test_util.h"

namespace tern::record {
namespace {

using namespace testing;  // NOLINT: the op builders

// Context types.
constexpr int kListIndex = 0x10, kListRank = 0x11, kListValue = 0x13;
constexpr int kMapIndex = 0x20, kMapRank = 0x21, kMapKey = 0x22, kMapValue = 0x23;
constexpr int kCreateUnordered = 0x40, kCreatePadded = 0x80, kCreateOrdered = 0xc0;
// Ops.
constexpr int kListAppend = 1, kListSet = 9, kListSetType = 0, kListGet = 17, kListSize = 16;
constexpr int kMapPut = 67, kMapSize = 96;

Value Nested() {
  return ListBin(L({L({I(3), I(1)}), M({{S("k"), L({I(5)})}, {S("m"), I(0)}}), I(7)}));
}

TEST(CdtContextTest, EveryLookupStep) {
  const Value bin = Nested();
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListIndex), I(0)}, Op(kListGet, {I(1)})), bin)), "1");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListIndex), I(-2), I(kMapKey), S("k")}, Op(kListSize)), bin)),
            "1");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListRank), I(1)}, Op(kListSize)), bin)), "2");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListValue), L({I(3), I(1)})}, Op(kListGet, {I(0)})), bin)), "3");
  const Value map = MapBin(M({{S("b"), L({I(2)})}, {S("a"), L({I(9), I(8)})}}));
  EXPECT_EQ(Show(CdtRead(InCtx({I(kMapIndex), I(0)}, Op(kListSize)), map)), "2");  // key order
  EXPECT_EQ(Show(CdtRead(InCtx({I(kMapRank), I(0)}, Op(kListSize)), map)), "1");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kMapValue), L({I(2)})}, Op(kListGet, {I(0)})), map)), "2");
}

TEST(CdtContextTest, MissingStepsAndMismatchesAreNotApplicable) {
  const Value bin = Nested();
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListIndex), I(5)}, Op(kListSize)), bin)), "error 26");
  // A scalar on the way is not applicable; a scalar at the end is the wrong type for the op.
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListIndex), I(2), I(kListIndex), I(0)}, Op(kListSize)), bin)),
            "error 26");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListIndex), I(2)}, Op(kListSize)), bin)), "error 12");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kMapKey), S("k")}, Op(kListSize)), bin)), "error 26");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListIndex), I(1)}, Op(kListSize)), bin)), "error 12");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListIndex)}, Op(kListSize)), bin)), "error 4");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kListIndex), S("x")}, Op(kListSize)), bin)), "error 4");
}

TEST(CdtContextTest, ModifyWritesBackUpThePath) {
  Value bin = Nested();
  EXPECT_EQ(Modify(&bin, InCtx({I(kListIndex), I(1), I(kMapKey), S("k")}, Op(kListAppend, {I(6)}))),
            "2 -> [[3,1],{\"k\":[5,6],\"m\":0},7]");
  // Reads do not create; modifies without create flags do not either.
  EXPECT_EQ(
      Modify(&bin, InCtx({I(kListIndex), I(1), I(kMapKey), S("new")}, Op(kListAppend, {I(1)}))),
      "error 26 -> [[3,1],{\"k\":[5,6],\"m\":0},7]");
}

TEST(CdtContextTest, CreateFlags) {
  Value bin = Nested();
  // A map key created in an existing map.
  EXPECT_EQ(Modify(&bin, InCtx({I(kListIndex), I(1), I(kMapKey | kCreateUnordered), S("n")},
                               Op(kListAppend, {I(1)}))),
            "1 -> [[3,1],{\"k\":[5],\"m\":0,\"n\":[1]},7]");
  // A list index past the end: padded with nils only with the padded flag.
  Value list = ListBin(L({I(1)}));
  EXPECT_EQ(
      Modify(&list, InCtx({I(kListIndex | kCreateUnordered), I(3)}, Op(kListSet, {I(0), I(9)}))),
      "error 26 -> [1]");
  EXPECT_EQ(Modify(&list, InCtx({I(kListIndex | kCreatePadded), I(3)}, Op(kListSet, {I(0), I(9)}))),
            "null -> [1,null,null,[9]]");
  EXPECT_EQ(Modify(&list, InCtx({I(kListIndex | kCreateOrdered), I(4)}, Op(kListSetType, {I(1)}))),
            "null -> [1,null,null,[9],[]]");
  // An absent bin is built from the path's create flags: a key-ordered map holding a list.
  Value absent;
  EXPECT_EQ(Modify(&absent, InCtx({I(kMapKey | kCreatePadded), S("x"), I(kListIndex), I(0)},
                                  Op(kMapPut, {S("y"), I(1), I(0)}))),
            "1 -> {\"x\":[{\"y\":1}]}");
  EXPECT_EQ(absent, MapBin(M({{S("x"), L({M({{S("y"), I(1)}})})}}, kMapKeyOrdered)));
  // Without create flags an absent bin stays absent.
  Value none;
  EXPECT_EQ(Modify(&none, InCtx({I(kMapKey), S("x")}, Op(kMapPut, {S("y"), I(1), I(0)}))),
            "error 26 -> null");
  // A created level an op leaves empty is not kept.
  Value kept = MapBin(M({}));
  EXPECT_EQ(Modify(&kept, InCtx({I(kMapKey | kCreateUnordered), S("x")}, Op(76, {I(0), S("y")}))),
            "null -> {}");
  EXPECT_EQ(Show(CdtRead(InCtx({I(kMapKey), S("x")}, Op(kMapSize)), kept)), "error 26");
}

TEST(CdtContextTest, OrderedParentsStayOrdered) {
  Value bin = ListBin(L({L({I(1)}), L({I(5)})}, kListOrdered));
  EXPECT_EQ(Modify(&bin, InCtx({I(kListIndex), I(0)}, Op(kListAppend, {I(9)}))),
            "2 -> [[1,9],[5]]");
  EXPECT_EQ(Modify(&bin, InCtx({I(kListIndex), I(0)}, Op(kListSet, {I(0), I(7)}))),
            "null -> [[5],[7,9]]");
  EXPECT_EQ(bin, ListBin(L({L({I(5)}), L({I(7), I(9)})}, kListOrdered)));
}

}  // namespace
}  // namespace tern::record
