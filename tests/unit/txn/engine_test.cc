#include "txn/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "base/clock.h"
#include "base/digest.h"
#include "record/collection.h"
#include "record/expression.h"
#include "record/packed_element.h"

namespace tern::txn {
namespace {

using base::ResultCode;
using record::Value;

// One engine over a namespace of the storage kind under test, in a fresh directory.
class EngineTest : public ::testing::TestWithParam<base::StorageKind> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-engine-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    config_.node.data_dir = dir_.string();
    base::NamespaceConfig ns;
    ns.name = "test";
    ns.storage = GetParam();
    ns.sprigs_per_partition = 1;
    ns.nsup_period_sec = 0;  // tests sweep by hand
    ns.sets.push_back({"capped", std::nullopt, 2, false});
    config_.namespaces.push_back(ns);
    Open();
  }
  void TearDown() override {
    engine_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    engine_.reset();
    catalog_.reset();
    auto cat = ns::Catalog::Open(config_);
    ASSERT_TRUE(cat.ok()) << cat.status();
    catalog_ = std::move(*cat);
    engine_ = std::make_unique<Engine>(*catalog_, nullptr);
  }
  ns::Namespace& Ns() { return *catalog_->Find("test"); }

  static Request Base(Command c, std::string_view set, std::string_view key) {
    Request r;
    r.command = c;
    r.ns = "test";
    r.set = std::string(set);
    r.digest = base::ComputeStringKeyDigest(set, key);
    return r;
  }
  Response Put(std::string_view key, std::vector<std::pair<std::string, Value>> bins,
               std::string_view set = "demo", ExistsAction action = ExistsAction::kUpdate) {
    Request r = Base(Command::kWrite, set, key);
    r.exists_action = action;
    for (auto& [n, v] : bins) r.ops.push_back(Op{OpType::kWrite, n, v});
    return engine_->Execute(r);
  }
  Response Get(std::string_view key, std::string_view set = "demo") {
    Request r = Base(Command::kRead, set, key);
    r.read_all_bins = true;
    return engine_->Execute(r);
  }
  static const Value* BinOf(const Response& r, std::string_view name) {
    for (const auto& b : r.bins) {
      if (b.name == name) return &b.value;
    }
    return nullptr;
  }

  std::filesystem::path dir_;
  base::Config config_;
  std::unique_ptr<ns::Catalog> catalog_;
  std::unique_ptr<Engine> engine_;
};

TEST_P(EngineTest, EveryValueTypeRoundTrips) {
  std::vector<Value> items = {Value::Integer(1), Value::String("a")};
  std::string list = record::EncodeList(items);
  std::vector<std::pair<Value, Value>> entries = {{Value::String("k"), Value::Integer(7)}};
  std::string map = record::EncodeMap(entries);
  std::vector<std::pair<std::string, Value>> bins = {
      {"i", Value::Integer(-42)},
      {"d", Value::Double(2.5)},
      {"s", Value::String("hello")},
      {"b", Value::Blob(std::string("\0\1\2", 3))},
      {"t", Value::Bool(true)},
      {"l", Value::List(list)},
      {"m", Value::Map(map)},
      {"g", Value::GeoJson(R"({"type":"Point","coordinates":[1,2]})")},
  };
  Response w = Put("k1", bins);
  ASSERT_EQ(w.result, ResultCode::kOk) << w.message;
  EXPECT_EQ(w.generation, 1);
  Response r = Get("k1");
  ASSERT_EQ(r.result, ResultCode::kOk);
  ASSERT_EQ(r.bins.size(), bins.size());
  for (const auto& [name, value] : bins) {
    const Value* got = BinOf(r, name);
    ASSERT_NE(got, nullptr) << name;
    EXPECT_EQ(*got, value) << name;
  }
  auto decoded = record::DecodeList(BinOf(r, "l")->bytes());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ((*decoded)[1], Value::String("a"));
}

TEST_P(EngineTest, ExistsActions) {
  EXPECT_EQ(Put("a", {{"x", Value::Integer(1)}}, "demo", ExistsAction::kUpdateOnly).result,
            ResultCode::kRecordNotFound);
  EXPECT_EQ(Put("a", {{"x", Value::Integer(1)}}, "demo", ExistsAction::kReplaceOnly).result,
            ResultCode::kRecordNotFound);
  EXPECT_EQ(Put("a", {{"x", Value::Integer(1)}}, "demo", ExistsAction::kCreateOnly).result,
            ResultCode::kOk);
  EXPECT_EQ(Put("a", {{"x", Value::Integer(2)}}, "demo", ExistsAction::kCreateOnly).result,
            ResultCode::kRecordExists);
  // update merges bins
  EXPECT_EQ(Put("a", {{"y", Value::Integer(3)}}, "demo", ExistsAction::kUpdateOnly).result,
            ResultCode::kOk);
  Response r = Get("a");
  EXPECT_EQ(r.bins.size(), 2u);
  EXPECT_EQ(r.generation, 2);
  // replace drops the bins it does not name
  EXPECT_EQ(Put("a", {{"z", Value::Integer(4)}}, "demo", ExistsAction::kReplaceOnly).result,
            ResultCode::kOk);
  r = Get("a");
  ASSERT_EQ(r.bins.size(), 1u);
  EXPECT_EQ(r.bins[0].name, "z");
  EXPECT_EQ(r.generation, 3);
  EXPECT_EQ(Put("a", {{"w", Value::Integer(5)}}, "demo", ExistsAction::kReplace).result,
            ResultCode::kOk);
  EXPECT_EQ(Get("a").bins.size(), 1u);
}

