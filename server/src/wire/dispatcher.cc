#include "wire/dispatcher.h"

#include <zlib.h>

#include <algorithm>
#include <bitset>
#include <cstring>
#include <optional>
#include <tuple>
#include <vector>

#include "base/clock.h"
#include "base/logging.h"
#include "base/result_code.h"
#include "index/secondary_index.h"
#include "query/background_apply.h"
#include "record/collection.h"
#include "record/expression.h"
#include "record/geo_shape.h"
#include "wire/message.h"
#include "wire/particle.h"
#include "wire/proto.h"
#include "wire/request_builder.h"

namespace tern::wire {

using base::ResultCode;

namespace {

constexpr uint8_t kSecurityNotEnabled = 52;
constexpr size_t kAdminHeaderSize = 16;

// One msg that carries only a result code (errors, LAST markers, partition-done markers).
void AppendStatusMsg(ResultCode code, uint8_t info3, uint32_t generation, std::string* out) {
  MsgHeader h;
  h.result = static_cast<uint8_t>(code);
  h.info3 = info3;
  h.generation = generation;
  AppendHeader(h, out);
}

// A whole single-msg frame holding only a result code.
void AppendStatusFrame(ResultCode code, uint8_t info3, std::string* out) {
  AppendProtoHeader(MessageType::kMessage, kMsgHeaderSize, out);
  AppendStatusMsg(code, info3, 0, out);
}

// Replaces the frame at `offset` of `out` by its type-4 (zlib) form.
void CompressFrame(std::string* out, size_t offset) {
  const std::string_view frame(out->data() + offset, out->size() - offset);
  uLongf bound = compressBound(frame.size());
  std::string z(bound, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &bound,
                reinterpret_cast<const Bytef*>(frame.data()), frame.size(), Z_BEST_SPEED) != Z_OK) {
    return;  // an uncompressed answer is always acceptable
  }
  z.resize(bound);
  std::string wrapped;
  AppendProtoHeader(MessageType::kCompressed, 8 + z.size(), &wrapped);
  for (int s = 56; s >= 0; s -= 8)
    wrapped.push_back(static_cast<char>(uint64_t{frame.size()} >> s));
  wrapped += z;
  out->resize(offset);
  *out += wrapped;
}

void AppendRecordResponse(const txn::Response& resp, uint32_t index, std::string* out) {
  MsgHeader h;
  h.result = static_cast<uint8_t>(resp.result);
  if (resp.result == ResultCode::kOk) {
    h.generation = resp.generation;
    h.record_ttl = resp.void_time;
    h.n_ops = static_cast<uint16_t>(resp.bins.size());
  }
  h.transaction_ttl = index;
  // Errors carry no bins, except a failed UDF's FAILURE bin (its message for the client).
  if (resp.result != ResultCode::kOk) h.n_ops = static_cast<uint16_t>(resp.bins.size());
  AppendHeader(h, out);
  for (const auto& b : resp.bins) AppendBinOp(1, b, out);
}

txn::Response FailedResponse(const absl::Status& s) {
  txn::Response r;
  r.result = base::ResultCodeOf(s);
  r.message = std::string(s.message());
  return r;
}

// One scan/query result record: namespace, digest, set, stored key (and for index queries
// the matched value, for resumption), then its bins. False when the record has none of the
// selected bins (it is then not returned). `r.record` is already projected.
bool AppendRecordMsg(const txn::ScanOptions& opts, const txn::ScannedRecord& r,
                     std::optional<int64_t> bval, std::string* out) {
  if (!opts.metadata_only && !opts.bins.empty() && r.record->bins.empty()) return false;
  MsgHeader h;
  h.info1 = opts.metadata_only ? info1::kGetNoBinData : 0;
  h.generation = r.meta.generation;
  h.record_ttl = r.meta.void_time;
  const bool has_key = r.record && r.record->key.has_value();
  h.n_fields =
      static_cast<uint16_t>(2 + (r.set.empty() ? 0 : 1) + (has_key ? 1 : 0) + (bval ? 1 : 0));
  h.n_ops = r.record && !opts.metadata_only ? static_cast<uint16_t>(r.record->bins.size()) : 0;
  AppendHeader(h, out);
  AppendField(kFieldNamespace, opts.ns, out);
  AppendField(
      kFieldDigest,
      std::string_view(reinterpret_cast<const char*>(r.digest.bytes.data()), base::kDigestSize),
      out);
  if (!r.set.empty()) AppendField(kFieldSet, r.set, out);
  if (has_key) AppendField(kFieldKey, EncodeKey(*r.record->key), out);
  if (bval) {
    std::string le(8, '\0');
    for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(static_cast<uint64_t>(*bval) >> (8 * i));
    AppendField(kFieldBvalArray, le, out);
  }
  if (r.record && !opts.metadata_only) {
    for (const auto& b : r.record->bins) AppendBinOp(1, b, out);
  }
  return true;
}

// --- scans ------------------------------------------------------------------------------------

// In a cluster, partitions this node does not serve (another node masters them, or the copy
// here is still filling) are answered with a partition-done msg carrying 11: the client
// retries them on another node. They are taken out of `parts`.
void ReportUnserved(txn::Engine& engine, const std::string& ns, std::vector<ScanPart>* parts,
                    std::string* out) {
  const size_t frame_at = out->size();
  bool any = false;
  std::erase_if(*parts, [&](const ScanPart& p) {
    if (engine.Serves(ns, p.partition)) return false;
    if (!any) AppendProtoHeader(MessageType::kMessage, 0, out);
    any = true;
    AppendStatusMsg(ResultCode::kPartitionUnavailable, info3::kPartitionDone, p.partition, out);
    return true;
  });
  if (any) PatchProtoSize(out, frame_at, MessageType::kMessage);
}

class ScanJob final : public StreamJob {
 public:
  ScanJob(txn::Engine& engine, txn::ScanOptions opts, std::vector<ScanPart> parts,
          uint64_t max_records, uint32_t rps, bool compress)
      : engine_(engine),
        opts_(std::move(opts)),
        parts_(std::move(parts)),
        max_records_(max_records),
        rps_(rps),
        start_ns_(base::MonotonicNs()) {
    (void)compress;  // scan streams are sent uncompressed (always acceptable)
  }

