#include "storage/flash_engine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/result_code.h"

namespace tern::storage {
namespace {

class FlashEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("tern-flash-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    engine_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    engine_.reset();
    db_.reset();
    auto db = FlashDb::Open(dir_.string(), {"a", "b"});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *db;
    engine_ = std::make_unique<FlashEngine>(db_, "a");
  }
  void Store(const base::Digest& d, int64_t v, uint16_t gen = 1) {
    record::Record r;
    r.Set("v", record::Value::Integer(v));
    uint32_t size = 0;
    ASSERT_TRUE(
        engine_->Store(base::PartitionOf(d), d, {gen, 0, 1, "set"}, RecordRef::Make(r), true, &size)
            .ok());
    EXPECT_GT(size, 22u);
  }

  std::filesystem::path dir_;
  std::shared_ptr<FlashDb> db_;
  std::unique_ptr<FlashEngine> engine_;
};

TEST_F(FlashEngineTest, StoreLoadEraseAndReopen) {
  base::Digest d = base::ComputeDigest("set", int64_t{1});
  Store(d, 42, 3);
  Open();
  record::StoredMeta meta;
  RecordRef rec;
  ASSERT_TRUE(engine_->Load(base::PartitionOf(d), d, &meta, &rec).ok());
  EXPECT_EQ(meta.generation, 3);
  EXPECT_EQ(meta.set_name, "set");
  EXPECT_EQ(rec->Find("v")->value, record::Value::Integer(42));
  ASSERT_TRUE(engine_->Erase(base::PartitionOf(d), d, true).ok());
  EXPECT_EQ(base::ResultCodeOf(engine_->Load(base::PartitionOf(d), d, &meta, &rec)),
            base::ResultCode::kRecordNotFound);
}

TEST_F(FlashEngineTest, PartitionScanAndColdStartSeeEveryRecord) {
  std::map<uint32_t, int> per_partition;
  for (int64_t i = 0; i < 2000; ++i) {
    base::Digest d = base::ComputeDigest("set", i);
    Store(d, i);
    ++per_partition[base::PartitionOf(d)];
  }
  // A second namespace's family is invisible to this one.
  FlashEngine other(db_, "b");
  uint32_t size;
  base::Digest od = base::ComputeDigest("x", int64_t{1});
  ASSERT_TRUE(
      other.Store(base::PartitionOf(od), od, {1, 0, 1, ""}, RecordRef::Make({}), false, &size)
          .ok());

  for (const auto& [p, n] : per_partition) {
    int seen = 0;
    ASSERT_TRUE(engine_
                    ->ScanPartition(
                        p, nullptr,
                        [&](const base::Digest& d, const record::StoredMeta&, const RecordRef& r) {
                          EXPECT_EQ(base::PartitionOf(d), p);
                          EXPECT_TRUE(r->Find("v"));
                          ++seen;
                          return true;
                        })
                    .ok());
    EXPECT_EQ(seen, n);
  }
  int total = 0;
  ASSERT_TRUE(engine_
                  ->ForEachStored([&](uint32_t p, const base::Digest& d,
                                      const record::StoredMeta& m, uint32_t) {
                    EXPECT_EQ(p, base::PartitionOf(d));
                    EXPECT_EQ(m.generation, 1);
                    ++total;
                  })
                  .ok());
  EXPECT_EQ(total, 2000);
}

TEST_F(FlashEngineTest, MetadataSurvivesReopenPerNamespace) {
  ASSERT_TRUE(engine_->PutMetadata("truncate", "x").ok());
  Open();
  auto v = engine_->GetMetadata("truncate");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "x");
  FlashEngine other(db_, "b");
  EXPECT_FALSE(other.GetMetadata("truncate").ok());
}

}  // namespace
}  // namespace tern::storage