TEST_P(EngineTest, GenerationPolicies) {
  Request r = Base(Command::kWrite, "demo", "g");
  r.ops.push_back(Op{OpType::kWrite, "x", Value::Integer(2)});
  r.generation_policy = GenerationPolicy::kEqual;
  r.generation = 1;  // a missing record has generation 0
  EXPECT_EQ(engine_->Execute(r).result, ResultCode::kGenerationError);
  ASSERT_EQ(Put("g", {{"x", Value::Integer(1)}}).result, ResultCode::kOk);
  r.generation = 5;
  EXPECT_EQ(engine_->Execute(r).result, ResultCode::kGenerationError);
  r.generation = 1;
  EXPECT_EQ(engine_->Execute(r).generation, 2);
  r.generation_policy = GenerationPolicy::kGreater;
  r.generation = 2;
  EXPECT_EQ(engine_->Execute(r).result, ResultCode::kGenerationError);
  r.generation = 3;
  EXPECT_EQ(engine_->Execute(r).result, ResultCode::kOk);
  Request d = Base(Command::kDelete, "demo", "g");
  d.generation_policy = GenerationPolicy::kEqual;
  d.generation = 1;
  EXPECT_EQ(engine_->Execute(d).result, ResultCode::kGenerationError);
  d.generation = 3;
  EXPECT_EQ(engine_->Execute(d).result, ResultCode::kOk);
  EXPECT_EQ(Get("g").result, ResultCode::kRecordNotFound);
  EXPECT_EQ(engine_->Execute(d).result, ResultCode::kRecordNotFound);
}

TEST_P(EngineTest, TtlRules) {
  Ns().policy().nsup_period_sec = 60;
  Ns().policy().default_ttl = 100;
  const uint32_t now = base::NowEpochSeconds();
  Response r = Put("t", {{"x", Value::Integer(1)}});  // ttl 0: namespace default
  EXPECT_NEAR(r.void_time, now + 100, 2);
  Request w = Base(Command::kWrite, "demo", "t");
  w.ops.push_back(Op{OpType::kWrite, "x", Value::Integer(2)});
  w.ttl = kTtlKeep;
  EXPECT_NEAR(engine_->Execute(w).void_time, now + 100, 2);
  Request fresh = Base(Command::kWrite, "demo", "fresh");
  fresh.ops = w.ops;
  fresh.ttl = kTtlKeep;
  EXPECT_EQ(engine_->Execute(fresh).void_time, 0u);  // a new record kept at "never"
  w.ttl = 5000;
  EXPECT_NEAR(engine_->Execute(w).void_time, now + 5000, 2);
  w.ttl = kTtlNever;
  EXPECT_EQ(engine_->Execute(w).void_time, 0u);
  w.ttl = kMaxTtlSeconds + 1;
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kParameterError);
  // A set-level default overrides the namespace's.
  ASSERT_TRUE(Ns().SetPolicy("short", "default-ttl", "7").ok());
  EXPECT_NEAR(Put("t", {{"x", Value::Integer(1)}}, "short").void_time, now + 7, 2);
  // Without the sweeper a TTL is refused, as Aerospike does.
  Ns().policy().nsup_period_sec = 0;
  w.ttl = 10;
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kForbidden);
}

TEST_P(EngineTest, ExpiredRecordsVanishAtOnceAndAreSwept) {
  Ns().policy().nsup_period_sec = 60;
  Request w = Base(Command::kWrite, "demo", "e");
  w.ops.push_back(Op{OpType::kWrite, "x", Value::Integer(1)});
  w.ttl = 1;
  ASSERT_EQ(engine_->Execute(w).result, ResultCode::kOk);
  ASSERT_EQ(Put("keep", {{"x", Value::Integer(1)}}).result, ResultCode::kOk);
  EXPECT_EQ(Get("e").result, ResultCode::kOk);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(Get("e").result, ResultCode::kRecordNotFound);
  EXPECT_EQ(Ns().index().size(), 2u);  // invisible, not yet reclaimed
  ns::SweepResult s = Ns().Sweep();
  EXPECT_EQ(s.expired, 1u);
  EXPECT_EQ(Ns().index().size(), 1u);
  EXPECT_EQ(Get("keep").result, ResultCode::kOk);
  // A new write to an expired key starts over at generation 1.
  EXPECT_EQ(Put("e", {{"x", Value::Integer(1)}}).generation, 1);
}