  int64_t not_before_ns() const override {
    if (rps_ == 0) return 0;
    return start_ns_ + static_cast<int64_t>(emitted_ * 1e9 / rps_);
  }

  bool Produce(std::string* out, size_t budget) override {
    const size_t frame_at = out->size();
    AppendProtoHeader(MessageType::kMessage, 0, out);
    const size_t body_at = out->size();
    bool finished = false;
    while (!finished && out->size() - body_at < budget) {
      if (next_ >= parts_.size() || (max_records_ && emitted_ >= max_records_)) {
        finished = true;
        break;
      }
      uint64_t allowed = UINT64_MAX;
      if (rps_) {
        double elapsed = (base::MonotonicNs() - start_ns_) / 1e9;
        double quota = elapsed * rps_ + 1;
        allowed = quota > emitted_ ? static_cast<uint64_t>(quota - emitted_) : 0;
        if (allowed == 0) break;
      }
      ScanPart& part = parts_[next_];
      bool stopped_early = false;
      uint64_t this_call = 0;
      absl::Status s = engine_.ScanPartition(
          opts_, part.partition, part.after, [&](const txn::ScannedRecord& r) {
            if ((max_records_ && emitted_ >= max_records_) || this_call >= allowed ||
                out->size() - body_at >= budget * 4) {
              stopped_early = true;
              return false;
            }
            if (AppendRecord(r, out)) {
              ++emitted_;
              ++this_call;
            }
            part.after = r.digest;
            return true;
          });
      if (!s.ok()) {
        AppendStatusMsg(base::ResultCodeOf(s), info3::kLast, 0, out);
        PatchProtoSize(out, frame_at, MessageType::kMessage);
        return false;
      }
      if (!stopped_early) ++next_;
      if (rps_ && this_call >= allowed) break;
    }
    if (finished) AppendStatusMsg(ResultCode::kOk, info3::kLast, 0, out);
    if (out->size() == body_at) {
      out->resize(frame_at);  // nothing to send yet (throttled)
    } else {
      PatchProtoSize(out, frame_at, MessageType::kMessage);
    }
    return !finished;
  }

 private:
  // False when the record has none of the selected bins (it is then not returned).
  bool AppendRecord(const txn::ScannedRecord& r, std::string* out) {
    return AppendRecordMsg(opts_, r, std::nullopt, out);
  }

  txn::Engine& engine_;
  txn::ScanOptions opts_;
  std::vector<ScanPart> parts_;
  size_t next_ = 0;
  uint64_t max_records_;
  uint32_t rps_;
  int64_t start_ns_;
  uint64_t emitted_ = 0;
};

// --- secondary-index queries ---------------------------------------------------------------------

// A query answers the records whose indexed value is in [begin, end], partition by partition
// in (value, digest) order, resumable after a (value, digest) pair per partition. The
// matching entries are taken from the index at the start; each record is then read and
// checked again, so a record changed since is never answered with a value it no longer has.
// A geo query's entries are candidates (cells), one per record in digest order, and the check
// is the exact geometric one.
class QueryJob final : public StreamJob {
 public:
  struct Entry {
    uint32_t partition;
    std::string key;
    base::Digest digest;
  };

