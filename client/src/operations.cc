#include "tern/operations.h"

#include <memory>
#include <utility>

#include "convert.h"

namespace tern {

namespace {

using client_internal::ValueToProto;

v1::ContextStep Step(v1::ContextStep::Type type, const Value& value, uint32_t create = 0) {
  v1::ContextStep s;
  s.set_type(type);
  ValueToProto(value, s.mutable_value());
  s.set_create(create);
  return s;
}

template <typename Message>
void AddArgs(const std::vector<Value>& args, Message* m) {
  for (const Value& a : args) ValueToProto(a, m->add_args());
}

Operation Typed(std::string bin, v1::Operation typed) {
  Operation op;
  op.bin = std::move(bin);
  op.typed = std::make_shared<const v1::Operation>(std::move(typed));
  return op;
}

// Only a count that is given is sent: without one, a range runs to the end.
std::vector<Value> WithCount(Value first, std::optional<int64_t> count) {
  std::vector<Value> args{std::move(first)};
  if (count) args.emplace_back(*count);
  return args;
}

}  // namespace

v1::ContextStep CtxListIndex(int64_t index, uint32_t create) {
  return Step(v1::ContextStep::LIST_INDEX, Value(index), create);
}
v1::ContextStep CtxListRank(int64_t rank) { return Step(v1::ContextStep::LIST_RANK, Value(rank)); }
v1::ContextStep CtxListValue(const Value& value) {
  return Step(v1::ContextStep::LIST_VALUE, value);
}
v1::ContextStep CtxMapIndex(int64_t index) {
  return Step(v1::ContextStep::MAP_INDEX, Value(index));
}
v1::ContextStep CtxMapRank(int64_t rank) { return Step(v1::ContextStep::MAP_RANK, Value(rank)); }
v1::ContextStep CtxMapKey(const Value& key, uint32_t create) {
  return Step(v1::ContextStep::MAP_KEY, key, create);
}
v1::ContextStep CtxMapValue(const Value& value) { return Step(v1::ContextStep::MAP_VALUE, value); }

Operation ListOp(std::string bin, ListKind kind, std::vector<Value> args, ListOptions o) {
  v1::Operation t;
  v1::ListOperation* l = t.mutable_list();
  l->set_kind(kind);
  AddArgs(args, l);
  l->set_return_type(o.return_type);
  l->set_inverted(o.inverted);
  l->set_order(o.order);
  l->set_write_flags(o.write_flags);
  l->set_sort_flags(o.sort_flags);
  for (v1::ContextStep& s : o.ctx) *l->add_ctx() = std::move(s);
  return Typed(std::move(bin), std::move(t));
}

Operation MapOp(std::string bin, MapKind kind, std::vector<Value> args, MapOptions o) {
  v1::Operation t;
  v1::MapOperation* m = t.mutable_map();
  m->set_kind(kind);
  AddArgs(args, m);
  m->set_return_type(o.return_type);
  m->set_inverted(o.inverted);
  m->set_order(o.order);
  m->set_write_flags(o.write_flags);
  for (v1::ContextStep& s : o.ctx) *m->add_ctx() = std::move(s);
  return Typed(std::move(bin), std::move(t));
}

Operation BitOp(std::string bin, BitKind kind, std::vector<Value> args, BitOptions o) {
  v1::Operation t;
  v1::BitOperation* b = t.mutable_bit();
  b->set_kind(kind);
  AddArgs(args, b);
  b->set_write_flags(o.write_flags);
  b->set_resize_flags(o.resize_flags);
  b->set_is_signed(o.is_signed);
  b->set_overflow(o.overflow);
  return Typed(std::move(bin), std::move(t));
}

Operation HllOp(std::string bin, HllKind kind, std::vector<Value> args, uint32_t write_flags) {
  v1::Operation t;
  v1::HllOperation* h = t.mutable_hll();
  h->set_kind(kind);
  AddArgs(args, h);
  h->set_write_flags(write_flags);
  return Typed(std::move(bin), std::move(t));
}

namespace {

Operation Exp(std::string bin, v1::ExpOperation::Kind kind, std::string expression,
              uint32_t flags) {
  v1::Operation t;
  t.mutable_exp()->set_kind(kind);
  t.mutable_exp()->set_expression(std::move(expression));
  t.mutable_exp()->set_flags(flags);
  return Typed(std::move(bin), std::move(t));
}

ListOptions Returning(ReturnType rt, Ctx ctx) {
  ListOptions o;
  o.return_type = rt;
  o.ctx = std::move(ctx);
  return o;
}

MapOptions MapReturning(ReturnType rt, Ctx ctx) {
  MapOptions o;
  o.return_type = rt;
  o.ctx = std::move(ctx);
  return o;
}

}  // namespace

v1::PathStep PathStep(v1::ContextStep step) {
  v1::PathStep s;
  *s.mutable_ctx() = std::move(step);
  return s;
}
v1::PathStep PathAllChildren() {
  v1::PathStep s;
  s.set_all_children(true);
  return s;
}
v1::PathStep PathFilter(std::string packed_exp) {
  v1::PathStep s;
  s.set_filter(std::move(packed_exp));
  return s;
}

Operation PathSelect(std::string bin, Path path, PathResult result, bool no_fail) {
  v1::Operation t;
  v1::PathOperation* p = t.mutable_path();
  p->set_kind(v1::PathOperation::SELECT);
  for (v1::PathStep& s : path) *p->add_path() = std::move(s);
  p->set_result(result);
  p->set_no_fail(no_fail);
  return Typed(std::move(bin), std::move(t));
}

Operation PathApply(std::string bin, Path path, std::string packed_exp, bool no_fail) {
  v1::Operation t;
  v1::PathOperation* p = t.mutable_path();
  p->set_kind(v1::PathOperation::APPLY);
  for (v1::PathStep& s : path) *p->add_path() = std::move(s);
  p->set_expression(std::move(packed_exp));
  p->set_no_fail(no_fail);
  return Typed(std::move(bin), std::move(t));
}

Operation ExpRead(std::string bin, std::string expression, uint32_t flags) {
  return Exp(std::move(bin), v1::ExpOperation::READ, std::move(expression), flags);
}
Operation ExpWrite(std::string bin, std::string expression, uint32_t flags) {
  return Exp(std::move(bin), v1::ExpOperation::WRITE, std::move(expression), flags);
}

Operation ListAppend(std::string bin, Value value, ListOptions o) {
  return ListOp(std::move(bin), v1::ListOperation::APPEND, {std::move(value)}, std::move(o));
}
Operation ListAppendItems(std::string bin, std::vector<Value> items, ListOptions o) {
  return ListOp(std::move(bin), v1::ListOperation::APPEND_ITEMS, {List{std::move(items)}},
                std::move(o));
}
Operation ListInsert(std::string bin, int64_t index, Value value, ListOptions o) {
  return ListOp(std::move(bin), v1::ListOperation::INSERT, {index, std::move(value)}, std::move(o));
}
Operation ListSize(std::string bin, Ctx ctx) {
  return ListOp(std::move(bin), v1::ListOperation::SIZE, {},
                Returning(v1::RETURN_NONE, std::move(ctx)));
}
Operation ListGetByIndex(std::string bin, int64_t index, ReturnType rt, Ctx ctx) {
  return ListOp(std::move(bin), v1::ListOperation::GET_BY_INDEX, {index},
                Returning(rt, std::move(ctx)));
}
Operation ListGetByIndexRange(std::string bin, int64_t index, std::optional<int64_t> count,
                              ReturnType rt, Ctx ctx) {
  return ListOp(std::move(bin), v1::ListOperation::GET_BY_INDEX_RANGE, WithCount(index, count),
                Returning(rt, std::move(ctx)));
}
Operation ListGetByValue(std::string bin, Value value, ReturnType rt, Ctx ctx) {
  return ListOp(std::move(bin), v1::ListOperation::GET_BY_VALUE, {std::move(value)},
                Returning(rt, std::move(ctx)));
}
Operation ListRemoveByValue(std::string bin, Value value, ReturnType rt, Ctx ctx) {
  return ListOp(std::move(bin), v1::ListOperation::REMOVE_BY_VALUE, {std::move(value)},
                Returning(rt, std::move(ctx)));
}
Operation ListIncrement(std::string bin, int64_t index, Value by, ListOptions o) {
  return ListOp(std::move(bin), v1::ListOperation::INCREMENT, {index, std::move(by)}, std::move(o));
}
Operation ListSort(std::string bin, uint32_t sort_flags, Ctx ctx) {
  ListOptions o = Returning(v1::RETURN_NONE, std::move(ctx));
  o.sort_flags = sort_flags;
  return ListOp(std::move(bin), v1::ListOperation::SORT, {}, std::move(o));
}

Operation MapPut(std::string bin, Value key, Value value, MapOptions o) {
  return MapOp(std::move(bin), v1::MapOperation::PUT, {std::move(key), std::move(value)},
               std::move(o));
}
Operation MapPutItems(std::string bin, Map items, MapOptions o) {
  return MapOp(std::move(bin), v1::MapOperation::PUT_ITEMS, {std::move(items)}, std::move(o));
}
Operation MapIncrement(std::string bin, Value key, Value by, MapOptions o) {
  return MapOp(std::move(bin), v1::MapOperation::INCREMENT, {std::move(key), std::move(by)},
               std::move(o));
}
Operation MapSize(std::string bin, Ctx ctx) {
  return MapOp(std::move(bin), v1::MapOperation::SIZE, {},
               MapReturning(v1::RETURN_NONE, std::move(ctx)));
}
Operation MapGetByKey(std::string bin, Value key, ReturnType rt, Ctx ctx) {
  return MapOp(std::move(bin), v1::MapOperation::GET_BY_KEY, {std::move(key)},
               MapReturning(rt, std::move(ctx)));
}
Operation MapGetByKeyRange(std::string bin, Value begin, Value end, ReturnType rt, Ctx ctx) {
  return MapOp(std::move(bin), v1::MapOperation::GET_BY_KEY_INTERVAL,
               {std::move(begin), std::move(end)}, MapReturning(rt, std::move(ctx)));
}
Operation MapGetByRankRange(std::string bin, int64_t rank, std::optional<int64_t> count,
                            ReturnType rt, Ctx ctx) {
  return MapOp(std::move(bin), v1::MapOperation::GET_BY_RANK_RANGE, WithCount(rank, count),
               MapReturning(rt, std::move(ctx)));
}
Operation MapRemoveByKey(std::string bin, Value key, ReturnType rt, Ctx ctx) {
  return MapOp(std::move(bin), v1::MapOperation::REMOVE_BY_KEY, {std::move(key)},
               MapReturning(rt, std::move(ctx)));
}

Operation BitResize(std::string bin, int64_t byte_size, BitOptions o) {
  return BitOp(std::move(bin), v1::BitOperation::RESIZE, {byte_size}, o);
}
Operation BitSet(std::string bin, int64_t bit_offset, int64_t bit_size, std::string bytes,
                 BitOptions o) {
  return BitOp(std::move(bin), v1::BitOperation::SET,
               {bit_offset, bit_size, Bytes{std::move(bytes)}}, o);
}
Operation BitAdd(std::string bin, int64_t bit_offset, int64_t bit_size, int64_t value,
                 BitOptions o) {
  return BitOp(std::move(bin), v1::BitOperation::ADD, {bit_offset, bit_size, value}, o);
}
Operation BitGet(std::string bin, int64_t bit_offset, int64_t bit_size) {
  return BitOp(std::move(bin), v1::BitOperation::GET, {bit_offset, bit_size});
}
Operation BitCount(std::string bin, int64_t bit_offset, int64_t bit_size) {
  return BitOp(std::move(bin), v1::BitOperation::COUNT, {bit_offset, bit_size});
}
Operation BitGetInt(std::string bin, int64_t bit_offset, int64_t bit_size, bool is_signed) {
  BitOptions o;
  o.is_signed = is_signed;
  return BitOp(std::move(bin), v1::BitOperation::GET_INT, {bit_offset, bit_size}, o);
}

Operation HllInit(std::string bin, int64_t index_bits, std::optional<int64_t> minhash_bits,
                  uint32_t write_flags) {
  std::vector<Value> args{index_bits};
  if (minhash_bits) args.emplace_back(*minhash_bits);
  return HllOp(std::move(bin), v1::HllOperation::INIT, std::move(args), write_flags);
}
Operation HllAdd(std::string bin, std::vector<Value> values, std::optional<int64_t> index_bits,
                 uint32_t write_flags) {
  std::vector<Value> args{List{std::move(values)}};
  if (index_bits) args.emplace_back(*index_bits);
  return HllOp(std::move(bin), v1::HllOperation::ADD, std::move(args), write_flags);
}
Operation HllGetCount(std::string bin) {
  return HllOp(std::move(bin), v1::HllOperation::COUNT, {});
}
Operation HllGetUnion(std::string bin, std::vector<Value> hlls) {
  return HllOp(std::move(bin), v1::HllOperation::GET_UNION, {List{std::move(hlls)}});
}
Operation HllDescribe(std::string bin) {
  return HllOp(std::move(bin), v1::HllOperation::DESCRIBE, {});
}

}  // namespace tern