TEST_P(EngineTest, ReadTouchResetsTtlNearEndOfLife) {
  Ns().policy().nsup_period_sec = 60;
  Request w = Base(Command::kWrite, "demo", "rt");
  w.ops = {Op{OpType::kWrite, "x", Value::Integer(1)}};
  w.ttl = 10;
  ASSERT_EQ(engine_->Execute(w).result, ResultCode::kOk);
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  Request r = Base(Command::kRead, "demo", "rt");
  r.read_all_bins = true;
  r.read_touch_ttl_pct = 60;  // 7 s left of 10: not within 60%
  const uint32_t before = engine_->Execute(r).void_time;
  EXPECT_EQ(engine_->Execute(r).void_time, before);
  r.read_touch_ttl_pct = 80;  // within 80%: this read answers the old TTL and touches
  EXPECT_EQ(engine_->Execute(r).void_time, before);
  Response after = engine_->Execute(r);
  EXPECT_NEAR(after.void_time, base::NowEpochSeconds() + 10, 1);
  EXPECT_EQ(after.generation, 2);
}

TEST_P(EngineTest, IncrementAppendPrependTouch) {
  Request w = Base(Command::kWrite, "demo", "n");
  w.ops = {Op{OpType::kIncr, "i", Value::Integer(5)}, Op{OpType::kIncr, "d", Value::Double(1.5)},
           Op{OpType::kAppend, "s", Value::String("mid")}};
  ASSERT_EQ(engine_->Execute(w).result, ResultCode::kOk);
  w.ops = {Op{OpType::kIncr, "i", Value::Integer(-7)},
           Op{OpType::kIncr, "d", Value::Double(1.0)},
           Op{OpType::kAppend, "s", Value::String(">")},
           Op{OpType::kPrepend, "s", Value::String("<")},
           Op{OpType::kRead, "i", {}},
           Op{OpType::kRead, "s", {}}};
  Response r = engine_->Execute(w);
  ASSERT_EQ(r.result, ResultCode::kOk);
  ASSERT_EQ(r.bins.size(), 2u);  // only the read ops answer
  EXPECT_EQ(r.bins[0].value, Value::Integer(-2));
  EXPECT_EQ(r.bins[1].value, Value::String("<mid>"));
  r = Get("n");
  EXPECT_EQ(*BinOf(r, "d"), Value::Double(2.5));

  w.ops = {Op{OpType::kIncr, "s", Value::Integer(1)}};
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kBinIncompatibleType);
  w.ops = {Op{OpType::kIncr, "i", Value::String("x")}};
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kParameterError);
  w.ops = {Op{OpType::kAppend, "i", Value::String("x")}};
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kBinIncompatibleType);
  EXPECT_EQ(*BinOf(Get("n"), "i"), Value::Integer(-2));  // failed ops changed nothing

  w.ops = {Op{OpType::kTouch, "", {}}};
  uint16_t before = Get("n").generation;
  EXPECT_EQ(engine_->Execute(w).generation, before + 1);
  Request missing = Base(Command::kWrite, "demo", "nope");
  missing.ops = {Op{OpType::kTouch, "", {}}};
  EXPECT_EQ(engine_->Execute(missing).result, ResultCode::kRecordNotFound);
}

TEST_P(EngineTest, RespondAllOpsAndOperateDelete) {
  ASSERT_EQ(Put("o", {{"a", Value::Integer(1)}, {"b", Value::Integer(2)}}).result, ResultCode::kOk);
  Request w = Base(Command::kWrite, "demo", "o");
  w.respond_all_ops = true;
  w.ops = {Op{OpType::kWrite, "a", Value::Integer(10)}, Op{OpType::kRead, "a", {}},
           Op{OpType::kRead, "missing", {}}};
  Response r = engine_->Execute(w);
  ASSERT_EQ(r.bins.size(), 3u);
  EXPECT_TRUE(r.bins[0].value.is_null());
  EXPECT_EQ(r.bins[1].value, Value::Integer(10));
  EXPECT_TRUE(r.bins[2].value.is_null());
  // delete op then a write: the record starts over with just the new bin
  w.respond_all_ops = false;
  w.ops = {Op{OpType::kDelete, "", {}}, Op{OpType::kWrite, "c", Value::Integer(3)}};
  r = engine_->Execute(w);
  ASSERT_EQ(r.result, ResultCode::kOk);
  EXPECT_EQ(r.generation, 1);
  r = Get("o");
  ASSERT_EQ(r.bins.size(), 1u);
  EXPECT_EQ(r.bins[0].name, "c");
}