  QueryJob(txn::Engine& engine, txn::ScanOptions opts, std::shared_ptr<index::SecondaryIndex> index,
           std::shared_ptr<const record::GeoShape> geo, std::vector<Entry> entries,
           uint64_t max_records)
      : engine_(engine),
        opts_(std::move(opts)),
        index_(std::move(index)),
        geo_(std::move(geo)),
        entries_(std::move(entries)),
        max_records_(max_records) {}

  bool Produce(std::string* out, size_t budget) override {
    const size_t frame_at = out->size();
    AppendProtoHeader(MessageType::kMessage, 0, out);
    const size_t body_at = out->size();
    bool finished = false;
    record::Record projected;
    while (out->size() - body_at < budget) {
      if (next_ >= entries_.size() || (max_records_ && emitted_ >= max_records_)) {
        finished = true;
        break;
      }
      const Entry& e = entries_[next_++];
      engine_.ReadForQuery(opts_, e.digest, [&](const txn::ScannedRecord& r) {
        if (geo_) {
          if (!index_->GeoMatches(*r.record, *geo_)) return;
        } else {
          std::vector<std::string> keys = index_->KeysOf(*r.record);
          if (!std::binary_search(keys.begin(), keys.end(), e.key)) return;  // changed since
        }
        txn::ScannedRecord shown = r;
        if (!opts_.projection.empty()) {
          projected = record::Project(*r.record, opts_.projection);
          shown.record = &projected;
        } else if (!opts_.bins.empty()) {
          projected.bins.clear();
          projected.key = r.record->key;
          for (const auto& name : opts_.bins) {
            if (const record::Bin* b = r.record->Find(name)) projected.bins.push_back(*b);
          }
          shown.record = &projected;
        }
        std::optional<int64_t> bval;
        if (index_->def().type == index::SindexType::kNumeric)
          bval = index::SecondaryIndex::IntegerOfKey(e.key);
        if (AppendRecordMsg(opts_, shown, bval, out)) ++emitted_;
      });
    }
    if (finished) AppendStatusMsg(ResultCode::kOk, info3::kLast, 0, out);
    PatchProtoSize(out, frame_at, MessageType::kMessage);
    return !finished;
  }

 private:
  txn::Engine& engine_;
  txn::ScanOptions opts_;
  std::shared_ptr<index::SecondaryIndex> index_;
  std::shared_ptr<const record::GeoShape> geo_;  // geo queries: the query shape
  std::vector<Entry> entries_;
  size_t next_ = 0;
  uint64_t max_records_;
  uint64_t emitted_ = 0;
};

}  // namespace

namespace {

// What an INDEX_RANGE asks of an index: inclusive key ranges, and for geo queries the query
// shape whose exact test the candidates must pass.
struct IndexLookup {
  std::shared_ptr<index::SecondaryIndex> idx;
  std::vector<std::pair<std::string, std::string>> ranges;
  std::shared_ptr<const record::GeoShape> geo;

