#include "record/bit_operation.h"

#include <gtest/gtest.h>

#include "base/result_code.h"
#include "cdt_test_util.h"

namespace tern::record {
namespace {

using namespace testing;  // NOLINT: the op builders

enum : int {
  kResize = 0,
  kInsert = 1,
  kRemove = 2,
  kSet = 3,
  kOr = 4,
  kXor = 5,
  kAnd = 6,
  kNot = 7,
  kLshift = 8,
  kRshift = 9,
  kAdd = 10,
  kSubtract = 11,
  kSetInt = 12,
  kGet = 50,
  kCount = 51,
  kLscan = 52,
  kRscan = 53,
  kGetInt = 54,
};
constexpr int64_t kCreateOnly = 1, kUpdateOnly = 2, kNoFail = 4, kPartial = 8;
constexpr int64_t kFromFront = 1, kGrowOnly = 2, kShrinkOnly = 4;
constexpr int64_t kSigned = 1, kSaturate = 2, kWrap = 4;

// Bytes as clients pack them: a msgpack bin with the blob particle type first.
std::string B(std::vector<uint8_t> bytes) {
  return PackValue(Value::Blob(std::string(bytes.begin(), bytes.end())));
}
Value Blob(std::vector<uint8_t> bytes) {
  return Value::Blob(std::string(bytes.begin(), bytes.end()));
}
const Value kFive = Blob({0b00000001, 0b01000010, 0b00000011, 0b00000100, 0b00000101});

// "<result code>" or the bin's bytes after the op, as numbers.
std::string After(Value bin, const std::string& op) {
  absl::Status s = BitModify(op, &bin);
  if (!s.ok()) return "error " + std::to_string(static_cast<int>(base::ResultCodeOf(s)));
  std::string out;
  for (unsigned char c : bin.bytes()) out += (out.empty() ? "" : ",") + std::to_string(c);
  return out;
}
std::string Read(const Value& bin, const std::string& op) {
  absl::StatusOr<Value> v = BitRead(op, bin);
  if (!v.ok()) return "error " + std::to_string(static_cast<int>(base::ResultCodeOf(v.status())));
  if (v->type() == ParticleType::kInteger) return std::to_string(v->integer());
  if (v->is_null()) return "null";
  std::string out = "bytes:";
  for (unsigned char c : v->bytes()) out += std::to_string(c) + ";";
  return out;
}

// The worked examples of the Aerospike clients' documentation of each op.
TEST(BitOperationTest, DocumentedExamples) {
  EXPECT_EQ(After(Blob({1, 0x42}), Op(kResize, {I(4), I(0), I(0)})), "1,66,0,0");
  EXPECT_EQ(After(kFive, Op(kInsert, {I(1), B({0xff, 0xc7}), I(0)})), "1,255,199,66,3,4,5");
  EXPECT_EQ(After(kFive, Op(kRemove, {I(2), I(3), I(0)})), "1,66");
  EXPECT_EQ(After(kFive, Op(kSet, {I(13), I(3), B({0b11100000}), I(0)})), "1,71,3,4,5");
  EXPECT_EQ(After(kFive, Op(kOr, {I(17), I(6), B({0b10101000}), I(0)})), "1,66,87,4,5");
  EXPECT_EQ(After(kFive, Op(kXor, {I(17), I(6), B({0b10101100}), I(0)})), "1,66,85,4,5");
  EXPECT_EQ(After(kFive, Op(kAnd, {I(23), I(9), B({0b00111100, 0b10000000}), I(0)})), "1,66,2,0,5");
  EXPECT_EQ(After(kFive, Op(kNot, {I(25), I(6), I(0)})), "1,66,3,122,5");
  EXPECT_EQ(After(kFive, Op(kLshift, {I(32), I(8), I(3), I(0)})), "1,66,3,4,40");
  EXPECT_EQ(After(kFive, Op(kRshift, {I(0), I(9), I(1), I(0)})), "0,194,3,4,5");
  EXPECT_EQ(After(kFive, Op(kAdd, {I(24), I(16), I(128), I(0), I(0)})), "1,66,3,4,133");
  EXPECT_EQ(After(kFive, Op(kSubtract, {I(24), I(16), I(128), I(0), I(0)})), "1,66,3,3,133");
  EXPECT_EQ(After(kFive, Op(kSetInt, {I(1), I(8), I(127), I(0)})), "63,194,3,4,5");
  EXPECT_EQ(Read(kFive, Op(kGet, {I(9), I(5)})), "bytes:128;");
  EXPECT_EQ(Read(kFive, Op(kCount, {I(20), I(4)})), "2");
  EXPECT_EQ(Read(kFive, Op(kLscan, {I(24), I(8), PackValue(Value::Bool(true))})), "5");
  EXPECT_EQ(Read(kFive, Op(kRscan, {I(32), I(8), PackValue(Value::Bool(true))})), "7");
  EXPECT_EQ(Read(kFive, Op(kLscan, {I(0), I(7), PackValue(Value::Bool(true))})), "-1");
  EXPECT_EQ(Read(kFive, Op(kGetInt, {I(8), I(16)})), "16899");
  EXPECT_EQ(Read(Blob({0xff}), Op(kGetInt, {I(0), I(8), I(kSigned)})), "-1");
  // A negative offset counts from the end.
  EXPECT_EQ(Read(kFive, Op(kGet, {I(-8), I(8)})), "bytes:5;");
}

TEST(BitOperationTest, ResizeFlags) {
  EXPECT_EQ(After(Blob({1, 2}), Op(kResize, {I(4), I(0), I(kFromFront)})), "0,0,1,2");
  EXPECT_EQ(After(Blob({1, 2, 3}), Op(kResize, {I(1), I(0), I(kFromFront)})), "3");
  EXPECT_EQ(After(Blob({1, 2, 3}), Op(kResize, {I(2), I(0), I(kGrowOnly)})), "error 4");
  EXPECT_EQ(After(Blob({1, 2, 3}), Op(kResize, {I(4), I(0), I(kShrinkOnly)})), "error 4");
}

TEST(BitOperationTest, PolicyFlagsAndBinStates) {
  // Resize and insert create a missing bin; the other ops need one.
  EXPECT_EQ(After(Value(), Op(kResize, {I(2), I(kCreateOnly), I(0)})), "0,0");
  EXPECT_EQ(After(Value(), Op(kInsert, {I(0), B({7}), I(0)})), "7");
  EXPECT_EQ(After(Value(), Op(kNot, {I(0), I(1), I(0)})), "error 17");
  EXPECT_EQ(After(Blob({1}), Op(kResize, {I(2), I(kCreateOnly), I(0)})), "error 6");
  EXPECT_EQ(After(Value(), Op(kResize, {I(2), I(kUpdateOnly), I(0)})), "error 17");
  // No-fail: denied or out of range, the bin stays as it was.
  EXPECT_EQ(After(Blob({1}), Op(kResize, {I(2), I(kCreateOnly | kNoFail), I(0)})), "1");
  EXPECT_EQ(After(Blob({0}), Op(kSet, {I(4), I(8), B({0xaa}), I(kNoFail)})), "0");
  // Partial: a range past the end is cut at the end.
  EXPECT_EQ(After(Blob({0}), Op(kSet, {I(4), I(8), B({0xaa}), I(0)})), "error 4");
  EXPECT_EQ(After(Blob({0}), Op(kSet, {I(4), I(8), B({0xaa}), I(kPartial)})), "10");
  // Not a blob.
  EXPECT_EQ(After(Value::Integer(3), Op(kNot, {I(0), I(1), I(0)})), "error 12");
  EXPECT_EQ(Read(Value::String("x"), Op(kCount, {I(0), I(1)})), "error 12");
  EXPECT_EQ(Read(Value(), Op(kCount, {I(0), I(1)})), "null");
}

TEST(BitOperationTest, AddAndSubtractOverflowActions) {
  const Value ff = Blob({0xff});
  EXPECT_EQ(After(ff, Op(kAdd, {I(0), I(8), I(1), I(0), I(0)})), "error 26");
  EXPECT_EQ(After(ff, Op(kAdd, {I(0), I(8), I(1), I(0), I(kSaturate)})), "255");
  EXPECT_EQ(After(ff, Op(kAdd, {I(0), I(8), I(1), I(0), I(kWrap)})), "0");
  EXPECT_EQ(After(Blob({0}), Op(kSubtract, {I(0), I(8), I(1), I(0), I(0)})), "error 26");
  EXPECT_EQ(After(Blob({0}), Op(kSubtract, {I(0), I(8), I(1), I(0), I(kSaturate)})), "0");
  EXPECT_EQ(After(Blob({0}), Op(kSubtract, {I(0), I(8), I(1), I(0), I(kWrap)})), "255");
  // Signed: 0x7f + 1 overflows a signed byte; -128 - 1 underflows it.
  EXPECT_EQ(After(Blob({0x7f}), Op(kAdd, {I(0), I(8), I(1), I(0), I(kSigned)})), "error 26");
  EXPECT_EQ(After(Blob({0x7f}), Op(kAdd, {I(0), I(8), I(1), I(0), I(kSigned | kSaturate)})), "127");
  EXPECT_EQ(After(Blob({0x80}), Op(kSubtract, {I(0), I(8), I(1), I(0), I(kSigned | kWrap)})),
            "127");
  EXPECT_EQ(After(Blob({0, 0, 0, 0, 0, 0, 0, 0, 0}), Op(kSetInt, {I(4), I(64), I(-1), I(0)})),
            "15,255,255,255,255,255,255,255,240");
  EXPECT_EQ(After(Blob({0}), Op(kAdd, {I(0), I(65), I(1), I(0), I(0)})), "error 4");
}

// Malformed input from a socket is a parameter error, never a crash.
TEST(BitOperationTest, MalformedOpsAreRejected) {
  const std::string good = Op(kSet, {I(0), I(8), B({0xaa}), I(0)});
  for (size_t cut = 0; cut < good.size(); ++cut) {
    Value bin = Blob({0});
    EXPECT_FALSE(BitModify(good.substr(0, cut), &bin).ok()) << cut;
  }
  Value bin = Blob({0});
  EXPECT_EQ(After(bin, Op(99, {I(0)})), "error 4");
  EXPECT_EQ(Read(bin, Op(kSet, {I(0), I(1)})), "error 4");
  EXPECT_EQ(After(bin, Op(kSet, {S("x"), I(8), B({1}), I(0)})), "error 4");
  EXPECT_EQ(After(bin, Op(kSet, {I(0), I(16), B({1}), I(0)})), "error 4");  // value too short
  EXPECT_EQ(After(bin, InCtx({I(0x10), I(0)}, Op(kNot, {I(0), I(1), I(0)}))), "error 4");
  EXPECT_EQ(After(bin, Op(kResize, {I(int64_t{1} << 40), I(0), I(0)})), "error 4");
}

}  // namespace
}  // namespace tern::record