TEST_P(EngineTest, WritingEveryBinNullDeletesTheRecord) {
  ASSERT_EQ(Put("z", {{"a", Value::Integer(1)}}).result, ResultCode::kOk);
  EXPECT_EQ(Ns().index().size(), 1u);
  ASSERT_EQ(Put("z", {{"a", Value()}}).result, ResultCode::kOk);
  EXPECT_EQ(Get("z").result, ResultCode::kRecordNotFound);
  EXPECT_EQ(Ns().index().size(), 0u);
  // Only null bins on a missing record: nothing to delete.
  EXPECT_EQ(Put("z", {{"a", Value()}}).result, ResultCode::kRecordNotFound);
  // Replace with a bin delete or a modify op is a bad request.
  ASSERT_EQ(Put("z", {{"a", Value::Integer(1)}}).result, ResultCode::kOk);
  EXPECT_EQ(Put("z", {{"a", Value()}}, "demo", ExistsAction::kReplace).result,
            ResultCode::kParameterError);
  Request incr = Base(Command::kWrite, "demo", "z");
  incr.exists_action = ExistsAction::kReplaceOnly;
  incr.ops = {Op{OpType::kIncr, "a", Value::Integer(1)}};
  EXPECT_EQ(engine_->Execute(incr).result, ResultCode::kParameterError);
}

TEST_P(EngineTest, BadArgumentsAnswerTheRightCode) {
  EXPECT_EQ(Put("b", {{"sixteen_chars_xx", Value::Integer(1)}}).result, ResultCode::kBinNameError);
  Request r = Base(Command::kRead, "demo", "b");
  r.ns = "nope";
  EXPECT_EQ(engine_->Execute(r).result, ResultCode::kNamespaceNotFound);
  Ns().policy().max_record_size = 1024;
  EXPECT_EQ(Put("big", {{"x", Value::String(std::string(2000, 'x'))}}).result,
            ResultCode::kRecordTooBig);
  EXPECT_EQ(Get("big").result, ResultCode::kRecordNotFound);
  Request w = Base(Command::kWrite, "demo", "b");
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kParameterError);  // no ops
  w.ops = {Op{OpType::kBitModify, "l", Value::Blob("\x91\x00")}};      // resize without a size
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kParameterError);
  w.ops = {Op{OpType::kCdtModify, "l", Value()}};  // no msgpack at all
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kParameterError);
  w.ops = {Op{OpType::kHllModify, "h", Value::Blob("\x91\x04")}};  // fold without index bits
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kParameterError);
  w.ops = {Op{OpType::kWrite, "h", Value::Hll("not an HLL")}};  // HLL ops trust stored sketches
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kParameterError);
}

// List and map ops run in record/cdt_*; here: the engine answers them in op order, applies
// modifies to the record it stores, and fails the whole operate on an error.
TEST_P(EngineTest, CollectionOpsAnswerInOrderAndStore) {
  ASSERT_EQ(Put("c", {{"l", Value::List(record::EncodeList(
                                std::vector<Value>{Value::Integer(3), Value::Integer(1)}))}})
                .result,
            ResultCode::kOk);
  const Value append_2 = Value::Blob(std::string("\x92\x01\x02", 3));     // [APPEND, 2]
  const Value size = Value::Blob(std::string("\x91\x10", 2));             // [SIZE]
  const Value set_ordered = Value::Blob(std::string("\x92\x00\x01", 3));  // [SET_TYPE, 1]
  Request w = Base(Command::kWrite, "demo", "c");
  w.respond_all_ops = true;
  w.ops = {Op{OpType::kCdtModify, "l", set_ordered}, Op{OpType::kCdtModify, "l", append_2},
           Op{OpType::kCdtRead, "l", size}, Op{OpType::kRead, "l", {}}};
  Response r = engine_->Execute(w);
  ASSERT_EQ(r.result, ResultCode::kOk);
  ASSERT_EQ(r.bins.size(), 4u);
  EXPECT_TRUE(r.bins[0].value.is_null());  // set-type answers nothing: a null entry
  EXPECT_EQ(r.bins[1].value, Value::Integer(3));
  EXPECT_EQ(r.bins[2].value, Value::Integer(3));
  std::vector<Value> sorted = {Value::Integer(1), Value::Integer(2), Value::Integer(3)};
  EXPECT_EQ(r.bins[3].value, Value::List(record::EncodeList(sorted, /*ordered=*/true)));
  // A read-only operate answers from the stored record.
  Request read = Base(Command::kRead, "demo", "c");
  read.ops = {Op{OpType::kCdtRead, "l", size}};
  EXPECT_EQ(*BinOf(engine_->Execute(read), "l"), Value::Integer(3));
  // A failing op fails the operate and leaves the record as it was.
  w.ops = {Op{OpType::kCdtModify, "l", append_2},
           Op{OpType::kCdtModify, "l", Value::Blob(std::string("\x93\x03\x00\x05", 4))}};
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kOpNotApplicable);  // insert: ordered list
  EXPECT_EQ(*BinOf(engine_->Execute(read), "l"), Value::Integer(3));
}

