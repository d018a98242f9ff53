#include "storage/flash_db.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"

namespace tern::storage {

using base::MakeError;
using base::ResultCode;

namespace {

rocksdb::ColumnFamilyOptions FamilyOptions() {
  rocksdb::ColumnFamilyOptions cf;
  // Records are point-read by (partition, digest): bloom filters skip most table probes.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.write_buffer_size = 64 << 20;
  return cf;
}

}  // namespace

absl::StatusOr<std::shared_ptr<FlashDb>> FlashDb::Open(const std::string& path,
                                                       const std::vector<std::string>& families) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return MakeError(ResultCode::kServerError,
                     absl::StrCat("cannot create data directory ", path, ": ", ec.message()));
  }
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, FamilyOptions());
  for (const auto& f : families) descriptors.emplace_back(f, FamilyOptions());
  // Families of namespaces no longer configured must still be opened (RocksDB requires it).
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(options, path, &existing).ok()) {
    for (const auto& name : existing) {
      bool known = name == rocksdb::kDefaultColumnFamilyName;
      for (const auto& d : descriptors) known = known || d.name == name;
      if (!known) descriptors.emplace_back(name, FamilyOptions());
    }
  }

  std::shared_ptr<FlashDb> out(new FlashDb());
  out->path_ = path;
  rocksdb::Status s = rocksdb::DB::Open(options, path, descriptors, &out->handles_, &out->db_);
  if (!s.ok()) {
    return MakeError(ResultCode::kServerError,
                     absl::StrCat("cannot open RocksDB at ", path, ": ", s.ToString()));
  }
  for (const auto& d : descriptors) out->names_.push_back(d.name);
  return out;
}

FlashDb::~FlashDb() {
  if (!db_) return;
  // A clean shutdown flushes the memtables, so the next start does not replay the WAL.
  (void)db_->Flush(rocksdb::FlushOptions(), handles_);
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close();
  delete db_;
}

rocksdb::ColumnFamilyHandle* FlashDb::family(const std::string& name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return handles_[i];
  }
  return nullptr;
}

rocksdb::ColumnFamilyHandle* FlashDb::default_family() const { return handles_[0]; }

}  // namespace tern::storage
