// Where record bodies live. One interface, two engines: `memory` keeps bodies in RAM behind
// the index entry's handle; `flash` keeps them in RocksDB (key = partition id ‖ digest) and
// the index holds only metadata. The index stays the single source of truth for which
// records exist; an engine only stores and fetches bodies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/digest.h"
#include "record/record_codec.h"
#include "storage/record_ref.h"

namespace tern::storage {

// Called per stored record during a device scan; return false to stop.
using StoredVisitor =
    absl::FunctionRef<bool(const base::Digest&, const record::StoredMeta&, const RecordRef&)>;
// Called per stored record during a cold start (metadata only).
using MetaVisitor = absl::FunctionRef<void(uint32_t partition, const base::Digest&,
                                           const record::StoredMeta&, uint32_t stored_size)>;

class StorageEngine {
 public:
  virtual ~StorageEngine() = default;

  virtual std::string_view kind() const = 0;

  // True when bodies live behind index handles (Pin works); false when they are read from the
  // device with Load.
  virtual bool in_memory() const = 0;

  // A reference to the body an index handle holds. Call with the entry's sprig locked.
  virtual RecordRef Pin(uint64_t handle) const = 0;

  // Reads a body and its stored metadata from the device. kRecordNotFound when absent.
  virtual absl::Status Load(uint32_t partition, const base::Digest& digest,
                            record::StoredMeta* meta, RecordRef* rec) const = 0;

  // Stores a new version of a record. Returns the handle the index entry keeps and, in
  // *stored_size, the bytes it occupies. `sync`: durable before returning.
  virtual absl::StatusOr<uint64_t> Store(uint32_t partition, const base::Digest& digest,
                                         const record::StoredMeta& meta, RecordRef rec, bool sync,
                                         uint32_t* stored_size) = 0;

  // Removes a record's body from the device (no-op for memory).
  virtual absl::Status Erase(uint32_t partition, const base::Digest& digest, bool sync) = 0;

  // Drops a handle that has left the index. Call after the sprig lock is released.
  virtual void Release(uint64_t handle) = 0;

  // Device engines: visits one partition's stored records as of one snapshot, in ascending
  // digest order, starting after `after` when it is given.
  virtual absl::Status ScanPartition(uint32_t partition, const base::Digest* after,
                                     StoredVisitor fn) const = 0;

  // Device engines: visits every stored record's metadata (index rebuild at cold start).
  virtual absl::Status ForEachStored(MetaVisitor fn) const = 0;

  // Small named values that must survive restarts next to the data (truncation times).
  virtual absl::Status PutMetadata(std::string_view key, std::string_view value) = 0;
  virtual absl::StatusOr<std::string> GetMetadata(std::string_view key) const = 0;
};

}  // namespace tern::storage
