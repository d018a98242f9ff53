// Storage engine `flash`: RocksDB as the block layer. Key = partition id (2 bytes big-endian)
// ‖ digest, so a partition is one contiguous key range (scans and migrations stream it from a
// snapshot); value = record/record_codec's encoding, which carries the metadata needed to
// rebuild the index at cold start.
#pragma once

#include <memory>
#include <string>

#include "storage/flash_db.h"
#include "storage/storage_engine.h"

namespace rocksdb {
class ColumnFamilyHandle;
}

namespace tern::storage {

class FlashEngine final : public StorageEngine {
 public:
  // `family` is the namespace's column family in `db`; metadata keys are prefixed with it.
  FlashEngine(std::shared_ptr<FlashDb> db, std::string family);

  std::string_view kind() const override { return "flash"; }
  bool in_memory() const override { return false; }
  RecordRef Pin(uint64_t) const override { return {}; }
  absl::Status Load(uint32_t partition, const base::Digest& digest, record::StoredMeta* meta,
                    RecordRef* rec) const override;
  absl::StatusOr<uint64_t> Store(uint32_t partition, const base::Digest& digest,
                                 const record::StoredMeta& meta, RecordRef rec, bool sync,
                                 uint32_t* stored_size) override;
  absl::Status Erase(uint32_t partition, const base::Digest& digest, bool sync) override;
  void Release(uint64_t) override {}
  absl::Status ScanPartition(uint32_t partition, const base::Digest* after,
                             StoredVisitor fn) const override;
  absl::Status ForEachStored(MetaVisitor fn) const override;
  absl::Status PutMetadata(std::string_view key, std::string_view value) override;
  absl::StatusOr<std::string> GetMetadata(std::string_view key) const override;

 private:
  std::shared_ptr<FlashDb> db_;
  std::string family_name_;
  rocksdb::ColumnFamilyHandle* family_;
};

}  // namespace tern::storage
