// Storage engine `memory`: record bodies live in RAM, one RecordRef per index entry.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "storage/storage_engine.h"

namespace tern::storage {

class MemoryEngine final : public StorageEngine {
 public:
  std::string_view kind() const override { return "memory"; }
  bool in_memory() const override { return true; }
  RecordRef Pin(uint64_t handle) const override { return RecordRef::FromHandle(handle); }
  absl::Status Load(uint32_t, const base::Digest&, record::StoredMeta*, RecordRef*) const override;
  absl::StatusOr<uint64_t> Store(uint32_t, const base::Digest&, const record::StoredMeta&,
                                 RecordRef rec, bool, uint32_t* stored_size) override;
  absl::Status Erase(uint32_t, const base::Digest&, bool) override { return absl::OkStatus(); }
  void Release(uint64_t handle) override { RecordRef::ReleaseHandle(handle); }
  absl::Status ScanPartition(uint32_t, const base::Digest*, StoredVisitor) const override;
  absl::Status ForEachStored(MetaVisitor) const override { return absl::OkStatus(); }
  absl::Status PutMetadata(std::string_view key, std::string_view value) override;
  absl::StatusOr<std::string> GetMetadata(std::string_view key) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> metadata_;  // lost on restart, like the data
};

}  // namespace tern::storage
