// Typed gRPC operations → the wire protocol's op: the packed bytes are exactly what the
// Aerospike clients send, the record layer applies them, and bad operations are parameter
// errors that say what is wrong.
#include "api/typed_operation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/result_code.h"
#include "record/bit_operation.h"
#include "record/cdt_operation.h"
#include "record/collection.h"
#include "record/hll_operation.h"
#include "tern/v1/operation_layout.h"

namespace tern::api {
namespace {

namespace v1 = tern::v1;
using record::Value;

v1::Value Int(int64_t i) {
  v1::Value v;
  v.set_int_value(i);
  return v;
}
v1::Value Str(const std::string& s) {
  v1::Value v;
  v.set_string_value(s);
  return v;
}
v1::Value Bytes(const std::string& b) {
  v1::Value v;
  v.set_bytes_value(b);
  return v;
}

txn::Op Convert(const v1::Operation& op) {
  absl::StatusOr<txn::Op> out = TypedOperation(op);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : txn::Op{};
}

std::string Error(const v1::Operation& op) {
  absl::StatusOr<txn::Op> out = TypedOperation(op);
  EXPECT_FALSE(out.ok());
  if (out.ok()) return "";
  EXPECT_EQ(base::ResultCodeOf(out.status()), base::ResultCode::kParameterError);
  return std::string(out.status().message());
}

TEST(TypedOperationTest, ListAppendPacksValueOrderAndFlags) {
  v1::Operation op;
  op.set_bin("tags");
  op.mutable_list()->set_kind(v1::ListOperation::APPEND);
  *op.mutable_list()->add_args() = Str("x");
  op.mutable_list()->set_write_flags(0x01);
  txn::Op out = Convert(op);
  EXPECT_EQ(out.type, txn::OpType::kCdtModify);
  EXPECT_EQ(out.bin, "tags");
  EXPECT_EQ(out.value.bytes(), std::string("\x94\x01\xa2\x03x\x00\x01", 7));

  Value bin;
  ASSERT_TRUE(record::CdtModify(out.value.bytes(), &bin).ok());
  auto items = record::DecodeList(bin.bytes());
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(*items, std::vector<Value>{Value::String("x")});
}

TEST(TypedOperationTest, ListReadCarriesInvertedReturnTypeAndLeavesOutAbsentCount) {
  v1::Operation op;
  op.set_bin("l");
  v1::ListOperation* l = op.mutable_list();
  l->set_kind(v1::ListOperation::GET_BY_INDEX_RANGE);
  l->set_return_type(v1::RETURN_VALUE);
  l->set_inverted(true);
  *l->add_args() = Int(1);
  txn::Op out = Convert(op);
  EXPECT_EQ(out.type, txn::OpType::kCdtRead);
  EXPECT_EQ(out.value.bytes(), std::string("\x93\x18\xce\x00\x01\x00\x07\x01", 8));

  std::vector<Value> items = {Value::Integer(1), Value::Integer(2), Value::Integer(3)};
  absl::StatusOr<Value> r =
      record::CdtRead(out.value.bytes(), Value::List(record::EncodeList(items)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*record::DecodeList(r->bytes()), std::vector<Value>{Value::Integer(1)});
}

TEST(TypedOperationTest, AbsentOptionalBeforePoliciesIsNil) {
  v1::Operation op;
  op.set_bin("l");
  op.mutable_list()->set_kind(v1::ListOperation::INCREMENT);
  *op.mutable_list()->add_args() = Int(0);
  op.mutable_list()->set_order(v1::LIST_ORDERED);
  EXPECT_EQ(Convert(op).value.bytes(), std::string("\x95\x0c\x00\xc0\x01\x00", 6));
}

TEST(TypedOperationTest, MapPutInContextCreatesTheLevel) {
  v1::Operation op;
  op.set_bin("m");
  v1::MapOperation* m = op.mutable_map();
  m->set_kind(v1::MapOperation::PUT);
  *m->add_args() = Str("k");
  *m->add_args() = Int(1);
  m->set_order(v1::MAP_KEY_ORDERED);
  v1::ContextStep* step = m->add_ctx();
  step->set_type(v1::ContextStep::MAP_KEY);
  *step->mutable_value() = Str("a");
  step->set_create(0x80);
  txn::Op out = Convert(op);
  EXPECT_EQ(out.type, txn::OpType::kCdtModify);
  EXPECT_EQ(out.value.bytes(), std::string("\x93\xcc\xff\x92\xcc\xa2\xa2\x03"
                                           "a\x95\x43\xa2\x03k\x01\x01\x00",
                                           17));

  Value bin;
  absl::StatusOr<Value> r = record::CdtModify(out.value.bytes(), &bin);
  ASSERT_TRUE(r.ok()) << r.status();
  auto outer = record::DecodeMap(bin.bytes());
  ASSERT_TRUE(outer.ok());
  ASSERT_EQ(outer->size(), 1u);
  EXPECT_EQ((*outer)[0].first, Value::String("a"));
  auto inner = record::DecodeMap((*outer)[0].second.bytes());
  ASSERT_TRUE(inner.ok());
  ASSERT_EQ(inner->size(), 1u);
  EXPECT_EQ((*inner)[0].second, Value::Integer(1));
}

TEST(TypedOperationTest, MapGetByKeyIsARead) {
  v1::Operation op;
  op.set_bin("m");
  op.mutable_map()->set_kind(v1::MapOperation::GET_BY_KEY);
  op.mutable_map()->set_return_type(v1::RETURN_VALUE);
  *op.mutable_map()->add_args() = Str("a");
  txn::Op out = Convert(op);
  EXPECT_EQ(out.type, txn::OpType::kCdtRead);
  EXPECT_EQ(out.value.bytes(), std::string("\x93\x61\x07\xa2\x03"
                                           "a",
                                           6));
}

TEST(TypedOperationTest, BitOperationsPackPolicyAndActionFlags) {
  v1::Operation set;
  set.set_bin("b");
  set.mutable_bit()->set_kind(v1::BitOperation::SET);
  *set.mutable_bit()->add_args() = Int(0);
  *set.mutable_bit()->add_args() = Int(4);
  *set.mutable_bit()->add_args() = Bytes("\xf0");
  txn::Op out = Convert(set);
  EXPECT_EQ(out.type, txn::OpType::kBitModify);
  EXPECT_EQ(out.value.bytes(), std::string("\x95\x03\x00\x04\xa2\x04\xf0\x00", 8));
  Value bin = Value::Blob(std::string("\x00", 1));
  ASSERT_TRUE(record::BitModify(out.value.bytes(), &bin).ok());
  EXPECT_EQ(bin.bytes(), "\xf0");

  v1::Operation add;
  add.set_bin("b");
  v1::BitOperation* b = add.mutable_bit();
  b->set_kind(v1::BitOperation::ADD);
  *b->add_args() = Int(0);
  *b->add_args() = Int(8);
  *b->add_args() = Int(1);
  b->set_is_signed(true);
  b->set_overflow(v1::BitOperation::OVERFLOW_SATURATE);
  EXPECT_EQ(Convert(add).value.bytes(), std::string("\x96\x0a\x00\x08\x01\x00\x03", 7));

  v1::Operation get;
  get.set_bin("b");
  get.mutable_bit()->set_kind(v1::BitOperation::GET_INT);
  *get.mutable_bit()->add_args() = Int(0);
  *get.mutable_bit()->add_args() = Int(4);
  get.mutable_bit()->set_is_signed(true);
  out = Convert(get);
  EXPECT_EQ(out.type, txn::OpType::kBitRead);
  absl::StatusOr<Value> r = record::BitRead(out.value.bytes(), bin);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Value::Integer(-1));  // 0b1111 signed
}

TEST(TypedOperationTest, HllAddLeavesBitCountsToTheServer) {
  v1::Operation op;
  op.set_bin("h");
  v1::HllOperation* h = op.mutable_hll();
  h->set_kind(v1::HllOperation::ADD);
  *h->add_args()->mutable_list_value()->add_items() = Str("a");
  txn::Op out = Convert(op);
  EXPECT_EQ(out.type, txn::OpType::kHllModify);
  EXPECT_EQ(out.value.bytes(), std::string("\x95\x01\x91\xa2\x03"
                                           "a\xff\xff\x00",
                                           9));

  *h->add_args() = Int(8);
  Value bin;
  absl::StatusOr<Value> added = record::HllModify(Convert(op).value.bytes(), &bin);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(*added, Value::Integer(1));

  v1::Operation count;
  count.set_bin("h");
  count.mutable_hll()->set_kind(v1::HllOperation::COUNT);
  out = Convert(count);
  EXPECT_EQ(out.type, txn::OpType::kHllRead);
  EXPECT_EQ(out.value.bytes(), "\x91\x32");
  absl::StatusOr<Value> n = record::HllRead(out.value.bytes(), bin);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, Value::Integer(1));
}

TEST(TypedOperationTest, ExpressionOpsWrapTheExpressionWithFlags) {
  const std::string exp("\x93\x51\x02\xa1x", 5);  // int bin "x"
  v1::Operation op;
  op.set_bin("out");
  op.mutable_exp()->set_kind(v1::ExpOperation::WRITE);
  op.mutable_exp()->set_expression(exp);
  op.mutable_exp()->set_flags(0x10);
  txn::Op out = Convert(op);
  EXPECT_EQ(out.type, txn::OpType::kExpModify);
  EXPECT_EQ(out.bin, "out");
  EXPECT_EQ(out.value.bytes(), "\x92" + exp + "\x10");

  op.mutable_exp()->set_kind(v1::ExpOperation::READ);
  EXPECT_EQ(Convert(op).type, txn::OpType::kExpRead);
}

// The packed expressions the Node client sends for gt(loopVarFloat(VALUE), float(3.0)) and
// mul(loopVarFloat(VALUE), float(2.0)).
const std::string kValueOver3("\x93\x03\x93\x7a\x07\x01\xcb\x40\x08\x00\x00\x00\x00\x00\x00", 15);
const std::string kValueTimes2("\x93\x16\x93\x7a\x07\x01\xcb\x40\x00\x00\x00\x00\x00\x00\x00", 15);

Value FloatMap() {
  return *record::ValueFromJson(nlohmann::json::parse(R"({"a":1.5,"b":3.25,"c":4.5})"));
}

TEST(TypedOperationTest, PathSelectPacksStepsAndFlagsAsTheNodeClient) {
  v1::Operation op;
  op.set_bin("prices");
  v1::PathOperation* p = op.mutable_path();
  p->set_kind(v1::PathOperation::SELECT);
  v1::ContextStep* key = p->add_path()->mutable_ctx();
  key->set_type(v1::ContextStep::MAP_KEY);
  *key->mutable_value() = Str("book");
  p->add_path()->set_all_children(true);
  p->add_path()->set_filter(kValueOver3);
  p->set_result(v1::PathOperation::MAP_KEY_VALUE);
  p->set_no_fail(true);
  txn::Op out = Convert(op);
  EXPECT_EQ(out.type, txn::OpType::kCdtRead);
  EXPECT_EQ(out.bin, "prices");
  // [0xfe, [0x22, "book", 4, true, 4, filter], 3 | 16]; strings carry their particle type.
  EXPECT_EQ(out.value.bytes(), std::string("\x93\xcc\xfe\x96\x22\xa5\x03"
                                           "book\x04\xc3\x04",
                                           14) +
                                   kValueOver3 + "\x13");
}

TEST(TypedOperationTest, PathSelectRunsOnTheRecordLayer) {
  v1::Operation op;
  op.set_bin("prices");
  op.mutable_path()->add_path()->set_filter(kValueOver3);
  op.mutable_path()->set_result(v1::PathOperation::MAP_KEY);
  absl::StatusOr<Value> keys = record::CdtRead(Convert(op).value.bytes(), FloatMap());
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(record::ValueToJson(*keys).dump(), R"(["b","c"])");
}

TEST(TypedOperationTest, PathApplyCarriesTheApplyFlagAndExpression) {
  v1::Operation op;
  op.set_bin("prices");
  v1::PathOperation* p = op.mutable_path();
  p->set_kind(v1::PathOperation::APPLY);
  p->add_path()->set_all_children(true);
  p->set_expression(kValueTimes2);
  txn::Op out = Convert(op);
  EXPECT_EQ(out.type, txn::OpType::kCdtModify);
  // [0xfe, [4, true], 4, expression]
  EXPECT_EQ(out.value.bytes(), std::string("\x94\xcc\xfe\x92\x04\xc3\x04", 7) + kValueTimes2);

  Value bin = FloatMap();
  absl::StatusOr<Value> r = record::CdtModify(out.value.bytes(), &bin);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(record::ValueToJson(bin).dump(), R"({"a":3.0,"b":6.5,"c":9.0})");

  p->set_no_fail(true);
  EXPECT_EQ(Convert(op).value.bytes()[6], '\x14');  // 4 | 16
}

TEST(TypedOperationTest, BadPathOperationsSayWhatIsWrong) {
  v1::Operation op;
  v1::PathOperation* p = op.mutable_path();
  EXPECT_EQ(Error(op), "path operation without a path");
  v1::PathStep* step = p->add_path();
  EXPECT_EQ(Error(op), "empty path step");
  step->set_all_children(false);
  EXPECT_EQ(Error(op), "path step all_children must be true");
  step->set_filter("\x93\x03");
  EXPECT_EQ(Error(op), "path step filter is not one packed expression");
  step->mutable_ctx()->set_type(v1::ContextStep::MAP_KEY);
  *step->mutable_ctx()->mutable_value() = Str("a");
  step->mutable_ctx()->set_create(0x40);
  EXPECT_EQ(Error(op), "a path step cannot create a level");
  step->mutable_ctx()->set_create(0);
  step->mutable_ctx()->set_type(v1::ContextStep::MAP_INDEX);
  EXPECT_EQ(Error(op), "context step MAP_INDEX needs an integer value");
  step->set_all_children(true);

  p->set_result(static_cast<v1::PathOperation::Result>(4));
  EXPECT_EQ(Error(op), "unknown path result 4");
  p->set_result(v1::PathOperation::VALUE);
  p->set_expression(kValueTimes2);
  EXPECT_EQ(Error(op), "path SELECT takes no expression");
  p->set_kind(v1::PathOperation::APPLY);
  EXPECT_EQ(Error(op), "path APPLY answers nothing: result must be left unset");
  p->set_result(v1::PathOperation::MATCHING_TREE);
  p->clear_expression();
  EXPECT_EQ(Error(op), "path APPLY without an expression");
  p->set_expression(kValueTimes2 + "\x01");
  EXPECT_EQ(Error(op), "path APPLY expression is not one packed expression");
  p->set_kind(static_cast<v1::PathOperation::Kind>(2));
  EXPECT_EQ(Error(op), "unknown path operation kind 2");
}

TEST(TypedOperationTest, EveryKindHasAWellFormedLayout) {
  for (const google::protobuf::EnumDescriptor* kinds :
       {v1::ListOperation::Kind_descriptor(), v1::MapOperation::Kind_descriptor(),
        v1::BitOperation::Kind_descriptor(), v1::HllOperation::Kind_descriptor()}) {
    for (int i = 0; i < kinds->value_count(); ++i) {
      const google::protobuf::EnumValueDescriptor* d = kinds->value(i);
      if (d->number() == 0 && d->name() == "KIND_UNSPECIFIED") continue;
      EXPECT_TRUE(v1::LayoutOf(d).has_value()) << d->full_name();
    }
  }
}

TEST(TypedOperationTest, BadOperationsSayWhatIsWrong) {
  v1::Operation none;
  EXPECT_NE(Error(none).find("without a typed operation"), std::string::npos);

  v1::Operation unknown;
  unknown.mutable_map();  // kind 0 is no map operation
  EXPECT_EQ(Error(unknown), "unknown map operation kind 0");
  unknown.mutable_list()->set_kind(static_cast<v1::ListOperation::Kind>(14));
  EXPECT_EQ(Error(unknown), "unknown list operation kind 14");

  v1::Operation count;
  count.mutable_list()->set_kind(v1::ListOperation::INSERT);
  *count.mutable_list()->add_args() = Int(0);
  EXPECT_EQ(Error(count), "list INSERT takes 2 arguments, got 1");
  count.mutable_list()->set_kind(v1::ListOperation::GET_RANGE);
  *count.mutable_list()->add_args() = Int(1);
  *count.mutable_list()->add_args() = Int(2);
  EXPECT_EQ(Error(count), "list GET_RANGE takes 1 to 2 arguments, got 3");

  v1::Operation type;
  type.mutable_bit()->set_kind(v1::BitOperation::SET);
  *type.mutable_bit()->add_args() = Int(0);
  *type.mutable_bit()->add_args() = Int(8);
  *type.mutable_bit()->add_args() = Str("not bytes");
  EXPECT_EQ(Error(type), "bit SET: value must be bytes");

  v1::Operation rt;
  rt.mutable_map()->set_kind(v1::MapOperation::GET_BY_KEY);
  rt.mutable_map()->set_return_type(static_cast<v1::ReturnType>(14));
  *rt.mutable_map()->add_args() = Str("a");
  EXPECT_EQ(Error(rt), "unknown return type 14");

  v1::Operation order;
  order.mutable_map()->set_kind(v1::MapOperation::SET_ORDER);
  order.mutable_map()->set_order(static_cast<v1::MapOrder>(2));
  EXPECT_EQ(Error(order), "unknown map order 2");

  v1::Operation ctx;
  ctx.mutable_list()->set_kind(v1::ListOperation::SIZE);
  v1::ContextStep* step = ctx.mutable_list()->add_ctx();
  EXPECT_EQ(Error(ctx), "unknown context step type 0");
  step->set_type(v1::ContextStep::LIST_INDEX);
  *step->mutable_value() = Str("a");
  EXPECT_EQ(Error(ctx), "context step LIST_INDEX needs an integer value");
  *step->mutable_value() = Int(0);
  step->set_create(0x41);
  EXPECT_NE(Error(ctx).find("context create"), std::string::npos);

  v1::Operation exp;
  exp.mutable_exp();
  EXPECT_EQ(Error(exp), "expression operation without an expression");
}

}  // namespace
}  // namespace tern::api
