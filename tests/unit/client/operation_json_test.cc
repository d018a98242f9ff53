// `tern operate` JSON → libternclient operations: named arguments land in their layout
// positions, policies and contexts map to kv.proto's fields, simple ops stay simple, and bad
// input is an error that names the operation.
#include "operation_json.h"

#include <gtest/gtest.h>

#include "tern/v1/kv.pb.h"

namespace tern::cli {
namespace {

Operation One(const std::string& json) {
  Result<std::vector<Operation>> ops = ParseOperations(json);
  EXPECT_TRUE(ops.ok()) << ops.status().message();
  if (!ops.ok() || ops->size() != 1) return Operation();
  return (*ops)[0];
}

TEST(OperationJsonTest, NamedArgumentsGoToLayoutPositions) {
  Operation op = One(R"({"op":"list_get_by_value_rel_rank_range","bin":"l","rank":-1,
                         "value":5,"return":"value","inverted":true})");
  ASSERT_TRUE(op.typed);
  EXPECT_EQ(op.bin, "l");
  const v1::ListOperation& l = op.typed->list();
  EXPECT_EQ(l.kind(), v1::ListOperation::GET_BY_VALUE_REL_RANK_RANGE);
  ASSERT_EQ(l.args_size(), 2);
  EXPECT_EQ(l.args(0).int_value(), 5);
  EXPECT_EQ(l.args(1).int_value(), -1);
  EXPECT_EQ(l.return_type(), v1::RETURN_VALUE);
  EXPECT_TRUE(l.inverted());
}

TEST(OperationJsonTest, PoliciesFlagsAndContexts) {
  Operation op = One(R"({"op":"map_put","bin":"m","key":"k","value":1,"order":"key_value_ordered",
                         "flags":["create_only","no_fail"],
                         "ctx":[{"list_index":-1},{"map_key":"a","create":"key_ordered"}]})");
  ASSERT_TRUE(op.typed);
  const v1::MapOperation& m = op.typed->map();
  EXPECT_EQ(m.kind(), v1::MapOperation::PUT);
  EXPECT_EQ(m.order(), v1::MAP_KEY_VALUE_ORDERED);
  EXPECT_EQ(m.write_flags(), 0x05u);
  ASSERT_EQ(m.ctx_size(), 2);
  EXPECT_EQ(m.ctx(0).type(), v1::ContextStep::LIST_INDEX);
  EXPECT_EQ(m.ctx(0).value().int_value(), -1);
  EXPECT_EQ(m.ctx(0).create(), 0u);
  EXPECT_EQ(m.ctx(1).type(), v1::ContextStep::MAP_KEY);
  EXPECT_EQ(m.ctx(1).value().string_value(), "a");
  EXPECT_EQ(m.ctx(1).create(), 0x80u);

  Operation bit = One(R"({"op":"bit_add","bin":"b","offset":0,"size":8,"value":1,
                          "signed":true,"overflow":"wrap","flags":9})");
  ASSERT_TRUE(bit.typed);
  EXPECT_EQ(bit.typed->bit().overflow(), v1::BitOperation::OVERFLOW_WRAP);
  EXPECT_TRUE(bit.typed->bit().is_signed());
  EXPECT_EQ(bit.typed->bit().write_flags(), 9u);

  Operation exp = One(R"({"op":"exp_write","bin":"x","exp":{"blob":"kxSTUQKheAo="},
                          "flags":["allow_delete"]})");
  ASSERT_TRUE(exp.typed);
  EXPECT_EQ(exp.typed->exp().kind(), v1::ExpOperation::WRITE);
  EXPECT_EQ(exp.typed->exp().expression(), std::string("\x93\x14\x93\x51\x02\xa1x\x0a", 8));
  EXPECT_EQ(exp.typed->exp().flags(), 4u);
}

TEST(OperationJsonTest, SimpleOperationsAndASingleObject) {
  Result<std::vector<Operation>> ops = ParseOperations(
      R"([{"op":"incr","bin":"n","value":2},{"op":"read"},{"op":"touch"},{"op":"delete"}])");
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  ASSERT_EQ(ops->size(), 4u);
  EXPECT_EQ((*ops)[0].type, Operation::Type::kIncr);
  EXPECT_EQ((*ops)[0].value, Value(2));
  EXPECT_FALSE((*ops)[0].typed);
  EXPECT_EQ((*ops)[1].type, Operation::Type::kRead);
  EXPECT_EQ((*ops)[1].bin, "");
  EXPECT_EQ((*ops)[3].type, Operation::Type::kDelete);

  Operation one = One(R"({"op":"hll_count","bin":"h"})");
  ASSERT_TRUE(one.typed);
  EXPECT_EQ(one.typed->hll().kind(), v1::HllOperation::COUNT);
}