  // Visits the entries of every range (a geo record may come more than once).
  void ForEach(absl::FunctionRef<void(std::string_view key, const base::Digest&)> fn) const {
    for (const auto& [lo, hi] : ranges) {
      idx->Range(lo, hi, [&](std::string_view key, const base::Digest& d) {
        fn(key, d);
        return true;
      });
    }
  }
  // Whether a record (read again) still answers the query.
  bool Matches(const record::Record& rec) const {
    if (geo) return idx->GeoMatches(rec, *geo);
    for (const std::string& k : idx->KeysOf(rec)) {
      for (const auto& [lo, hi] : ranges) {
        if (k >= lo && k <= hi) return true;
      }
    }
    return false;
  }
};

// Finds the index an INDEX_RANGE (with INDEX_TYPE, INDEX_CONTEXT or INDEX_NAME) addresses and
// what it asks for.
ResultCode ResolveIndexLookup(const ParsedMsg& msg, const txn::Engine& engine,
                              const txn::ScanOptions& opts, IndexLookup* lookup) {
  // INDEX_RANGE: count(1) | bin length(1) bin | particle(1) | u32 len, begin | u32 len, end
  Reader r(msg.Field(kFieldIndexRange));
  uint8_t count = 0, bin_len = 0, particle = 0;
  std::string_view bin, begin, end;
  uint32_t begin_len = 0, end_len = 0;
  if (!r.U8(&count) || count != 1 || !r.U8(&bin_len) || !r.Bytes(bin_len, &bin) ||
      !r.U8(&particle) || !r.U32(&begin_len) || !r.Bytes(begin_len, &begin) || !r.U32(&end_len) ||
      !r.Bytes(end_len, &end)) {
    return ResultCode::kParameterError;
  }
  index::SindexType type;
  switch (particle) {
    case 1:
      type = index::SindexType::kNumeric;
      break;
    case 3:
      type = index::SindexType::kString;
      break;
    case 4:
      type = index::SindexType::kBlob;
      break;
    case 23:
      type = index::SindexType::kGeo2dSphere;
      break;
    default:
      return ResultCode::kIndexNotFound;
  }
  index::SindexCollection collection = index::SindexCollection::kDefault;
  if (msg.Has(kFieldIndexType)) {
    std::string_view t = msg.Field(kFieldIndexType);
    if (t.size() != 1 || static_cast<uint8_t>(t[0]) > 3) return ResultCode::kParameterError;
    collection = static_cast<index::SindexCollection>(t[0]);
  }
  const ns::Namespace* ns = const_cast<txn::Engine&>(engine).catalog().Find(opts.ns);
  if (!ns) return ResultCode::kNamespaceNotFound;
  if (auto all = ns->sindexes()) {
    for (const auto& i : *all) {
      const index::SindexDef& d = i->def();
      const bool by_name = msg.Has(kFieldIndexName);
      // An expression index is addressed by its expression's bytes instead of a bin.
      const bool same_source =
          msg.Has(kFieldIndexExpression)
              ? d.expression == msg.Field(kFieldIndexExpression)
              : d.expression.empty() && d.bin == bin && d.context == msg.Field(kFieldIndexContext);
      if (by_name ? d.name == msg.Field(kFieldIndexName)
                  : (same_source && d.type == type && d.collection == collection &&
                     (d.set.empty() || d.set == opts.set))) {
        lookup->idx = i;
        break;
      }
    }
  }
  if (!lookup->idx) return ResultCode::kIndexNotFound;
  if (type == index::SindexType::kNumeric) {
    Reader b(begin), e(end);
    uint64_t bv, ev;
    if (!b.U64(&bv) || !e.U64(&ev) || static_cast<int64_t>(bv) > static_cast<int64_t>(ev)) {
      return ResultCode::kParameterError;
    }
    lookup->ranges.emplace_back(index::SecondaryIndex::IntegerKey(static_cast<int64_t>(bv)),
                                index::SecondaryIndex::IntegerKey(static_cast<int64_t>(ev)));
  } else if (type == index::SindexType::kGeo2dSphere) {
    // The GeoJSON text: a point asks for regions containing it, a region for points within.
    lookup->geo = record::GeoShape::Parse(begin, lookup->idx->geo_options());
    if (!lookup->geo) return ResultCode::kGeoInvalidGeoJson;
    for (auto [lo, hi] : lookup->geo->QueryRanges()) {
      lookup->ranges.emplace_back(index::SecondaryIndex::CellKey(lo),
                                  index::SecondaryIndex::CellKey(hi));
    }
  } else {
    lookup->ranges.emplace_back(begin, begin);  // strings and blobs: equality on the begin value
  }

  return ResultCode::kOk;
}

}  // namespace

Dispatcher::Dispatcher(txn::Engine& engine, api::InfoCommands& info, DispatchOptions options,
                       query::JobManager* jobs)
    : engine_(engine), info_(info), options_(options), jobs_(jobs) {}

std::unique_ptr<StreamJob> Dispatcher::Handle(uint8_t type, std::string_view body,
                                              std::string* out) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kInfo:
      HandleInfo(body, out);
      return nullptr;
    case MessageType::kAdmin:
      HandleAdmin(body, out);
      return nullptr;
    case MessageType::kMessage:
      return HandleMessage(body, out);
    case MessageType::kCompressed: {
      // 8-byte uncompressed length (inner header included), then a zlib stream of a whole frame.
      Reader r(body);
      uint64_t inner_len;
      if (!r.U64(&inner_len) || inner_len < kProtoHeaderSize ||
          inner_len > kMaxBodySize + kProtoHeaderSize) {
        AppendStatusFrame(ResultCode::kParameterError, 0, out);
        return nullptr;
      }
      std::string inner(inner_len, '\0');
      uLongf len = inner_len;
      if (uncompress(reinterpret_cast<Bytef*>(inner.data()), &len,
                     reinterpret_cast<const Bytef*>(body.data() + 8), body.size() - 8) != Z_OK ||
          len != inner_len) {
        AppendStatusFrame(ResultCode::kParameterError, 0, out);
        return nullptr;
      }
      ProtoHeader h = ParseProtoHeader(reinterpret_cast<const uint8_t*>(inner.data()));
      if (h.version != kProtoVersion || h.type != static_cast<uint8_t>(MessageType::kMessage) ||
          h.size != inner_len - kProtoHeaderSize) {
        AppendStatusFrame(ResultCode::kParameterError, 0, out);
        return nullptr;
      }
      // The inner body must outlive a streaming job: jobs copy what they need.
      return HandleMessage(std::string_view(inner).substr(kProtoHeaderSize), out);
    }
  }
  AppendStatusFrame(ResultCode::kParameterError, 0, out);
  return nullptr;
}

