#include "storage/flash_engine.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/snapshot.h"

namespace tern::storage {

using base::MakeError;
using base::ResultCode;

namespace {

constexpr size_t kKeySize = 2 + base::kDigestSize;

void MakeKey(uint32_t partition, const base::Digest& digest, char* key) {
  key[0] = static_cast<char>(partition >> 8);
  key[1] = static_cast<char>(partition & 0xff);
  std::memcpy(key + 2, digest.bytes.data(), base::kDigestSize);
}

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return MakeError(ResultCode::kRecordNotFound, "record not found");
  return MakeError(ResultCode::kDeviceOverload, absl::StrCat(base::Absl(what), ": ", s.ToString()));
}

}  // namespace

FlashEngine::FlashEngine(std::shared_ptr<FlashDb> db, std::string family)
    : db_(std::move(db)), family_name_(std::move(family)), family_(db_->family(family_name_)) {}

absl::Status FlashEngine::Load(uint32_t partition, const base::Digest& digest,
                               record::StoredMeta* meta, RecordRef* rec) const {
  char key[kKeySize];
  MakeKey(partition, digest, key);
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), family_, rocksdb::Slice(key, kKeySize), &value);
  if (absl::Status st = FromRocks(s, "flash read"); !st.ok()) return st;
  record::Record body;
  if (absl::Status st = record::DecodeRecord(value.ToStringView(), meta, &body); !st.ok()) {
    return MakeError(ResultCode::kServerError,
                     absl::StrCat("corrupt record ", digest.ToHex(), ": ", st.message()));
  }
  *rec = RecordRef::Make(std::move(body));
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FlashEngine::Store(uint32_t partition, const base::Digest& digest,
                                            const record::StoredMeta& meta, RecordRef rec,
                                            bool sync, uint32_t* stored_size) {
  char key[kKeySize];
  MakeKey(partition, digest, key);
  std::string value = record::EncodeRecord(meta, *rec);
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->db()->Put(wo, family_, rocksdb::Slice(key, kKeySize), value);
  if (absl::Status st = FromRocks(s, "flash write"); !st.ok()) return st;
  *stored_size = static_cast<uint32_t>(kKeySize + value.size());
  return 0;
}

absl::Status FlashEngine::Erase(uint32_t partition, const base::Digest& digest, bool sync) {
  char key[kKeySize];
  MakeKey(partition, digest, key);
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->db()->Delete(wo, family_, rocksdb::Slice(key, kKeySize)), "flash delete");
}

absl::Status FlashEngine::ScanPartition(uint32_t partition, const base::Digest* after,
                                        StoredVisitor fn) const {
  char lower[kKeySize];
  MakeKey(partition, after ? *after : base::Digest{}, lower);
  uint32_t next = partition + 1;
  char upper[2] = {static_cast<char>(next >> 8), static_cast<char>(next & 0xff)};
  rocksdb::Slice upper_slice(upper, 2);

  // One snapshot for the whole partition: writers go on, the scan sees a fixed state.
  const rocksdb::Snapshot* snap = db_->db()->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.iterate_upper_bound = &upper_slice;
  ro.fill_cache = false;
  absl::Status result;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, family_));
    for (it->Seek(rocksdb::Slice(lower, after ? kKeySize : 2)); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (k.size() != kKeySize) continue;
      if (after && k == rocksdb::Slice(lower, kKeySize)) continue;  // resume is exclusive
      base::Digest digest;
      std::memcpy(digest.bytes.data(), k.data() + 2, base::kDigestSize);
      record::StoredMeta meta;
      record::Record body;
      if (!record::DecodeRecord(it->value().ToStringView(), &meta, &body).ok()) continue;
      if (!fn(digest, meta, RecordRef::Make(std::move(body)))) break;
    }
    if (!it->status().ok()) result = FromRocks(it->status(), "flash scan");
  }
  db_->db()->ReleaseSnapshot(snap);
  return result;
}

absl::Status FlashEngine::ForEachStored(MetaVisitor fn) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(ro, family_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.size() != kKeySize) continue;
    uint32_t partition = (static_cast<uint8_t>(k[0]) << 8) | static_cast<uint8_t>(k[1]);
    base::Digest digest;
    std::memcpy(digest.bytes.data(), k.data() + 2, base::kDigestSize);
    record::StoredMeta meta;
    if (!record::DecodeRecord(it->value().ToStringView(), &meta, nullptr).ok()) continue;
    fn(partition, digest, meta, static_cast<uint32_t>(kKeySize + it->value().size()));
  }
  return FromRocks(it->status(), "flash cold start");
}

absl::Status FlashEngine::PutMetadata(std::string_view key, std::string_view value) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(
      db_->db()->Put(wo, db_->default_family(), absl::StrCat(family_name_, "/", base::Absl(key)),
                     rocksdb::Slice(value.data(), value.size())),
      "flash metadata write");
}

absl::StatusOr<std::string> FlashEngine::GetMetadata(std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->default_family(),
                                     absl::StrCat(family_name_, "/", base::Absl(key)), &value);
  if (absl::Status st = FromRocks(s, "flash metadata read"); !st.ok()) return st;
  return value;
}

}  // namespace tern::storage