TEST_P(EngineTest, StoredKeyMismatch) {
  Request w = Base(Command::kWrite, "demo", "k");
  w.key = Value::String("k");
  w.send_key = true;
  w.ops = {Op{OpType::kWrite, "x", Value::Integer(1)}};
  ASSERT_EQ(engine_->Execute(w).result, ResultCode::kOk);
  w.key = Value::String("other");  // same digest, different key: a client bug or a collision
  EXPECT_EQ(engine_->Execute(w).result, ResultCode::kKeyMismatch);
}

TEST_P(EngineTest, SetStopWritesCountAndNamespaceStopWrites) {
  EXPECT_EQ(Put("1", {{"x", Value::Integer(1)}}, "capped").result, ResultCode::kOk);
  EXPECT_EQ(Put("2", {{"x", Value::Integer(1)}}, "capped").result, ResultCode::kOk);
  EXPECT_EQ(Put("3", {{"x", Value::Integer(1)}}, "capped").result, ResultCode::kForbidden);
  EXPECT_EQ(Put("1", {{"x", Value::Integer(2)}}, "capped").result, ResultCode::kOk);  // updates ok
  Ns().policy().memory_size = 64;
  Ns().policy().disk_size = 64;
  EXPECT_EQ(Put("full", {{"x", Value::Integer(1)}}).result, ResultCode::kServerFull);
  Request d = Base(Command::kDelete, "capped", "1");
  EXPECT_EQ(engine_->Execute(d).result, ResultCode::kOk);  // deletes still allowed
}

TEST_P(EngineTest, TruncateHidesAtOnceSurvivesRestartAndIsSwept) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Put("a" + std::to_string(i), {{"x", Value::Integer(i)}}, "gone").result,
              ResultCode::kOk);
    ASSERT_EQ(Put("b" + std::to_string(i), {{"x", Value::Integer(i)}}, "kept").result,
              ResultCode::kOk);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(engine_->Truncate("test", "gone", 0).ok());
  EXPECT_EQ(Get("a1", "gone").result, ResultCode::kRecordNotFound);
  EXPECT_EQ(Get("b1", "kept").result, ResultCode::kOk);
  ASSERT_EQ(Put("a1", {{"x", Value::Integer(1)}}, "gone").result, ResultCode::kOk);  // after: kept
  if (GetParam() == base::StorageKind::kFlash) {
    Open();  // cold start: the truncation time must come back with the data
    EXPECT_EQ(Get("a2", "gone").result, ResultCode::kRecordNotFound);
  }
  ns::SweepResult s = Ns().Sweep();
  EXPECT_EQ(s.truncated, 49u);
  EXPECT_EQ(Ns().index().size(), 51u);
  EXPECT_EQ(Get("a1", "gone").result, ResultCode::kOk);
  EXPECT_FALSE(engine_->Truncate("nope", "", 0).ok());
}

TEST_P(EngineTest, ScanSeesEveryLiveRecordOncePerSet) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(Put("k" + std::to_string(i), {{"x", Value::Integer(i)}, {"y", Value::Integer(1)}},
                  i % 3 == 0 ? "three" : "demo")
                  .result,
              ResultCode::kOk);
  }
  ScanOptions opts;
  opts.ns = "test";
  opts.set = "three";
  opts.bins = {"x"};
  int64_t count = 0, sum = 0;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    ASSERT_TRUE(engine_
                    ->ScanPartition(opts, p, std::nullopt,
                                    [&](const ScannedRecord& r) {
                                      EXPECT_EQ(r.set, "three");
                                      EXPECT_EQ(base::PartitionOf(r.digest), p);
                                      EXPECT_EQ(r.record->bins.size(), 1u);
                                      ++count;
                                      sum += r.record->bins[0].value.integer();
                                      return true;
                                    })
                    .ok());
  }
  EXPECT_EQ(count, 100);
  EXPECT_EQ(sum, 3 * (99 * 100 / 2));
  opts.set.clear();
  opts.metadata_only = true;
  count = 0;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    ASSERT_TRUE(engine_
                    ->ScanPartition(opts, p, std::nullopt,
                                    [&](const ScannedRecord& r) {
                                      EXPECT_EQ(r.record, nullptr);
                                      ++count;
                                      return true;
                                    })
                    .ok());
  }
  EXPECT_EQ(count, 300);
}