void Dispatcher::HandleInfo(std::string_view body, std::string* out) {
  const size_t frame_at = out->size();
  AppendProtoHeader(MessageType::kInfo, 0, out);
  if (body.empty()) {
    // An empty request asks for the summary.
    for (const char* name : {"node", "edition", "build", "version", "features", "statistics",
                             "partition-generation", "services"}) {
      *out += name;
      *out += '\t';
      *out += info_.Answer(name);
      *out += '\n';
    }
  }
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) break;  // an unterminated line is ignored, as Aerospike
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    std::string value = info_.Answer(line);
    // A value must not break the line framing.
    std::replace(value.begin(), value.end(), '\n', ' ');
    std::replace(value.begin(), value.end(), '\t', ' ');
    out->append(line);
    *out += '\t';
    *out += value;
    *out += '\n';
  }
  PatchProtoSize(out, frame_at, MessageType::kInfo);
}

void Dispatcher::HandleAdmin(std::string_view body, std::string* out) {
  // No security: every admin command answers "security not enabled", which clients configured
  // with a user accept as a successful login.
  const uint8_t command = body.size() > 2 ? static_cast<uint8_t>(body[2]) : 0;
  AppendProtoHeader(MessageType::kAdmin, kAdminHeaderSize, out);
  std::string admin(kAdminHeaderSize, '\0');
  admin[1] = static_cast<char>(kSecurityNotEnabled);
  admin[2] = static_cast<char>(command);
  *out += admin;
}

std::unique_ptr<StreamJob> Dispatcher::HandleMessage(std::string_view body, std::string* out) {
  ParsedMsg msg;
  if (absl::Status s = ParseMsg(body, &msg); !s.ok()) {
    // Batches and scans read until a LAST msg: set it so a client never waits for more.
    AppendStatusFrame(base::ResultCodeOf(s), info3::kLast, out);
    return nullptr;
  }
  const size_t frame_at = out->size();
  if (msg.header.info1 & info1::kBatch) {
    HandleBatch(msg, out);
  } else if (!msg.Has(kFieldDigest)) {
    return HandleScan(msg, out);
  } else {
    HandleRecord(msg, out);
  }
  if (msg.header.info1 & info1::kCompressResponse) CompressFrame(out, frame_at);
  return nullptr;
}

void Dispatcher::HandleRecord(const ParsedMsg& msg, std::string* out) {
  const size_t frame_at = out->size();
  AppendProtoHeader(MessageType::kMessage, 0, out);
  txn::Request req;
  absl::Status s = BuildRecordRequest(msg.header, msg, &req);
  AppendRecordResponse(s.ok() ? engine_.Execute(req) : FailedResponse(s), 0, out);
  PatchProtoSize(out, frame_at, MessageType::kMessage);
}

void Dispatcher::HandleBatch(const ParsedMsg& msg, std::string* out) {
  const size_t frame_at = out->size();
  AppendProtoHeader(MessageType::kMessage, 0, out);
  auto finish = [&](ResultCode code) {
    AppendStatusMsg(code, info3::kLast, 0, out);
    PatchProtoSize(out, frame_at, MessageType::kMessage);
  };
  std::string_view field =
      msg.Has(kFieldBatchIndex) ? msg.Field(kFieldBatchIndex) : msg.Field(kFieldBatchIndexWithSet);
  if (!msg.Has(kFieldBatchIndex) && !msg.Has(kFieldBatchIndexWithSet))
    return finish(ResultCode::kParameterError);
  // The batch's filter applies to every row that carries none of its own.
  std::shared_ptr<const record::Expression> batch_filter;
  if (msg.Has(kFieldFilter)) {
    auto f = record::Expression::Decode(msg.Field(kFieldFilter));
    if (!f.ok()) return finish(base::ResultCodeOf(f.status()));
    batch_filter = *std::move(f);
  }
  Reader r(field);
  uint32_t count;
  uint8_t parent_flags;
  if (!r.U32(&count) || !r.U8(&parent_flags) || count == 0)
    return finish(ResultCode::kParameterError);
  if (count > options_.max_batch_rows) return finish(ResultCode::kBatchMaxRequests);
  const bool respond_all_keys = parent_flags & 0x04;

  // Rows are parsed one by one; a REPEAT row reuses the previous full row with a new digest.
  MsgHeader row_header;
  ParsedMsg row;
  bool have_row = false;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t index;
    std::string_view digest;
    uint8_t flags;
    if (!r.U32(&index) || !r.Bytes(base::kDigestSize, &digest) || !r.U8(&flags)) {
      return finish(ResultCode::kParameterError);
    }
    if (flags & 0x01) {
      if (!have_row) return finish(ResultCode::kParameterError);
    } else {
      row = ParsedMsg();
      row_header = MsgHeader();
      if (!r.U8(&row_header.info1)) return finish(ResultCode::kParameterError);
      if ((flags & 0x02) && !(r.U8(&row_header.info2) && r.U8(&row_header.info3))) {
        return finish(ResultCode::kParameterError);
      }
      if ((flags & 0x10) && !r.U8(&row_header.info4)) return finish(ResultCode::kParameterError);
      uint16_t gen16 = 0;
      if ((flags & 0x04) && !r.U16(&gen16)) return finish(ResultCode::kParameterError);
      row_header.generation = gen16;
      if ((flags & 0x08) && !r.U32(&row_header.record_ttl))
        return finish(ResultCode::kParameterError);
      uint16_t n_fields, n_ops;
      if (!r.U16(&n_fields) || !r.U16(&n_ops)) return finish(ResultCode::kParameterError);
      if (!ParseFieldsAndOps(r, n_fields, n_ops, &row).ok())
        return finish(ResultCode::kParameterError);
      have_row = true;
    }
    row.fields[kFieldDigest] = digest;
    row.present.set(kFieldDigest);
    txn::Request req;
    absl::Status s = BuildRecordRequest(row_header, row, &req);
    if (!req.filter) req.filter = batch_filter;
    txn::Response resp = s.ok() ? engine_.Execute(req) : FailedResponse(s);
    AppendRecordResponse(resp, index, out);
    const ResultCode rc = resp.result;
    if (!respond_all_keys && rc != ResultCode::kOk && rc != ResultCode::kRecordNotFound &&
        rc != ResultCode::kFilteredOut) {
      return finish(rc);
    }
  }
  if (r.remaining() != 0) return finish(ResultCode::kParameterError);
  finish(ResultCode::kOk);
}

