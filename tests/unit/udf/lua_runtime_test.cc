#include "udf/lua_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/result_code.h"
#include "record/collection.h"

namespace tern::udf {
namespace {

using record::Value;

class LuaRuntimeTest : public ::testing::Test {
 protected:
  LuaRuntimeTest() {
    dir_ =
        (std::filesystem::temp_directory_path() / ("tern-udf-test-" + std::to_string(::getpid())))
            .string();
    std::filesystem::remove_all(dir_);
    store_ = std::move(*smd::MetadataStore::Open(dir_));
    modules_ = std::make_unique<ModuleRegistry>(*store_);
    runtime_ = std::make_unique<LuaRuntime>(*modules_, Limits{2'000'000, 8 << 20});
  }
  ~LuaRuntimeTest() override { std::filesystem::remove_all(dir_); }

  void Register(const std::string& file, const std::string& source) {
    CompileError e;
    ASSERT_TRUE(modules_->Put(file, source, &e).ok()) << e.message;
  }

  std::string dir_;
  std::unique_ptr<smd::MetadataStore> store_;
  std::unique_ptr<ModuleRegistry> modules_;
  std::unique_ptr<LuaRuntime> runtime_;
};

TEST_F(LuaRuntimeTest, CompileErrorsAreRefusedWithLineAndNothingIsStored) {
  CompileError e;
  absl::Status s = modules_->Put("bad.lua", "x = 1\ny = 2\nz = = 3\n", &e);
  EXPECT_EQ(base::ResultCodeOf(s), base::ResultCode::kUdfError);
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("bad.lua"), std::string::npos);
  EXPECT_FALSE(modules_->Get("bad.lua").has_value());
  EXPECT_FALSE(modules_->Put("noext", "x = 1", &e).ok());
  EXPECT_FALSE(modules_->Put(".lua", "x = 1", &e).ok());
}

TEST_F(LuaRuntimeTest, RecordApiReadsWritesAndDecides) {
  Register("m.lua", R"(
    function bump(rec, bin, by)
      rec[bin] = (rec[bin] or 0) + by
      if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end
      return rec[bin]
    end
    function meta(rec)
      return {record.gen(rec), record.numbins(rec), record.setname(rec), record.ttl(rec)}
    end
    function lists(rec)
      local l = list({1, 2})
      list.append(l, 'x')
      local m = map({a = 1})
      m['b'] = l
      return m
    end
    function drop(rec) aerospike:remove(rec) return 'gone' end
  )");
  RecordContext ctx;
  ctx.set_name = "demo";
  std::vector<Value> args = {Value::String("n"), Value::Integer(5)};
  auto r = runtime_->CallRecordUdf("m", "bump", args, ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Value::Integer(5));
  EXPECT_EQ(ctx.action, RecordContext::Action::kWrite);
  EXPECT_EQ(ctx.record.Find("n")->value, Value::Integer(5));

  ctx.generation = 4;
  r = runtime_->CallRecordUdf("m", "meta", {}, ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  auto items = record::DecodeList(r->bytes());
  ASSERT_TRUE(items.ok());
  EXPECT_EQ((*items)[0], Value::Integer(4));
  EXPECT_EQ((*items)[1], Value::Integer(1));
  EXPECT_EQ((*items)[2], Value::String("demo"));
  EXPECT_EQ((*items)[3], Value::Integer(-1));  // never expires

  r = runtime_->CallRecordUdf("m", "lists", {}, ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->type(), record::ParticleType::kMap);
  auto entries = record::DecodeMap(r->bytes());
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 2u);

  r = runtime_->CallRecordUdf("m", "drop", {}, ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ctx.action, RecordContext::Action::kRemove);
}

TEST_F(LuaRuntimeTest, StreamUdfsMapFilterAggregateAndReduce) {
  Register("agg.lua", R"(
    function count(stream)
      return stream : map(function(rec) return 1 end) : reduce(function(a, b) return a + b end)
    end
    function even(stream)
      return stream : filter(function(rec) return rec.value % 2 == 0 end)
                    : map(function(rec) return rec.value end)
    end
    function histogram(stream, bucket)
      local function add(acc, rec)
        local k = rec.value // bucket
        acc[k] = (acc[k] or 0) + 1
        return acc
      end
      return stream : aggregate(map(), add)
    end
    function broken(stream) return 42 end
  )");
  auto run = [&](const char* fn, std::vector<Value> args, std::vector<Value>* out) {
    int64_t i = 0;
    return runtime_->Aggregate(
        "agg", fn, args,
        [&](RecordContext& ctx) {
          if (i == 10) return false;
          ctx.exists = true;
          ctx.record.Set("value", Value::Integer(i++));
          return true;
        },
        [&](Value v) { out->push_back(std::move(v)); });
  };
  std::vector<Value> out;
  ASSERT_TRUE(run("count", {}, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], Value::Integer(10));
  out.clear();
  ASSERT_TRUE(run("even", {}, &out).ok());
  EXPECT_EQ(out, (std::vector<Value>{Value::Integer(0), Value::Integer(2), Value::Integer(4),
                                     Value::Integer(6), Value::Integer(8)}));
  out.clear();
  ASSERT_TRUE(run("histogram", {Value::Integer(5)}, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  auto buckets = record::DecodeMap(out[0].bytes());
  ASSERT_TRUE(buckets.ok());
  EXPECT_EQ(buckets->size(), 2u);  // {0: 5, 1: 5}
  out.clear();
  absl::Status s = run("broken", {}, &out);
  EXPECT_EQ(base::ResultCodeOf(s), base::ResultCode::kUdfError);
  EXPECT_FALSE(run("nope", {}, &out).ok());
}

// A node runs the stages up to the first reduce; merging the nodes' values runs that reduce
// again and then the stages after it, once (as Aerospike's clients finish an aggregation).
TEST_F(LuaRuntimeTest, NodesReduceTheirRecordsAndTheMergeFinishesTheStream) {
  Register("fin.lua", R"(
    function total_doubled(stream)
      return stream : map(function(rec) return rec.value end)
                    : reduce(function(a, b) return a + b end)
                    : map(function(sum) return sum * 2 end)
    end
    function values(stream)
      return stream : map(function(rec) return rec.value end)
    end
  )");
  auto node = [&](const char* fn, int64_t from, int64_t to, std::vector<Value>* out) {
    int64_t i = from;
    return runtime_->Aggregate(
        "fin", fn, {},
        [&](RecordContext& ctx) {
          if (i == to) return false;
          ctx.exists = true;
          ctx.record.Set("value", Value::Integer(i++));
          return true;
        },
        [&](Value v) { out->push_back(std::move(v)); });
  };
  std::vector<Value> partials;
  ASSERT_TRUE(node("total_doubled", 0, 10, &partials).ok());   // 45, not yet doubled
  ASSERT_TRUE(node("total_doubled", 10, 20, &partials).ok());  // 145
  EXPECT_EQ(partials, (std::vector<Value>{Value::Integer(45), Value::Integer(145)}));
  std::vector<Value> merged;
  ASSERT_TRUE(runtime_
                  ->MergeAggregates("fin", "total_doubled", {}, partials,
                                    [&](Value v) { merged.push_back(std::move(v)); })
                  .ok());
  EXPECT_EQ(merged, (std::vector<Value>{Value::Integer(380)}));
  // Without a reduce the nodes' values pass through unchanged.
  partials.clear();
  ASSERT_TRUE(node("values", 0, 3, &partials).ok());
  merged.clear();
  ASSERT_TRUE(runtime_
                  ->MergeAggregates("fin", "values", {}, partials,
                                    [&](Value v) { merged.push_back(std::move(v)); })
                  .ok());
  EXPECT_EQ(merged, partials);
}

TEST_F(LuaRuntimeTest, RunawayLoopsEndAndTheRuntimeStaysUsable) {
  Register("loop.lua", "function spin(rec) while true do end end\nfunction ok(rec) return 7 end");
  RecordContext ctx;
  auto r = runtime_->CallRecordUdf("loop", "spin", {}, ctx);
  EXPECT_EQ(base::ResultCodeOf(r.status()), base::ResultCode::kUdfError);
  EXPECT_NE(std::string(r.status().message()).find("budget"), std::string::npos);
  r = runtime_->CallRecordUdf("loop", "ok", {}, ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, Value::Integer(7));
}

TEST_F(LuaRuntimeTest, SandboxHasNoIoOsExecuteOrFileLoading) {
  Register("evil.lua", R"(
    function probe(rec)
      return {io == nil, os.execute == nil, load == nil, dofile == nil, loadfile == nil,
              os.getenv == nil, type(debug) == 'function', package == nil,
              type(os.time()) == 'number'}  -- debug is Aerospike's logger, not the library
    end
    function hog(rec) local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) end end
    function fail(rec) error('custom failure') end
  )");
  RecordContext ctx;
  auto r = runtime_->CallRecordUdf("evil", "probe", {}, ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  auto items = record::DecodeList(r->bytes());
  ASSERT_TRUE(items.ok());
  for (size_t i = 0; i < items->size(); ++i)
    EXPECT_EQ((*items)[i], Value::Bool(true)) << "probe " << i;
  r = runtime_->CallRecordUdf("evil", "hog", {}, ctx);  // hits the memory cap or the budget
  EXPECT_EQ(base::ResultCodeOf(r.status()), base::ResultCode::kUdfError);
  r = runtime_->CallRecordUdf("evil", "fail", {}, ctx);
  EXPECT_NE(std::string(r.status().message()).find("custom failure"), std::string::npos);
  r = runtime_->CallRecordUdf("evil", "nope", {}, ctx);
  EXPECT_EQ(base::ResultCodeOf(r.status()), base::ResultCode::kUdfError);
  r = runtime_->CallRecordUdf("absent", "f", {}, ctx);
  EXPECT_EQ(base::ResultCodeOf(r.status()), base::ResultCode::kUdfError);
}

TEST_F(LuaRuntimeTest, ModuleChangesReloadStatesAndRequireFindsModules) {
  Register("a.lua", "function v(rec) return 1 end");
  RecordContext ctx;
  EXPECT_EQ(*runtime_->CallRecordUdf("a", "v", {}, ctx), Value::Integer(1));
  Register("a.lua", "function v(rec) return 2 end");
  EXPECT_EQ(*runtime_->CallRecordUdf("a", "v", {}, ctx), Value::Integer(2));
  Register("b.lua", "local a = require('a')\nfunction w(rec) return a.v(rec) + 10 end");
  EXPECT_EQ(*runtime_->CallRecordUdf("b", "w", {}, ctx), Value::Integer(12));
  ASSERT_TRUE(modules_->Remove("a.lua").ok());
  EXPECT_FALSE(runtime_->CallRecordUdf("a", "v", {}, ctx).ok());
}

}  // namespace
}  // namespace tern::udf