// [op, [81, 2, "x"], v]: integer bin x compared with v, packed as the clients pack it.
std::shared_ptr<const record::Expression> XFilter(int op, int64_t v) {
  std::string bin;
  record::AppendArrayHeader(3, &bin);
  bin += record::PackInt(81) + record::PackInt(2) + "\xa1x";
  std::string e;
  record::AppendArrayHeader(3, &e);
  e += record::PackInt(op) + bin + record::PackInt(v);
  return *record::Expression::Decode(e);
}

TEST_P(EngineTest, FiltersApplyToEveryCommandOnExistingRecords) {
  constexpr int kEq = 1, kGt = 3;
  ASSERT_EQ(Put("f", {{"x", Value::Integer(7)}}).result, ResultCode::kOk);
  Request get = Base(Command::kRead, "demo", "f");
  get.read_all_bins = true;
  get.filter = XFilter(kEq, 8);
  EXPECT_EQ(engine_->Execute(get).result, ResultCode::kFilteredOut);
  get.metadata_only = true;  // exists: the filter still reads the bins
  EXPECT_EQ(engine_->Execute(get).result, ResultCode::kFilteredOut);
  get.metadata_only = false;
  get.filter = XFilter(kEq, 7);
  EXPECT_EQ(engine_->Execute(get).result, ResultCode::kOk);

  Request write = Base(Command::kWrite, "demo", "f");
  write.ops.push_back(Op{OpType::kWrite, "x", Value::Integer(1)});
  write.filter = XFilter(kGt, 7);
  EXPECT_EQ(engine_->Execute(write).result, ResultCode::kFilteredOut);
  Request del = Base(Command::kDelete, "demo", "f");
  del.filter = XFilter(kGt, 7);
  EXPECT_EQ(engine_->Execute(del).result, ResultCode::kFilteredOut);
  Response after = Get("f");
  EXPECT_EQ(after.generation, 1);  // nothing was written
  EXPECT_EQ(*BinOf(after, "x"), Value::Integer(7));
  // A create is not filtered; a missing record read is not found.
  Request create = Base(Command::kWrite, "demo", "new");
  create.ops.push_back(Op{OpType::kWrite, "x", Value::Integer(1)});
  create.filter = XFilter(kGt, 7);
  EXPECT_EQ(engine_->Execute(create).result, ResultCode::kOk);
  get = Base(Command::kRead, "demo", "absent");
  get.filter = XFilter(kEq, 7);
  EXPECT_EQ(engine_->Execute(get).result, ResultCode::kRecordNotFound);
  write.filter = XFilter(kEq, 7);
  EXPECT_EQ(engine_->Execute(write).result, ResultCode::kOk);
  EXPECT_EQ(*BinOf(Get("f"), "x"), Value::Integer(1));

  // Scans skip records the filter does not match.
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(Put("s" + std::to_string(i), {{"x", Value::Integer(i)}}, "scan").result,
              ResultCode::kOk);
  }
  ScanOptions opts;
  opts.ns = "test";
  opts.set = "scan";
  opts.metadata_only = true;
  opts.filter = XFilter(kGt, 29);
  int count = 0;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    ASSERT_TRUE(engine_
                    ->ScanPartition(opts, p, std::nullopt,
                                    [&](const ScannedRecord&) {
                                      ++count;
                                      return true;
                                    })
                    .ok());
  }
  EXPECT_EQ(count, 10);
}

TEST_P(EngineTest, ExpressionOpsSeeEarlierOpsAndWriteBins) {
  ASSERT_EQ(Put("e", {{"x", Value::Integer(2)}}).result, ResultCode::kOk);
  // [[20, [81, 2, "x"], 10], flags]: x + 10.
  std::string bin;
  record::AppendArrayHeader(3, &bin);
  bin += record::PackInt(81) + record::PackInt(2) + "\xa1x";
  std::string plus10;
  record::AppendArrayHeader(3, &plus10);
  plus10 += record::PackInt(20) + bin + record::PackInt(10);
  auto payload = [&](int64_t flags) {
    std::string out;
    record::AppendArrayHeader(2, &out);
    return out + plus10 + record::PackInt(flags);
  };
  Request r = Base(Command::kWrite, "demo", "e");
  r.ops.push_back(Op{OpType::kIncr, "x", Value::Integer(1)});
  r.ops.push_back(Op{OpType::kExpModify, "y", Value::Blob(payload(0))});
  r.ops.push_back(Op{OpType::kExpRead, "z", Value::Blob(payload(0))});
  Response resp = engine_->Execute(r);
  ASSERT_EQ(resp.result, ResultCode::kOk) << resp.message;
  EXPECT_EQ(*BinOf(resp, "z"), Value::Integer(13));
  Response stored = Get("e");
  EXPECT_EQ(*BinOf(stored, "y"), Value::Integer(13));
  EXPECT_EQ(BinOf(stored, "z"), nullptr);  // a read op stores nothing
  // Create-only on an existing bin fails the whole command.
  Request again = Base(Command::kWrite, "demo", "e");
  again.ops.push_back(Op{OpType::kExpModify, "y", Value::Blob(payload(1))});
  EXPECT_EQ(engine_->Execute(again).result, ResultCode::kBinExists);
  // A read command may carry expression reads.
  Request read = Base(Command::kRead, "demo", "e");
  read.ops.push_back(Op{OpType::kExpRead, "z", Value::Blob(payload(0))});
  resp = engine_->Execute(read);
  ASSERT_EQ(resp.result, ResultCode::kOk);
  EXPECT_EQ(*BinOf(resp, "z"), Value::Integer(13));
}

