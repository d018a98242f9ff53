#include "storage/memory_engine.h"

#include "base/result_code.h"

namespace tern::storage {

using base::MakeError;
using base::ResultCode;

absl::Status MemoryEngine::Load(uint32_t, const base::Digest&, record::StoredMeta*,
                                RecordRef*) const {
  return MakeError(ResultCode::kServerError, "memory engine bodies are pinned, not loaded");
}

absl::StatusOr<uint64_t> MemoryEngine::Store(uint32_t, const base::Digest&,
                                             const record::StoredMeta&, RecordRef rec, bool,
                                             uint32_t* stored_size) {
  *stored_size = static_cast<uint32_t>(rec->DataSize() + sizeof(record::Record));
  return rec.ReleaseToHandle();
}

absl::Status MemoryEngine::ScanPartition(uint32_t, const base::Digest*, StoredVisitor) const {
  return MakeError(ResultCode::kServerError, "memory engine scans walk the index");
}

absl::Status MemoryEngine::PutMetadata(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  metadata_[std::string(key)] = std::string(value);
  return absl::OkStatus();
}

absl::StatusOr<std::string> MemoryEngine::GetMetadata(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = metadata_.find(key);
  if (it == metadata_.end()) return MakeError(ResultCode::kRecordNotFound, "no such metadata");
  return it->second;
}

}  // namespace tern::storage
