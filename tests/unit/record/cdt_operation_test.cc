#include "record/cdt_operation.h"

#include <gtest/gtest.h>

#include <random>

#include "cdt_test_util.h"

namespace tern::record {
namespace {

using namespace testing;  // NOLINT: the op builders

TEST(CdtOperationTest, MalformedOpsAreParameterErrors) {
  const Value list = ListBin(L({I(1)}));
  for (const std::string& bad :
       {std::string(), std::string("\x90", 1), S("x"), L({S("op")}), L({I(-1)}), L({I(200)}),
        L({I(0xff), L({I(0x10), I(0)})}), L({I(0xff), L({}), Op(16)}), Op(16) + "\x01"}) {
    EXPECT_EQ(Show(CdtRead(bad, list)), "error 4") << Show(Value::Blob(bad));
  }
}

TEST(CdtOperationTest, ContextNeedsACollectionBin) {
  Value text = Value::String("x");
  EXPECT_EQ(Modify(&text, InCtx({I(0x10), I(0)}, Op(1, {I(1)}))), "error 4 -> \"x\"");
}

// Bytes from a socket: random and mutated ops never crash and never corrupt the bin.
TEST(CdtOperationTest, HostileBytesNeverCrash) {
  const std::vector<std::string> seeds = {
      Op(1, {I(1)}),
      InCtx({I(0x22 | 0x80), S("k"), I(0x10 | 0x80), I(3)}, Op(9, {I(0), I(1)})),
      Op(67, {S("a"), L({I(1), M({{S("b"), D(2)}})}), I(1), I(8)}),
      Op(37, {I(0x10007), I(-2), I(2)}),
      Op(110, {I(8), I(5), I(-1)}),
  };
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string op = seeds[i % seeds.size()];
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      op[rng() % op.size()] = static_cast<char>(rng());
    }
    if (i % 7 == 0) op.resize(rng() % (op.size() + 1));
    Value list = ListBin(L({I(1), L({I(2)}), M({{S("k"), L({})}})}));
    Value map = MapBin(M({{S("a"), I(1)}, {S("k"), M({})}}));
    Value absent;
    (void)CdtRead(op, list);
    (void)CdtRead(op, map);
    for (Value* bin : {&list, &map, &absent}) {
      if (CdtModify(op, bin).ok() && !bin->is_null()) {
        EXPECT_TRUE(IsStorable(PackValue(*bin))) << Show(Value::Blob(op));
      }
    }
  }
}

}  // namespace
}  // namespace tern::record
