#include "record/hll_operation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/result_code.h"
#include "cdt_test_util.h"

namespace tern::record {
namespace {

using namespace testing;  // NOLINT: the op builders

enum : int {
  kInit = 0,
  kAdd = 1,
  kSetUnion = 2,
  kRefreshCount = 3,
  kFold = 4,
  kCount = 50,
  kGetUnion = 51,
  kUnionCount = 52,
  kIntersectCount = 53,
  kSimilarity = 54,
  kDescribe = 55,
};
constexpr int64_t kCreateOnly = 1, kUpdateOnly = 2, kNoFail = 4, kAllowFold = 8;

// The set {jaguar, leopard, lion, tiger} with 8 index bits and no minhash bits, as the
// Aerospike server stores it (the Node client's test suite carries these exact bytes).
std::string CatsBytes() {
  std::string b(203, '\0');
  b[1] = 8;
  b[36] = 16;
  b[43] = 4;
  b[163] = 65;
  return b;
}
// An HLL argument as clients pack it: bytes behind the HLL particle type.
std::string H(const std::string& bytes) { return PackValue(Value::Hll(bytes)); }
std::string Strings(const std::vector<std::string>& words) {
  std::vector<std::string> items;
  for (const auto& w : words) items.push_back(S(w));
  return L(items);
}
std::vector<std::string> Numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

int Code(const absl::Status& s) { return static_cast<int>(base::ResultCodeOf(s)); }

// Applies a modify op and answers "<answer>" or "error <code>".
std::string Mod(Value* bin, const std::string& op) {
  absl::StatusOr<Value> r = HllModify(op, bin);
  if (!r.ok()) return "error " + std::to_string(Code(r.status()));
  return Show(*r);
}
std::string Rd(const Value& bin, const std::string& op) {
  absl::StatusOr<Value> r = HllRead(op, bin);
  if (!r.ok()) return "error " + std::to_string(Code(r.status()));
  return Show(*r);
}
int64_t CountOf(const Value& bin) {
  absl::StatusOr<Value> r = HllRead(Op(kCount), bin);
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->integer() : -1;
}

TEST(HllOperationTest, AddMatchesAerospikesBytes) {
  Value bin;
  EXPECT_EQ(Mod(&bin, Op(kAdd, {Strings({"jaguar", "tiger", "tiger", "leopard", "lion", "jaguar"}),
                                I(8)})),
            "4");
  EXPECT_EQ(bin.type(), ParticleType::kHll);
  EXPECT_EQ(bin.bytes(), CatsBytes());
  // Adding what is already there changes nothing.
  EXPECT_EQ(Mod(&bin, Op(kAdd, {Strings({"lion"}), I(-1)})), "0");
  EXPECT_EQ(bin.bytes(), CatsBytes());
}

TEST(HllOperationTest, CountsOfKnownSets) {
  for (int n : {0, 1, 3, 10, 100, 1000, 10000, 100000}) {
    Value bin;
    ASSERT_EQ(Mod(&bin, Op(kInit, {I(14)})), "null");
    std::vector<std::string> words = Numbered("w", n);
    for (size_t i = 0; i < words.size(); i += 1000) {
      std::vector<std::string> chunk(words.begin() + i,
                                     words.begin() + std::min(words.size(), i + 1000));
      ASSERT_NE(Mod(&bin, Op(kAdd, {Strings(chunk)})).substr(0, 5), "error");
    }
    const int64_t c = CountOf(bin);
    if (n <= 10) {
      EXPECT_EQ(c, n);
    } else {
      // 2^14 registers: a standard error near 0.8 %.
      EXPECT_NEAR(static_cast<double>(c), n, n * 0.03) << n;
    }
  }
}

TEST(HllOperationTest, UnionAndIntersectWithAerospikesSketch) {
  Value bin;
  ASSERT_EQ(Mod(&bin, Op(kAdd, {Strings({"leopard", "lynx", "tiger", "tiger", "cheetah", "lynx"}),
                                I(8)})),
            "4");
  const std::string cats = L({H(CatsBytes())});
  EXPECT_EQ(Rd(bin, Op(kUnionCount, {cats})), "6");
  EXPECT_EQ(Rd(bin, Op(kIntersectCount, {cats})), "2");
  absl::StatusOr<Value> sim = HllRead(Op(kSimilarity, {cats}), bin);
  ASSERT_TRUE(sim.ok());
  EXPECT_NEAR(sim->dbl(), 2.0 / 6.0, 1e-9);
  absl::StatusOr<Value> u = HllRead(Op(kGetUnion, {cats}), bin);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->type(), ParticleType::kHll);
  EXPECT_EQ(CountOf(*u), 6);
  // set-union stores the union in the bin.
  ASSERT_EQ(Mod(&bin, Op(kSetUnion, {cats})), "null");
  EXPECT_EQ(CountOf(bin), 6);
  EXPECT_EQ(Rd(bin, Op(kDescribe)), "[8,0]");
  // A union needing fewer index bits than the bin has fails unless folding is allowed.
  Value wide;
  ASSERT_EQ(Mod(&wide, Op(kAdd, {Strings({"tiger", "lynx"}), I(12)})), "2");
  EXPECT_EQ(Mod(&wide, Op(kSetUnion, {cats})), "error 26");
  ASSERT_EQ(Mod(&wide, Op(kSetUnion, {cats, I(kAllowFold)})), "null");
  EXPECT_EQ(Rd(wide, Op(kDescribe)), "[8,0]");
  EXPECT_EQ(CountOf(wide), 5);
}

TEST(HllOperationTest, MinhashSimilarity) {
  // Two sets of 2000 sharing 1000: similarity 1/3.
  Value a, b;
  ASSERT_EQ(Mod(&a, Op(kInit, {I(12), I(16)})), "null");
  ASSERT_EQ(Mod(&b, Op(kInit, {I(12), I(16)})), "null");
  std::vector<std::string> shared = Numbered("s", 1000), only_a = Numbered("a", 1000),
                           only_b = Numbered("b", 1000);
  for (auto* words : {&shared, &only_a}) ASSERT_NE(Mod(&a, Op(kAdd, {Strings(*words)})), "");
  for (auto* words : {&shared, &only_b}) ASSERT_NE(Mod(&b, Op(kAdd, {Strings(*words)})), "");
  const std::string other = L({H(b.bytes())});
  absl::StatusOr<Value> sim = HllRead(Op(kSimilarity, {other}), a);
  ASSERT_TRUE(sim.ok());
  EXPECT_NEAR(sim->dbl(), 1.0 / 3.0, 0.05);
  absl::StatusOr<Value> inter = HllRead(Op(kIntersectCount, {other}), a);
  ASSERT_TRUE(inter.ok());
  EXPECT_NEAR(static_cast<double>(inter->integer()), 1000, 100);
  EXPECT_EQ(Rd(a, Op(kDescribe)), "[12,16]");
  // Minhash sketches cannot be folded.
  EXPECT_EQ(Mod(&a, Op(kFold, {I(8)})), "error 26");
}

TEST(HllOperationTest, FoldAndRefreshCount) {
  Value bin;
  ASSERT_EQ(Mod(&bin, Op(kAdd, {Strings({"tiger", "lynx", "cheetah", "tiger"}), I(8)})), "3");
  ASSERT_EQ(Mod(&bin, Op(kAdd, {Strings({"lion", "tiger", "puma", "puma"})})), "2");
  ASSERT_EQ(Mod(&bin, Op(kFold, {I(6)})), "null");
  EXPECT_EQ(Rd(bin, Op(kDescribe)), "[6,0]");
  EXPECT_EQ(Mod(&bin, Op(kRefreshCount)), "5");
  // The count is now cached in the stored bytes.
  EXPECT_EQ(static_cast<uint8_t>(bin.bytes()[3]), 5);
  EXPECT_EQ(CountOf(bin), 5);
  EXPECT_EQ(Mod(&bin, Op(kFold, {I(8)})), "error 26");  // cannot grow
  Value none;
  EXPECT_EQ(Mod(&none, Op(kFold, {I(6)})), "error 17");
  EXPECT_EQ(Mod(&none, Op(kRefreshCount)), "error 17");
}

TEST(HllOperationTest, WriteFlags) {
  Value bin;
  ASSERT_EQ(Mod(&bin, Op(kAdd, {Strings({"tiger"}), I(8)})), "1");
  EXPECT_EQ(Mod(&bin, Op(kInit, {I(10), I(-1), I(kCreateOnly)})), "error 6");
  EXPECT_EQ(Mod(&bin, Op(kInit, {I(10), I(-1), I(kCreateOnly | kNoFail)})), "null");
  EXPECT_EQ(Rd(bin, Op(kDescribe)), "[8,0]");
  EXPECT_EQ(Mod(&bin, Op(kAdd, {Strings({"lion"}), I(8), I(-1), I(kCreateOnly)})), "error 6");
  EXPECT_EQ(CountOf(bin), 1);
  Value none;
  EXPECT_EQ(Mod(&none, Op(kInit, {I(10), I(6), I(kUpdateOnly)})), "error 17");
  EXPECT_EQ(Mod(&none, Op(kInit, {I(10), I(6), I(kUpdateOnly | kNoFail)})), "null");
  EXPECT_TRUE(none.is_null());
  EXPECT_EQ(Mod(&none, Op(kSetUnion, {L({H(CatsBytes())}), I(kUpdateOnly)})), "error 17");
  // Both create-only and update-only, or a flag the op does not take: a bad argument.
  EXPECT_EQ(Mod(&bin, Op(kInit, {I(10), I(-1), I(kCreateOnly | kUpdateOnly)})), "error 4");
  EXPECT_EQ(Mod(&bin, Op(kAdd, {Strings({"x"}), I(8), I(-1), I(kUpdateOnly)})), "error 4");
  // Re-init keeps unset bit counts from the bin and clears it.
  ASSERT_EQ(Mod(&bin, Op(kInit, {I(-1), I(4)})), "null");
  EXPECT_EQ(Rd(bin, Op(kDescribe)), "[8,4]");
  EXPECT_EQ(CountOf(bin), 0);
  // Creating needs index bits.
  Value fresh;
  EXPECT_EQ(Mod(&fresh, Op(kInit)), "error 26");
  EXPECT_EQ(Mod(&fresh, Op(kAdd, {Strings({"x"})})), "error 26");
}

TEST(HllOperationTest, BadArguments) {
  Value bin;
  for (int bits : {3, 17, 0, 100}) {
    EXPECT_EQ(Mod(&bin, Op(kInit, {I(bits)})), "error 4") << bits;
  }
  EXPECT_EQ(Mod(&bin, Op(kInit, {I(8), I(2)})), "error 4");    // minhash 1..3
  EXPECT_EQ(Mod(&bin, Op(kInit, {I(16), I(51)})), "error 4");  // more than 64 bits together
  EXPECT_EQ(Mod(&bin, Op(kAdd, {L({})})), "error 4");          // nothing to add
  EXPECT_EQ(Mod(&bin, Op(kAdd, {L({L({I(1)})}), I(8)})), "error 4");
  EXPECT_EQ(Mod(&bin, Op(kCount)), "error 4");  // a read code in a modify
  EXPECT_EQ(Rd(bin, Op(kInit, {I(8)})), "error 4");
  EXPECT_EQ(Rd(bin, Op(kCount)), "null");  // a missing bin reads as null
  EXPECT_EQ(Mod(&bin, Op(kInit, {I(8), I(0), I(0), I(0)})), "error 4");  // too many arguments
  // Not an HLL bin.
  Value str = Value::String("not a HLL set");
  EXPECT_EQ(Mod(&str, Op(kAdd, {Strings({"x"}), I(8)})), "error 12");
  EXPECT_EQ(Rd(str, Op(kCount)), "error 12");
  // A malformed HLL argument: short, wrong size, flags set.
  ASSERT_EQ(Mod(&bin, Op(kInit, {I(8)})), "null");
  std::string cats = CatsBytes();
  EXPECT_EQ(Rd(bin, Op(kUnionCount, {L({H(cats.substr(0, 100))})})), "error 4");
  std::string flagged = cats;
  flagged[0] = 1;
  EXPECT_EQ(Rd(bin, Op(kUnionCount, {L({H(flagged)})})), "error 4");
  EXPECT_EQ(Rd(bin, Op(kUnionCount, {L({I(5)})})), "error 4");
  EXPECT_FALSE(IsValidHll(flagged));
  EXPECT_FALSE(IsValidHll(""));
  EXPECT_TRUE(IsValidHll(cats));
}

// Random bytes and random mutations of valid ops never crash and answer 4 or a value.
TEST(HllOperationTest, MalformedInputNeverCrashes) {
  std::mt19937 rng(8);
  const std::vector<std::string> seeds = {
      Op(kAdd, {Strings({"a", "b"}), I(8), I(4), I(0)}),
      Op(kSetUnion, {L({H(CatsBytes())}), I(8)}),
      Op(kInit, {I(10), I(6), I(1)}),
      Op(kFold, {I(5)}),
      Op(kIntersectCount, {L({H(CatsBytes())})}),
      Op(kSimilarity, {L({H(CatsBytes()), H(CatsBytes()), H(CatsBytes())})})};
  Value cats = Value::Hll(CatsBytes());
  for (int i = 0; i < 20000; ++i) {
    std::string op = seeds[i % seeds.size()];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) op[rng() % op.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) op.resize(rng() % op.size());
    Value bin = i % 2 ? cats : Value();
    (void)HllModify(op, &bin);
    (void)HllRead(op, cats);
    if (!bin.is_null()) {
      EXPECT_TRUE(IsValidHll(bin.bytes()));
    }
  }
}

}  // namespace
}  // namespace tern::record
