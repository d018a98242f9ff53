// One RocksDB instance on a data directory, shared by the flash namespaces stored there: one
// column family per namespace (DESIGN.md §3), plus the default family for node metadata.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace tern::storage {

class FlashDb {
 public:
  // Opens (creating if needed) the database at `path` with a column family per name.
  static absl::StatusOr<std::shared_ptr<FlashDb>> Open(const std::string& path,
                                                       const std::vector<std::string>& families);
  ~FlashDb();

  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* family(const std::string& name) const;
  rocksdb::ColumnFamilyHandle* default_family() const;
  const std::string& path() const { return path_; }

 private:
  FlashDb() = default;
  std::string path_;
  rocksdb::DB* db_ = nullptr;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace tern::storage