// A background scan applies a record UDF or operations to every record of the namespace (or
// set). It is answered with LAST as soon as it is queued; query-show reports its progress.
void Dispatcher::HandleBackgroundScan(const ParsedMsg& msg, std::string* out) {
  auto fail = [&](ResultCode code) { AppendStatusFrame(code, info3::kLast, out); };
  if (!jobs_) return fail(ResultCode::kUnsupportedFeature);
  uint64_t task_id = 0;
  if (Reader r(msg.Field(kFieldTaskId)); !r.U64(&task_id)) return fail(ResultCode::kParameterError);
  if (msg.Has(kFieldUdfOp)) {
    if (msg.Field(kFieldUdfOp) != std::string_view("\x02", 1))
      return fail(ResultCode::kParameterError);
  } else if (msg.ops.empty()) {
    return fail(ResultCode::kParameterError);
  }

  // The per-record command: the msg itself read as a single-record write or apply.
  static constexpr char kNoDigest[base::kDigestSize] = {};
  ParsedMsg as_record = msg;
  as_record.fields[kFieldDigest] = std::string_view(kNoDigest, base::kDigestSize);
  as_record.present.set(kFieldDigest);
  txn::Request tmpl;
  if (absl::Status s = BuildRecordRequest(msg.header, as_record, &tmpl); !s.ok()) {
    return fail(base::ResultCodeOf(s));
  }
  if (!engine_.catalog().Find(tmpl.ns)) return fail(ResultCode::kNamespaceNotFound);
  txn::ScanOptions opts;
  opts.ns = tmpl.ns;
  opts.set = tmpl.set;
  auto work = query::BackgroundApply(engine_, opts, std::move(tmpl));
  if (!jobs_->Submit(task_id, opts.ns, opts.set, std::move(work))) {
    return fail(ResultCode::kParameterError);
  }
  AppendStatusFrame(ResultCode::kOk, info3::kLast, out);
}