TEST_P(EngineTest, ScanOrderIsAscendingDigestAndResumesExclusively) {
  ScanOptions opts;
  opts.ns = "test";
  std::vector<base::Digest> all;
  for (int i = 0; all.size() < 5; ++i) {
    // keys of partition 7 only
    base::Digest d = base::ComputeStringKeyDigest("demo", "p" + std::to_string(i));
    if (base::PartitionOf(d) != 7) continue;
    ASSERT_EQ(Put("p" + std::to_string(i), {{"x", Value::Integer(i)}}).result, ResultCode::kOk);
    all.push_back(d);
  }
  std::sort(all.begin(), all.end());
  std::vector<base::Digest> seen;
  ASSERT_TRUE(engine_
                  ->ScanPartition(opts, 7, std::nullopt,
                                  [&](const ScannedRecord& r) {
                                    seen.push_back(r.digest);
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(seen, all);
  seen.clear();
  ASSERT_TRUE(engine_
                  ->ScanPartition(opts, 7, all[1],
                                  [&](const ScannedRecord& r) {
                                    seen.push_back(r.digest);
                                    return true;
                                  })
                  .ok());
  EXPECT_EQ(seen, std::vector<base::Digest>(all.begin() + 2, all.end()));
}

TEST_P(EngineTest, ReadersSeeWholeRecordsDuringConcurrentWrites) {
  // Copy-on-write: a reader never sees bin a from one write and bin b from another.
  ASSERT_EQ(Put("cow", {{"a", Value::Integer(0)}, {"b", Value::Integer(0)}}).result,
            ResultCode::kOk);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        Response r = Get("cow");
        if (r.result != ResultCode::kOk || !(*BinOf(r, "a") == *BinOf(r, "b"))) ++torn;
        ++reads;
      }
    });
  }
  // At least 3000 writes, and on until the readers (late on a loaded machine) have read a
  // few hundred times while writes were going on.
  int64_t last = 0;
  while (last < 3000 || reads.load() < 300) {
    ++last;
    ASSERT_EQ(Put("cow", {{"a", Value::Integer(last)}, {"b", Value::Integer(last)}}).result,
              ResultCode::kOk);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(*BinOf(Get("cow"), "a"), Value::Integer(last));
}

TEST_P(EngineTest, BatchAnswersEachKeyInOrder) {
  ASSERT_EQ(Put("x1", {{"v", Value::Integer(1)}}).result, ResultCode::kOk);
  ASSERT_EQ(Put("x3", {{"v", Value::Integer(3)}}).result, ResultCode::kOk);
  std::vector<Request> reqs;
  for (const char* k : {"x1", "x2", "x3"}) {
    Request r = Base(Command::kRead, "demo", k);
    r.read_all_bins = true;
    reqs.push_back(r);
  }
  auto out = engine_->ExecuteBatch(reqs);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].result, ResultCode::kOk);
  EXPECT_EQ(out[1].result, ResultCode::kRecordNotFound);
  EXPECT_EQ(*BinOf(out[2], "v"), Value::Integer(3));
}

TEST_P(EngineTest, EvictsSoonestExpiringAboveTheMark) {
  Ns().policy().nsup_period_sec = 60;
  for (int i = 0; i < 200; ++i) {
    Request w = Base(Command::kWrite, "demo", "ev" + std::to_string(i));
    w.ops = {Op{OpType::kWrite, "x", Value::String(std::string(100, 'x'))}};
    w.ttl = 1000 + i * 100;  // ev0 expires first
    ASSERT_EQ(engine_->Execute(w).result, ResultCode::kOk);
  }
  ASSERT_EQ(Put("forever", {{"x", Value::Integer(1)}}).result, ResultCode::kOk);
  const bool mem = GetParam() == base::StorageKind::kMemory;
  uint64_t used = mem ? Ns().memory_used_bytes() : Ns().disk_used_bytes();
  // Budget so that usage is at 100% and the mark at 50%.
  (mem ? Ns().policy().memory_size : Ns().policy().disk_size) = used;
  Ns().policy().stop_writes_pct = 0;
  Ns().policy().evict_pct = 50;
  ns::SweepResult s = Ns().Sweep();
  EXPECT_GT(s.evicted, 80u);
  EXPECT_LT(s.evicted, 200u);
  EXPECT_EQ(Get("ev0").result, ResultCode::kRecordNotFound);
  EXPECT_EQ(Get("ev199").result, ResultCode::kOk);
  EXPECT_EQ(Get("forever").result, ResultCode::kOk);  // never-expiring records are not evicted
}