TEST(OperationJsonTest, OptionalArgumentsMustBeGivenInOrder) {
  Result<std::vector<Operation>> skip =
      ParseOperations(R"({"op":"hll_add","bin":"h","values":["a"],"minhash_bits":4})");
  ASSERT_FALSE(skip.ok());
  EXPECT_EQ(skip.status().code(), result::kInvalidArgument);
  EXPECT_EQ(skip.status().message(),
            "operation 1 (hll_add): \"minhash_bits\" needs the arguments before it");

  Result<std::vector<Operation>> unknown = ParseOperations(R"({"op":"map_kind_unspecified"})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "operation 1 (map_kind_unspecified): unknown operation");

  Result<std::vector<Operation>> create =
      ParseOperations(R"({"op":"list_size","bin":"l","ctx":[{"list_rank":0,"create":"ordered"}]})");
  ASSERT_FALSE(create.ok());
  EXPECT_NE(create.status().message().find("\"create\" for list_index and map_key"),
            std::string::npos);
}

TEST(OperationJsonTest, PathSelectAndApply) {
  Operation select = One(R"({"op":"path_select","bin":"shop","return":"map_key_value",
                             "no_fail":true,"path":[{"map_key":"book"},{"all":true},
                             {"filter":{"blob":"kxSTUQKheAo="}},{"list_index":1}]})");
  ASSERT_TRUE(select.typed);
  EXPECT_EQ(select.bin, "shop");
  const v1::PathOperation& p = select.typed->path();
  EXPECT_EQ(p.kind(), v1::PathOperation::SELECT);
  EXPECT_EQ(p.result(), v1::PathOperation::MAP_KEY_VALUE);
  EXPECT_TRUE(p.no_fail());
  ASSERT_EQ(p.path_size(), 4);
  EXPECT_EQ(p.path(0).ctx().type(), v1::ContextStep::MAP_KEY);
  EXPECT_EQ(p.path(0).ctx().value().string_value(), "book");
  EXPECT_TRUE(p.path(1).all_children());
  EXPECT_EQ(p.path(2).filter(), std::string("\x93\x14\x93\x51\x02\xa1x\x0a", 8));
  EXPECT_EQ(p.path(3).ctx().type(), v1::ContextStep::LIST_INDEX);
  EXPECT_EQ(p.path(3).ctx().value().int_value(), 1);

  Operation apply = One(R"({"op":"path_apply","bin":"prices","path":[{"all":true}],
                            "exp":{"blob":"kxSTUQKheAo="}})");
  ASSERT_TRUE(apply.typed);
  EXPECT_EQ(apply.typed->path().kind(), v1::PathOperation::APPLY);
  EXPECT_EQ(apply.typed->path().expression(), std::string("\x93\x14\x93\x51\x02\xa1x\x0a", 8));
  EXPECT_FALSE(apply.typed->path().no_fail());
}

TEST(OperationJsonTest, BadPathOperationsSayWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"op":"path_select","bin":"b","return":"value"})", "missing \"path\""},
      {R"({"op":"path_select","bin":"b","return":"value","path":[]})",
       "\"path\" must be an array of steps"},
      {R"({"op":"path_select","bin":"b","path":[{"all":true}]})",
       "missing \"return\" (matching_tree, value, map_key or map_key_value)"},
      {R"({"op":"path_select","bin":"b","path":[{"all":true}],"return":"count"})",
       "unknown \"return\" \"count\""},
      {R"({"op":"path_select","bin":"b","path":[{"all":false}],"return":"value"})",
       "path step \"all\" must be true"},
      {R"({"op":"path_select","bin":"b","path":[{"filter":"kxSTUQKheAo="}],"return":"value"})",
       "path step \"filter\" must be {\"blob\": \"<base64>\"}"},
      {R"({"op":"path_select","bin":"b","path":[{"map_index":"a"}],"return":"value"})",
       "path map_index must be an integer"},
      {R"({"op":"path_select","bin":"b","path":[{"map_key":"a","create":"unordered"}],
           "return":"value"})",
       "a path step is an object with one of all (true), filter ({\"blob\": \"<base64>\"} of a "
       "packed expression), list_index, list_rank, list_value, map_index, map_rank, map_key, "
       "map_value"},
      {R"({"op":"path_apply","bin":"b","path":[{"all":true}]})",
       "missing \"exp\" ({\"blob\": \"<base64>\"} of the packed expression)"},
      {R"({"op":"path_apply","bin":"b","path":[{"all":true}],"exp":{"blob":"kxSTUQKheAo="},
           "return":"value"})",
       "unknown field \"return\""},
  };
  for (const auto& [json, message] : cases) {
    Result<std::vector<Operation>> ops = ParseOperations(json);
    ASSERT_FALSE(ops.ok()) << json;
    EXPECT_EQ(ops.status().code(), result::kInvalidArgument);
    const std::string op =
        json.find("path_apply") != std::string::npos ? "path_apply" : "path_select";
    EXPECT_EQ(ops.status().message(), "operation 1 (" + op + "): " + message) << json;
  }
}

}  // namespace
}  // namespace tern::cli