// Aggregation: the stream UDF runs over this node's records; each value it yields is a msg
// with one SUCCESS bin, a failure a msg with a FAILURE bin; LAST ends the stream. (The
// client runs the final reduce over every node's values.)
void Dispatcher::HandleAggregate(const ParsedMsg& msg, std::string* out) {
  txn::ScanOptions opts;
  if (msg.Has(kFieldFilter)) {
    auto f = record::Expression::Decode(msg.Field(kFieldFilter));
    if (!f.ok()) return AppendStatusFrame(base::ResultCodeOf(f.status()), info3::kLast, out);
    opts.filter = *std::move(f);
  }
  opts.ns = std::string(msg.Field(kFieldNamespace));
  opts.set = std::string(msg.Field(kFieldSet));
  auto args = record::DecodeList(msg.Has(kFieldUdfArgs) ? msg.Field(kFieldUdfArgs) : "\x90");
  if (!args.ok()) return AppendStatusFrame(ResultCode::kParameterError, info3::kLast, out);
  // With an index filter, only the matching records feed the stream.
  std::optional<txn::QueryMatches> matches;
  if (msg.Has(kFieldIndexRange)) {
    if (!engine_.catalog().Find(opts.ns)) {
      return AppendStatusFrame(ResultCode::kNamespaceNotFound, info3::kLast, out);
    }
    auto lookup = std::make_shared<IndexLookup>();
    if (ResultCode rc = ResolveIndexLookup(msg, engine_, opts, lookup.get());
        rc != ResultCode::kOk) {
      return AppendStatusFrame(rc, info3::kLast, out);
    }
    matches.emplace();
    lookup->ForEach(
        [&](std::string_view, const base::Digest& d) { matches->digests.push_back(d); });
    // A record with several matching values (collection indexes) is fed once.
    std::sort(matches->digests.begin(), matches->digests.end());
    matches->digests.erase(std::unique(matches->digests.begin(), matches->digests.end()),
                           matches->digests.end());
    matches->still_matches = [lookup](const record::Record& rec) { return lookup->Matches(rec); };
  }
  const size_t frame_at = out->size();
  AppendProtoHeader(MessageType::kMessage, 0, out);
  auto emit_bin = [&](record::Bin bin) {
    MsgHeader h;
    h.n_ops = 1;
    AppendHeader(h, out);
    AppendBinOp(1, bin, out);
  };
  absl::Status s =
      engine_.Aggregate(opts, msg.Field(kFieldUdfPackage), msg.Field(kFieldUdfFunction), *args,
                        matches ? &*matches : nullptr, [&](record::Value v) {
                          emit_bin(record::Bin{"SUCCESS", std::move(v)});
                        });
  if (!s.ok() && base::ResultCodeOf(s) == ResultCode::kUdfError) {
    emit_bin(record::Bin{"FAILURE", record::Value::String(std::string(s.message()))});
  }
  AppendStatusMsg(s.ok() ? ResultCode::kOk : base::ResultCodeOf(s), info3::kLast, 0, out);
  PatchProtoSize(out, frame_at, MessageType::kMessage);
}

std::unique_ptr<StreamJob> Dispatcher::HandleQuery(const ParsedMsg& msg,
                                                   std::vector<ScanPart> parts,
                                                   uint64_t max_records, txn::ScanOptions opts,
                                                   std::string* out) {
  auto fail = [&](ResultCode code) {
    AppendStatusFrame(code, info3::kLast, out);
    return nullptr;
  };
  IndexLookup lookup;
  if (ResultCode rc = ResolveIndexLookup(msg, engine_, opts, &lookup); rc != ResultCode::kOk) {
    return fail(rc);
  }
  const index::SindexType type = lookup.idx->def().type;
  // Resume points: the i-th DIGEST_ARRAY digest resumes its partition after (i-th BVAL, digest).
  std::string_view digests = msg.Field(kFieldDigestArray);
  std::string_view bvals = msg.Field(kFieldBvalArray);
  if (type == index::SindexType::kNumeric && !digests.empty() &&
      bvals.size() != digests.size() / base::kDigestSize * 8) {
    return fail(ResultCode::kParameterError);
  }
  std::bitset<base::kPartitionCount> wanted;
  for (const ScanPart& p : parts) wanted.set(p.partition);
  std::vector<std::optional<std::pair<std::string, base::Digest>>> after(base::kPartitionCount);
  for (size_t i = 0; i * base::kDigestSize < digests.size(); ++i) {
    base::Digest d;
    std::memcpy(d.bytes.data(), digests.data() + i * base::kDigestSize, base::kDigestSize);
    // Strings and blobs: the one value queried; geo resumes by digest alone.
    std::string key = lookup.ranges.empty() ? std::string() : lookup.ranges.front().first;
    if (type == index::SindexType::kNumeric) {
      uint64_t v = 0;
      for (int b = 7; b >= 0; --b) v = v << 8 | static_cast<uint8_t>(bvals[i * 8 + b]);  // LE
      key = index::SecondaryIndex::IntegerKey(static_cast<int64_t>(v));
    }
    after[base::PartitionOf(d)] = std::make_pair(std::move(key), d);
  }
  const bool geo = lookup.geo != nullptr;
  std::vector<QueryJob::Entry> entries;
  lookup.ForEach([&](std::string_view key, const base::Digest& d) {
    const uint32_t p = base::PartitionOf(d);
    if (!wanted[p]) return;
    if (after[p]) {
      // Geo candidates go in digest order (a record's cells are many): resume after the digest.
      if (geo ? d <= after[p]->second : std::make_pair(std::string(key), d) <= *after[p]) return;
    }
    entries.push_back(QueryJob::Entry{p, std::string(key), d});
  });
  if (geo) {
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return std::tie(a.partition, a.digest) < std::tie(b.partition, b.digest);
    });
    entries.erase(std::unique(entries.begin(), entries.end(),
                              [](const auto& a, const auto& b) { return a.digest == b.digest; }),
                  entries.end());
  } else {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.partition < b.partition; });
  }
  return std::make_unique<QueryJob>(engine_, std::move(opts), std::move(lookup.idx),
                                    std::move(lookup.geo), std::move(entries), max_records);
}