TEST_P(EngineTest, ColdStartRestoresRecordsWithGenerations) {
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(Put("c" + std::to_string(i), {{"x", Value::Integer(i)}}).result, ResultCode::kOk);
    if (i % 2)
      ASSERT_EQ(Put("c" + std::to_string(i), {{"x", Value::Integer(-i)}}).result, ResultCode::kOk);
  }
  ASSERT_EQ(engine_->Execute(Base(Command::kDelete, "demo", "c0")).result, ResultCode::kOk);
  Open();
  if (GetParam() == base::StorageKind::kMemory) {
    EXPECT_EQ(Ns().index().size(), 0u);  // a memory namespace starts empty
    return;
  }
  EXPECT_EQ(Ns().index().size(), 999u);
  EXPECT_EQ(Get("c0").result, ResultCode::kRecordNotFound);
  for (int i = 1; i < 1000; ++i) {
    Response r = Get("c" + std::to_string(i));
    ASSERT_EQ(r.result, ResultCode::kOk) << i;
    EXPECT_EQ(r.generation, i % 2 ? 2 : 1);
    EXPECT_EQ(*BinOf(r, "x"), Value::Integer(i % 2 ? -i : i));
  }
  EXPECT_EQ(Ns().sets().Get(Ns().sets().Find("demo"))->objects.load(), 999u);
}

TEST_P(EngineTest, SecondaryIndexStaysExactUnderWritesDeletesAndExpiry) {
  Ns().policy().nsup_period_sec = 60;
  auto idx = Ns().AddSindex(index::SindexDef{"test", "demo", "by_v", "v"});
  std::mt19937 rng(11);
  for (int i = 0; i < 3000; ++i) {
    const std::string k = "x" + std::to_string(rng() % 300);
    switch (rng() % 4) {
      case 0:
        engine_->Execute(Base(Command::kDelete, "demo", k));
        break;
      case 1: {  // a string value: leaves the numeric index
        ASSERT_NE(Put(k, {{"v", Value::String("s")}}).result, ResultCode::kServerError);
        break;
      }
      case 2: {  // a short TTL: the record expires and is swept below
        Request w = Base(Command::kWrite, "demo", k);
        w.ops = {Op{OpType::kWrite, "v", Value::Integer(static_cast<int64_t>(rng() % 50))}};
        w.ttl = rng() % 8 == 0 ? 1 : 0;
        engine_->Execute(w);
        break;
      }
      default:
        Put(k, {{"v", Value::Integer(static_cast<int64_t>(rng() % 50))}});
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  Ns().Sweep();
  // The index holds exactly (value, digest) of every live record with an integer v.
  std::set<std::pair<int64_t, base::Digest>> expected, actual;
  ScanOptions opts;
  opts.ns = "test";
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    ASSERT_TRUE(engine_
                    ->ScanPartition(opts, p, std::nullopt,
                                    [&](const ScannedRecord& r) {
                                      const record::Bin* b = r.record->Find("v");
                                      if (b && b->value.type() == record::ParticleType::kInteger)
                                        expected.insert({b->value.integer(), r.digest});
                                      return true;
                                    })
                    .ok());
  }
  idx->Range(std::string(), std::string(8, '\xff'), [&](std::string_view k, const base::Digest& d) {
    actual.insert({index::SecondaryIndex::IntegerOfKey(k), d});
    return true;
  });
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(actual, expected);
  // A rebuilt index (what a restarted node does) has the same entries.
  auto rebuilt = Ns().AddSindex(index::SindexDef{"test", "demo", "again", "v"});
  Ns().BuildSindex(*rebuilt);
  EXPECT_EQ(rebuilt->entries(), actual.size());
  EXPECT_EQ(rebuilt->load_pct(), 100u);
}

INSTANTIATE_TEST_SUITE_P(Storage, EngineTest,
                         ::testing::Values(base::StorageKind::kMemory, base::StorageKind::kFlash),
                         [](const auto& info) {
                           return info.param == base::StorageKind::kMemory ? "Memory" : "Flash";
                         });

}  // namespace
}  // namespace tern::txn
