// Builders for typed operations (lists, maps, bits, HyperLogLogs, expressions, paths) to pass to
// Client::Operate / OperateAsync with the simple ones of tern/record.h. The kinds, return types
// and orders are kv.proto's own enums; docs/grpc.md lists each kind's arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tern/record.h"
#include "tern/v1/kv.pb.h"
#include "tern/value.h"

namespace tern {

using ListKind = v1::ListOperation::Kind;
using MapKind = v1::MapOperation::Kind;
using BitKind = v1::BitOperation::Kind;
using HllKind = v1::HllOperation::Kind;
using ReturnType = v1::ReturnType;
// The path to a nested list or map, outermost step first.
using Ctx = std::vector<v1::ContextStep>;

// Context steps. `create` (last step only) makes the level when missing: 0x40 / 0x80 / 0xc0 as
// in kv.proto's ContextStep.
v1::ContextStep CtxListIndex(int64_t index, uint32_t create = 0);
v1::ContextStep CtxListRank(int64_t rank);
v1::ContextStep CtxListValue(const Value& value);
v1::ContextStep CtxMapIndex(int64_t index);
v1::ContextStep CtxMapRank(int64_t rank);
v1::ContextStep CtxMapKey(const Value& key, uint32_t create = 0);
v1::ContextStep CtxMapValue(const Value& value);

struct ListOptions {
  ReturnType return_type = v1::RETURN_NONE;
  bool inverted = false;
  v1::ListOrder order = v1::LIST_UNORDERED;
  uint32_t write_flags = 0;  // 0x01 add-unique, 0x02 insert-bounded, 0x04 no-fail, 0x08 partial
  uint32_t sort_flags = 0;   // 0x01 descending, 0x02 drop duplicates
  Ctx ctx;
};

struct MapOptions {
  ReturnType return_type = v1::RETURN_NONE;
  bool inverted = false;
  v1::MapOrder order = v1::MAP_UNORDERED;
  uint32_t write_flags = 0;  // 0x01 create-only, 0x02 update-only, 0x04 no-fail, 0x08 partial
  Ctx ctx;
};

struct BitOptions {
  uint32_t write_flags = 0;   // 0x01 create-only, 0x02 update-only, 0x04 no-fail, 0x08 partial
  uint32_t resize_flags = 0;  // 0x01 from the front, 0x02 grow only, 0x04 shrink only
  bool is_signed = false;
  v1::BitOperation::Overflow overflow = v1::BitOperation::OVERFLOW_FAIL;
};

// Any kind, with `args` in the order of its layout in kv.proto.
Operation ListOp(std::string bin, ListKind kind, std::vector<Value> args, ListOptions o = {});
Operation MapOp(std::string bin, MapKind kind, std::vector<Value> args, MapOptions o = {});
Operation BitOp(std::string bin, BitKind kind, std::vector<Value> args, BitOptions o = {});
// write_flags: 0x01 create-only, 0x02 update-only, 0x04 no-fail, 0x08 allow-fold.
Operation HllOp(std::string bin, HllKind kind, std::vector<Value> args, uint32_t write_flags = 0);
// `expression` packed as the Aerospike clients pack it (docs/expressions.md).
Operation ExpRead(std::string bin, std::string expression, uint32_t flags = 0);
Operation ExpWrite(std::string bin, std::string expression, uint32_t flags = 0);

// Path operations (docs/collections.md): the steps from the bin down to the elements a select
// answers or an apply replaces, outermost first.
using PathResult = v1::PathOperation::Result;
using Path = std::vector<v1::PathStep>;
v1::PathStep PathStep(v1::ContextStep step);  // one element, as in a context (no create)
v1::PathStep PathAllChildren();
v1::PathStep PathFilter(std::string packed_exp);  // the children the boolean expression accepts
// no_fail skips what a step cannot descend into (an apply also keeps elements whose new value is
// unknown).
Operation PathSelect(std::string bin, Path path, PathResult result, bool no_fail = false);
// Replaces every selected element by `packed_exp`'s value (removes it on remove_result).
Operation PathApply(std::string bin, Path path, std::string packed_exp, bool no_fail = false);

// Shorthands for the everyday kinds.
Operation ListAppend(std::string bin, Value value, ListOptions o = {});
Operation ListAppendItems(std::string bin, std::vector<Value> items, ListOptions o = {});
Operation ListInsert(std::string bin, int64_t index, Value value, ListOptions o = {});
Operation ListSize(std::string bin, Ctx ctx = {});
Operation ListGetByIndex(std::string bin, int64_t index, ReturnType rt, Ctx ctx = {});
Operation ListGetByIndexRange(std::string bin, int64_t index, std::optional<int64_t> count,
                              ReturnType rt, Ctx ctx = {});
Operation ListGetByValue(std::string bin, Value value, ReturnType rt, Ctx ctx = {});
Operation ListRemoveByValue(std::string bin, Value value, ReturnType rt, Ctx ctx = {});
Operation ListIncrement(std::string bin, int64_t index, Value by, ListOptions o = {});
Operation ListSort(std::string bin, uint32_t sort_flags = 0, Ctx ctx = {});

Operation MapPut(std::string bin, Value key, Value value, MapOptions o = {});
Operation MapPutItems(std::string bin, Map items, MapOptions o = {});
Operation MapIncrement(std::string bin, Value key, Value by, MapOptions o = {});
Operation MapSize(std::string bin, Ctx ctx = {});
Operation MapGetByKey(std::string bin, Value key, ReturnType rt, Ctx ctx = {});
Operation MapGetByKeyRange(std::string bin, Value begin, Value end, ReturnType rt, Ctx ctx = {});
Operation MapGetByRankRange(std::string bin, int64_t rank, std::optional<int64_t> count,
                            ReturnType rt, Ctx ctx = {});
Operation MapRemoveByKey(std::string bin, Value key, ReturnType rt, Ctx ctx = {});

Operation BitResize(std::string bin, int64_t byte_size, BitOptions o = {});
Operation BitSet(std::string bin, int64_t bit_offset, int64_t bit_size, std::string bytes,
                 BitOptions o = {});
Operation BitAdd(std::string bin, int64_t bit_offset, int64_t bit_size, int64_t value,
                 BitOptions o = {});
Operation BitGet(std::string bin, int64_t bit_offset, int64_t bit_size);
Operation BitCount(std::string bin, int64_t bit_offset, int64_t bit_size);
Operation BitGetInt(std::string bin, int64_t bit_offset, int64_t bit_size, bool is_signed = false);

// index_bits / minhash_bits: nullopt = the existing sketch's (or, minhash only, none).
Operation HllInit(std::string bin, int64_t index_bits, std::optional<int64_t> minhash_bits = {},
                  uint32_t write_flags = 0);
Operation HllAdd(std::string bin, std::vector<Value> values, std::optional<int64_t> index_bits = {},
                 uint32_t write_flags = 0);
Operation HllGetCount(std::string bin);
Operation HllGetUnion(std::string bin, std::vector<Value> hlls);
Operation HllDescribe(std::string bin);

}  // namespace tern