std::unique_ptr<StreamJob> Dispatcher::HandleScan(const ParsedMsg& msg, std::string* out) {
  auto fail = [&](ResultCode code) {
    AppendStatusFrame(code, info3::kLast, out);
    return nullptr;
  };
  if (!msg.Has(kFieldNamespace) || msg.Field(kFieldNamespace).empty())
    return fail(ResultCode::kNamespaceNotFound);
  if (msg.header.info2 & info2::kWrite) {
    HandleBackgroundScan(msg, out);
    return nullptr;
  }
  std::shared_ptr<const record::Expression> filter;
  if (msg.Has(kFieldFilter)) {
    auto f = record::Expression::Decode(msg.Field(kFieldFilter));
    if (!f.ok()) return fail(base::ResultCodeOf(f.status()));
    filter = *std::move(f);
  }
  if (msg.Has(kFieldUdfOp)) {
    if (msg.Field(kFieldUdfOp) != std::string_view("\x01", 1))
      return fail(ResultCode::kParameterError);
    HandleAggregate(msg, out);
    return nullptr;
  }

  txn::ScanOptions opts;
  opts.filter = std::move(filter);
  opts.ns = std::string(msg.Field(kFieldNamespace));
  if (!engine_.catalog().Find(opts.ns)) return fail(ResultCode::kNamespaceNotFound);
  opts.set = std::string(msg.Field(kFieldSet));
  opts.metadata_only = msg.header.info1 & info1::kGetNoBinData;
  // Bin names come as read ops; since 8.1.2 list/map reads may project too, answered per
  // record as an operate would. Writes belong in background scans and queries.
  for (const WireOp& op : msg.ops) {
    const auto type = static_cast<txn::OpType>(op.op);
    if (type != txn::OpType::kRead && type != txn::OpType::kCdtRead) {
      return fail(txn::IsReadOp(type) ? ResultCode::kUnsupportedFeature
                                      : ResultCode::kParameterError);
    }
    opts.projection.ops.push_back(
        {type == txn::OpType::kCdtRead, std::string(op.name), std::string(op.value)});
  }
  opts.projection.respond_all_ops = msg.header.info2 & info2::kRespondAllOps;
  const bool plain = std::none_of(opts.projection.ops.begin(), opts.projection.ops.end(),
                                  [](const auto& op) { return op.collection; });
  if (plain) {
    for (const auto& op : opts.projection.ops) {
      if (!op.bin.empty()) opts.bins.push_back(op.bin);
    }
    opts.projection = {};
  }

  std::vector<ScanPart> parts;
  std::bitset<base::kPartitionCount> seen;
  std::string_view pids = msg.Field(kFieldPidArray);
  std::string_view digests = msg.Field(kFieldDigestArray);
  if (pids.size() % 2 != 0 || digests.size() % base::kDigestSize != 0)
    return fail(ResultCode::kParameterError);
  for (size_t i = 0; i < pids.size(); i += 2) {
    uint32_t p = static_cast<uint8_t>(pids[i]) | static_cast<uint8_t>(pids[i + 1]) << 8;  // LE
    if (p >= base::kPartitionCount || seen[p]) return fail(ResultCode::kParameterError);
    seen.set(p);
    parts.push_back({p, std::nullopt});
  }
  for (size_t i = 0; i < digests.size(); i += base::kDigestSize) {
    base::Digest d;
    std::memcpy(d.bytes.data(), digests.data() + i, base::kDigestSize);
    uint32_t p = base::PartitionOf(d);
    if (seen[p]) return fail(ResultCode::kParameterError);
    seen.set(p);
    parts.push_back({p, d});
  }
  if (!msg.Has(kFieldPidArray) && !msg.Has(kFieldDigestArray)) {
    for (uint32_t p = 0; p < base::kPartitionCount; ++p) parts.push_back({p, std::nullopt});
  }
  std::sort(parts.begin(), parts.end(),
            [](const auto& a, const auto& b) { return a.partition < b.partition; });
  ReportUnserved(engine_, opts.ns, &parts, out);

  uint64_t max_records = 0;
  if (msg.Has(kFieldMaxRecords)) {
    Reader r(msg.Field(kFieldMaxRecords));
    if (!r.U64(&max_records)) return fail(ResultCode::kParameterError);
  }
  uint32_t rps = 0;
  if (msg.Has(kFieldRecordsPerSecond)) {
    Reader r(msg.Field(kFieldRecordsPerSecond));
    if (!r.U32(&rps)) return fail(ResultCode::kParameterError);
  }
  if (msg.Has(kFieldIndexRange))
    return HandleQuery(msg, std::move(parts), max_records, std::move(opts), out);
  return std::make_unique<ScanJob>(engine_, std::move(opts), std::move(parts), max_records, rps,
                                   msg.header.info1 & info1::kCompressResponse);
}

}  // namespace tern::wire
