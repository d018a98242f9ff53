#include "api/kv_service.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/proto_value.h"
#include "api/typed_operation.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/node_id.h"
#include "base/strings.h"
#include "index/secondary_index.h"
#include "query/index_query.h"
#include "record/expression.h"

namespace tern::api {

using base::MakeError;
using base::ResultCode;
namespace v1 = tern::v1;

grpc::StatusCode GrpcCodeOf(ResultCode code) {
  // grpc::StatusCode and absl::StatusCode share their numbering.
  return static_cast<grpc::StatusCode>(base::StatusCodeFor(code));
}

namespace {

// "ERR_RECORD_NOT_FOUND" → "record not found": the text when the engine gave none.
std::string Describe(ResultCode code) {
  std::string_view name = base::ResultCodeName(code);
  if (name.starts_with("ERR_")) name.remove_prefix(4);
  std::string out(name);
  for (char& c : out) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  return out;
}

// `grpc_code` overrides the result code's usual gRPC status code.
grpc::Status StatusOf(ResultCode code, const std::string& text,
                      std::optional<grpc::StatusCode> grpc_code = std::nullopt) {
  v1::ErrorDetail detail;
  detail.set_result_code(static_cast<uint32_t>(code));
  return grpc::Status(grpc_code.value_or(GrpcCodeOf(code)), text, detail.SerializeAsString());
}

grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* ctx, const absl::Status& s,
                                std::optional<grpc::StatusCode> grpc_code = std::nullopt) {
  grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
  if (s.ok()) {
    r->Finish(grpc::Status::OK);
    return r;
  }
  const ResultCode code = base::ResultCodeOf(s);
  ctx->AddTrailingMetadata(kResultCodeMetadataKey, std::to_string(static_cast<int>(code)));
  std::string text = s.message().empty() ? Describe(code) : std::string(s.message());
  r->Finish(StatusOf(code, text, grpc_code));
  return r;
}

// "mod.lua:3: unexpected symbol near 'x'" from a compile error whose Lua message starts with
// the chunk name (`[string "mod.lua"]:3: ...`).
std::string CompileErrorText(const udf::CompileError& e) {
  std::string_view message = e.message;
  if (message.starts_with("[string ")) {
    const size_t close = message.find("]:");
    const size_t colon = close == std::string_view::npos ? close : message.find(": ", close + 2);
    if (colon != std::string_view::npos) message.remove_prefix(colon + 2);
  }
  return absl::StrCat("compile error: ", e.file, ":", e.line, ": ", base::Absl(message));
}

absl::Status ErrorOf(const txn::Response& resp) {
  if (resp.result == ResultCode::kOk) return absl::OkStatus();
  // The engine names the code when it has nothing more to say; say it in words instead.
  const bool bare = resp.message.empty() || resp.message == base::ResultCodeName(resp.result);
  return MakeError(resp.result, bare ? Describe(resp.result) : resp.message);
}

// Seconds left before `void_time` (citrusleaf epoch); 0 = never expires.
uint32_t TtlOf(uint32_t void_time) {
  if (void_time == 0) return 0;
  const uint32_t now = base::NowEpochSeconds();
  return void_time > now ? void_time - now : 1;
}

absl::Status FillKey(const v1::Key& k, txn::Request* req) {
  if (k.namespace_().empty()) return MakeError(ResultCode::kNamespaceNotFound, "no namespace");
  req->ns = k.namespace_();
  req->set = k.set();
  switch (k.user_key_case()) {
    case v1::Key::kStringKey:
      req->digest = base::ComputeStringKeyDigest(req->set, k.string_key());
      req->key = record::Value::String(k.string_key());
      break;
    case v1::Key::kIntKey:
      req->digest = base::ComputeDigest(req->set, k.int_key());
      req->key = record::Value::Integer(k.int_key());
      break;
    case v1::Key::kBytesKey:
      req->digest = base::ComputeDigest(req->set, base::KeyType::kBlob, k.bytes_key());
      req->key = record::Value::Blob(k.bytes_key());
      break;
    case v1::Key::USER_KEY_NOT_SET:
      if (k.digest().size() != base::kDigestSize) {
        return MakeError(ResultCode::kParameterError, "key needs a user key or a 20-byte digest");
      }
      std::copy(k.digest().begin(), k.digest().end(), req->digest.bytes.begin());
      return absl::OkStatus();
  }
  if (!k.digest().empty() &&
      k.digest() != std::string_view(reinterpret_cast<const char*>(req->digest.bytes.data()),
                                     base::kDigestSize)) {
    return MakeError(ResultCode::kParameterError, "digest does not match the user key");
  }
  return absl::OkStatus();
}

// A packed filter expression, decoded once for the request (empty = none).
absl::Status FillFilter(const std::string& packed, std::shared_ptr<const record::Expression>* out) {
  if (packed.empty()) return absl::OkStatus();
  auto e = record::Expression::Decode(packed);
  if (!e.ok()) return e.status();
  *out = *std::move(e);
  return absl::OkStatus();
}

absl::Status FillWritePolicy(const v1::WritePolicy& p, txn::Request* req) {
  req->ttl = p.ttl();
  if (req->ttl < txn::kTtlKeep || req->ttl > txn::kMaxTtlSeconds) {
    return MakeError(ResultCode::kParameterError, absl::StrCat("invalid TTL ", req->ttl));
  }
  switch (p.exists_action()) {
    case v1::UPDATE:
      req->exists_action = txn::ExistsAction::kUpdate;
      break;
    case v1::UPDATE_ONLY:
      req->exists_action = txn::ExistsAction::kUpdateOnly;
      break;
    case v1::REPLACE:
      req->exists_action = txn::ExistsAction::kReplace;
      break;
    case v1::REPLACE_ONLY:
      req->exists_action = txn::ExistsAction::kReplaceOnly;
      break;
    case v1::CREATE_ONLY:
      req->exists_action = txn::ExistsAction::kCreateOnly;
      break;
    default:
      return MakeError(ResultCode::kParameterError, "unknown exists action");
  }
  switch (p.generation_policy()) {
    case v1::GENERATION_NONE:
      break;
    case v1::GENERATION_EQUAL:
      req->generation_policy = txn::GenerationPolicy::kEqual;
      break;
    case v1::GENERATION_GREATER:
      req->generation_policy = txn::GenerationPolicy::kGreater;
      break;
    default:
      return MakeError(ResultCode::kParameterError, "unknown generation policy");
  }
  req->generation = static_cast<uint16_t>(p.generation());
  req->send_key = p.send_key();
  req->durable_delete = p.durable_delete();
  return FillFilter(p.filter_expression(), &req->filter);
}

absl::Status CheckBinName(const std::string& name) {
  if (name.size() > record::kMaxBinNameLength) {
    return MakeError(ResultCode::kBinNameError,
                     absl::StrCat("bin name '", name, "' is longer than 15 bytes"));
  }
  return absl::OkStatus();
}

absl::Status FillReadBins(const google::protobuf::RepeatedPtrField<std::string>& bins,
                          txn::Request* req) {
  req->command = txn::Command::kRead;
  req->read_all_bins = bins.empty();
  for (const std::string& b : bins) {
    if (absl::Status s = CheckBinName(b); !s.ok()) return s;
    req->ops.push_back(txn::Op{txn::OpType::kRead, b, {}});
  }
  return absl::OkStatus();
}

absl::StatusOr<txn::OpType> OpTypeOf(v1::Operation::Type t) {
  switch (t) {
    case v1::Operation::READ:
      return txn::OpType::kRead;
    case v1::Operation::WRITE:
      return txn::OpType::kWrite;
    case v1::Operation::INCR:
      return txn::OpType::kIncr;
    case v1::Operation::APPEND:
      return txn::OpType::kAppend;
    case v1::Operation::PREPEND:
      return txn::OpType::kPrepend;
    case v1::Operation::TOUCH:
      return txn::OpType::kTouch;
    case v1::Operation::DELETE:
      return txn::OpType::kDelete;
    default:
      return MakeError(ResultCode::kParameterError, "unknown operation type");
  }
}

absl::Status BuildOperate(const v1::OperateRequest& in, txn::Request* req) {
  if (absl::Status s = FillKey(in.key(), req); !s.ok()) return s;
  if (in.ops().empty()) return MakeError(ResultCode::kParameterError, "operate needs ops");
  bool writes = false;
  for (const v1::Operation& o : in.ops()) {
    if (absl::Status s = CheckBinName(o.bin()); !s.ok()) return s;
    if (o.typed_case() != v1::Operation::TYPED_NOT_SET) {
      absl::StatusOr<txn::Op> op = TypedOperation(o);
      if (!op.ok()) return op.status();
      writes |= !txn::IsReadOp(op->type);
      req->ops.push_back(*std::move(op));
      continue;
    }
    auto type = OpTypeOf(o.type());
    if (!type.ok()) return type.status();
    auto value = ValueFromProto(o.value());
    if (!value.ok()) return value.status();
    writes |= !txn::IsReadOp(*type);
    req->ops.push_back(txn::Op{*type, o.bin(), std::move(*value)});
  }
  req->command = writes ? txn::Command::kWrite : txn::Command::kRead;
  req->respond_all_ops = in.respond_all_ops();
  if (writes) return FillWritePolicy(in.policy(), req);
  return FillFilter(in.policy().filter_expression(), &req->filter);
}

// Response bins → record. Keeps the request's key so the caller can tell rows apart.
absl::Status FillRecord(const txn::Response& resp, v1::Record* out) {
  out->set_generation(resp.generation);
  out->set_ttl(TtlOf(resp.void_time));
  for (const record::Bin& b : resp.bins) {
    v1::Bin* bin = out->add_bins();
    bin->set_name(b.name);
    if (absl::Status s = ValueToProto(b.value, bin->mutable_value()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Writes a stored user key into the proto key.
void SetUserKey(const record::Value& k, v1::Key* out) {
  switch (k.type()) {
    case record::ParticleType::kInteger:
      out->set_int_key(k.integer());
      break;
    case record::ParticleType::kString:
      out->set_string_key(k.bytes());
      break;
    default:
      if (record::IsBytesType(k.type())) out->set_bytes_key(k.bytes());
      break;
  }
}

// ---- scan and query streams -----------------------------------------------------------------

// Visits the records of one partition a stream sends, in ascending digest order, starting after
// `after`; `fn` returns false to stop (the stream resumes after the last record it took).
using PartitionWalk = std::function<absl::Status(
    const txn::ScanOptions&, uint32_t partition, const std::optional<base::Digest>& after,
    absl::FunctionRef<bool(const txn::ScannedRecord&)> fn)>;

// Streams one partition cursor at a time: each message holds up to kRecordsPerMessage records
// (or about kBytesPerMessage), and the next is produced only when the previous one is written,
// so a slow client holds back the stream instead of buffering it. Resuming inside a partition
// is the walk's `after` digest, the same cursor a client sends to resume. Scan and Query differ
// only in their walk.
class RecordStreamReactor final : public grpc::ServerWriteReactor<v1::ScanResponse> {
 public:
  static constexpr int kRecordsPerMessage = 256;
  static constexpr size_t kBytesPerMessage = 1 << 20;

  // A failed `walk` answers the call with its error at once.
  RecordStreamReactor(grpc::CallbackServerContext* ctx, txn::ScanOptions opts, uint64_t max_records,
                      const google::protobuf::RepeatedPtrField<v1::PartitionCursor>& partitions,
                      absl::StatusOr<PartitionWalk> walk)
      : ctx_(ctx), opts_(std::move(opts)), max_records_(max_records) {
    if (!walk.ok()) {
      Fail(walk.status());
      return;
    }
    walk_ = *std::move(walk);
    if (partitions.empty()) {
      for (uint32_t p = 0; p < base::kPartitionCount; ++p) cursors_.push_back({p, std::nullopt});
    } else {
      for (const v1::PartitionCursor& c : partitions) {
        Cursor cur{c.partition(), std::nullopt};
        if (c.partition() >= base::kPartitionCount) {
          Fail(MakeError(ResultCode::kParameterError, "partition out of range"));
          return;
        }
        if (!c.after_digest().empty()) {
          if (c.after_digest().size() != base::kDigestSize) {
            Fail(MakeError(ResultCode::kParameterError, "after_digest must be 20 bytes"));
            return;
          }
          base::Digest d;
          std::copy(c.after_digest().begin(), c.after_digest().end(), d.bytes.begin());
          cur.after = d;
        }
        cursors_.push_back(cur);
      }
    }
    Next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    Next();
  }
  void OnDone() override { delete this; }

 private:
  struct Cursor {
    uint32_t partition;
    std::optional<base::Digest> after;
  };

  void Fail(const absl::Status& s) {
    const ResultCode code = base::ResultCodeOf(s);
    ctx_->AddTrailingMetadata(kResultCodeMetadataKey, std::to_string(static_cast<int>(code)));
    Finish(StatusOf(code, std::string(s.message())));
  }

  void Next() {
    msg_.Clear();
    size_t bytes = 0;
    while (next_ < cursors_.size() && msg_.records_size() < kRecordsPerMessage &&
           bytes < kBytesPerMessage) {
      if (max_records_ && emitted_ >= max_records_) break;
      Cursor& cur = cursors_[next_];
      bool stopped = false;
      absl::Status failed;
      absl::Status s = walk_(opts_, cur.partition, cur.after, [&](const txn::ScannedRecord& r) {
        if (msg_.records_size() >= kRecordsPerMessage || bytes >= kBytesPerMessage ||
            (max_records_ && emitted_ >= max_records_)) {
          stopped = true;
          return false;
        }
        cur.after = r.digest;
        if (!opts_.metadata_only && !opts_.bins.empty() && r.record->bins.empty()) {
          return true;  // none of the selected bins
        }
        v1::Record* rec = msg_.add_records();
        msg_.add_record_partitions(cur.partition);
        v1::Key* key = rec->mutable_key();
        key->set_namespace_(opts_.ns);
        key->set_set(r.set);
        key->set_digest(reinterpret_cast<const char*>(r.digest.bytes.data()), base::kDigestSize);
        rec->set_generation(r.meta.generation);
        rec->set_ttl(TtlOf(r.meta.void_time));
        if (r.record) {
          if (r.record->key) SetUserKey(*r.record->key, key);
          for (const record::Bin& b : r.record->bins) {
            v1::Bin* bin = rec->add_bins();
            bin->set_name(b.name);
            if (absl::Status e = ValueToProto(b.value, bin->mutable_value()); !e.ok()) {
              failed = e;
              return false;
            }
          }
        }
        bytes += rec->ByteSizeLong();
        ++emitted_;
        return true;
      });
      if (s.ok()) s = failed;
      if (!s.ok()) {
        Fail(s);
        return;
      }
      if (stopped) break;
      msg_.add_partitions_done(cur.partition);
      ++next_;
    }
    const bool finished = next_ >= cursors_.size() || (max_records_ && emitted_ >= max_records_);
    if (msg_.records_size() == 0 && msg_.partitions_done_size() == 0 && finished) {
      Finish(grpc::Status::OK);
      return;
    }
    StartWrite(&msg_);
  }

  grpc::CallbackServerContext* ctx_;
  txn::ScanOptions opts_;
  uint64_t max_records_ = 0;
  PartitionWalk walk_;
  std::vector<Cursor> cursors_;
  size_t next_ = 0;
  uint64_t emitted_ = 0;
  v1::ScanResponse msg_;
};

// What scans and queries share: the namespace must exist and the filter decode.
absl::Status FillStreamOptions(txn::Engine& engine, const std::string& ns, const std::string& set,
                               const google::protobuf::RepeatedPtrField<std::string>& bins,
                               bool metadata_only, const std::string& filter,
                               txn::ScanOptions* opts) {
  opts->ns = ns;
  opts->set = set;
  opts->metadata_only = metadata_only;
  opts->bins.assign(bins.begin(), bins.end());
  if (absl::Status s = FillFilter(filter, &opts->filter); !s.ok()) return s;
  if (!engine.catalog().Find(ns)) {
    return MakeError(ResultCode::kNamespaceNotFound,
                     absl::StrCat("namespace '", ns, "' not found"));
  }
  return absl::OkStatus();
}

index::SindexCollection CollectionOf(v1::QueryRequest::Collection c) {
  switch (c) {
    case v1::QueryRequest::LIST:
      return index::SindexCollection::kList;
    case v1::QueryRequest::MAP_KEYS:
      return index::SindexCollection::kMapKeys;
    case v1::QueryRequest::MAP_VALUES:
      return index::SindexCollection::kMapValues;
    default:
      return index::SindexCollection::kDefault;
  }
}

absl::StatusOr<query::IndexQuery> IndexQueryOf(const v1::QueryRequest& in) {
  query::IndexQuery q{in.namespace_(), in.set(), in.index_bin(), CollectionOf(in.collection()), {}};
  const int given = in.has_equal() + (in.has_range_begin() || in.has_range_end()) +
                    !in.geo_within().empty() + !in.geo_contains().empty();
  if (given != 1) {
    return MakeError(ResultCode::kParameterError,
                     "a query takes one predicate: equal, range, geo_within or geo_contains");
  }
  if (in.index_bin().empty()) return MakeError(ResultCode::kParameterError, "no index_bin");
  if (in.has_equal()) {
    auto v = ValueFromProto(in.equal());
    if (!v.ok()) return v.status();
    q.predicate = query::IndexEqual{*std::move(v)};
  } else if (!in.geo_within().empty()) {
    q.predicate = query::GeoWithin{in.geo_within()};
  } else if (!in.geo_contains().empty()) {
    q.predicate = query::GeoContains{in.geo_contains()};
  } else {
    if (in.range_begin().kind_case() != v1::Value::kIntValue ||
        in.range_end().kind_case() != v1::Value::kIntValue) {
      return MakeError(ResultCode::kParameterError, "a range takes two integers");
    }
    q.predicate = query::IndexRange{in.range_begin().int_value(), in.range_end().int_value()};
  }
  return q;
}

// Walks an index query's matches of one partition: each record read again (it may have
// changed since the index was read) and sent only if it still matches and passes the filter.
PartitionWalk QueryWalk(txn::Engine& engine, txn::QueryMatches matches) {
  struct Shared {
    std::vector<std::pair<uint32_t, base::Digest>> by_partition;
    std::function<bool(const record::Record&)> still_matches;
  };
  auto shared = std::make_shared<Shared>();
  shared->by_partition.reserve(matches.digests.size());
  for (const base::Digest& d : matches.digests) {
    shared->by_partition.emplace_back(base::PartitionOf(d), d);
  }
  std::sort(shared->by_partition.begin(), shared->by_partition.end());
  shared->still_matches = std::move(matches.still_matches);
  return [&engine, shared](const txn::ScanOptions& opts, uint32_t partition,
                           const std::optional<base::Digest>& after,
                           absl::FunctionRef<bool(const txn::ScannedRecord&)> fn) {
    const auto& all = shared->by_partition;
    auto it = std::lower_bound(all.begin(), all.end(), std::make_pair(partition, base::Digest{}));
    record::Record projected;
    bool more = true;
    for (; more && it != all.end() && it->first == partition; ++it) {
      if (after && it->second <= *after) continue;
      engine.ReadForQuery(opts, it->second, [&](const txn::ScannedRecord& r) {
        if (!shared->still_matches(*r.record)) return;
        txn::ScannedRecord shown = r;
        if (opts.metadata_only) {
          shown.record = nullptr;
        } else if (!opts.bins.empty()) {
          projected.bins.clear();
          projected.key = r.record->key;
          for (const std::string& name : opts.bins) {
            if (const record::Bin* b = r.record->Find(name)) projected.bins.push_back(*b);
          }
          shown.record = &projected;
        }
        more = fn(shown);
      });
    }
    return absl::OkStatus();
  };
}

template <typename T>
class FailedWriter final : public grpc::ServerWriteReactor<T> {
 public:
  explicit FailedWriter(grpc::Status s) { this->Finish(std::move(s)); }
  void OnDone() override { delete this; }
};

}  // namespace

// ---- partition-map watch --------------------------------------------------------------------

// Sends the current map, then a new one whenever the partition generation changes (a
// membership or ownership change), until the client cancels or the service stops.
class KvService::WatchReactor final : public grpc::ServerWriteReactor<v1::PartitionMap> {
 public:
  explicit WatchReactor(KvService& svc) : svc_(svc) {
    map_ = svc_.CurrentMap();
    std::lock_guard lock(mu_);
    writing_ = true;
    StartWrite(&map_);
  }
  // The map may have changed: send it if its generation differs from the last one sent.
  void Push() {
    std::lock_guard lock(mu_);
    pending_ = true;
    MaybeWriteLocked();
  }
  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) cancelled_ = true;
    MaybeWriteLocked();
    MaybeFinishLocked();
  }
  void OnCancel() override { Stop(); }
  void OnDone() override {
    {
      std::lock_guard lock(svc_.watch_mu_);
      svc_.watches_.erase(this);
    }
    delete this;
  }
  void Stop() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    MaybeFinishLocked();
  }

 private:
  void MaybeWriteLocked() {
    if (!pending_ || writing_ || cancelled_) return;
    pending_ = false;
    v1::PartitionMap next = svc_.CurrentMap();
    if (next.generation() == map_.generation()) return;
    map_ = std::move(next);
    writing_ = true;
    StartWrite(&map_);
  }
  void MaybeFinishLocked() {
    if (cancelled_ && !writing_ && !finished_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  KvService& svc_;
  v1::PartitionMap map_;
  std::mutex mu_;
  bool writing_ = false;
  bool pending_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
};

KvService::KvService(txn::Engine& engine, InfoCommands& info, NodeIdentity node,
                     KvServiceOptions options, udf::ModuleRegistry* modules,
                     query::IndexCatalog* indexes)
    : engine_(engine),
      info_(info),
      node_(std::move(node)),
      options_(std::move(options)),
      modules_(modules),
      indexes_(indexes),
      sql_(engine, info, indexes, modules) {
  SetMessageAllocatorFor_Get(&get_messages_);
  SetMessageAllocatorFor_Put(&put_messages_);
  SetMessageAllocatorFor_Delete(&delete_messages_);
  SetMessageAllocatorFor_Exists(&exists_messages_);
  SetMessageAllocatorFor_Touch(&touch_messages_);
  SetMessageAllocatorFor_Operate(&operate_messages_);
  map_watcher_ = std::jthread([this](std::stop_token stop) { WatchMap(stop); });
}

KvService::~KvService() { CancelWatches(); }

void KvService::CancelWatches() {
  map_watcher_.request_stop();
  if (map_watcher_.joinable()) map_watcher_.join();
  // Held throughout: OnDone (which erases and deletes a reactor) waits for it, so no reactor
  // is deleted while being stopped.
  std::lock_guard lock(watch_mu_);
  stopping_ = true;
  for (WatchReactor* w : watches_) w->Stop();
}

void KvService::WatchMap(std::stop_token stop) {
  // Polled rather than hooked into membership: a tenth of a second is well within what a
  // smart client needs, and it covers every cause of a new generation alike.
  uint64_t last = info_.cluster().Generation();
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  while (!stop.stop_requested()) {
    cv.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; });
    if (stop.stop_requested()) break;
    const uint64_t now = info_.cluster().Generation();
    if (now == last) continue;
    last = now;
    std::lock_guard watches(watch_mu_);
    for (WatchReactor* w : watches_) w->Push();
  }
}

v1::PartitionMap KvService::CurrentMap() const {
  v1::PartitionMap map;
  // Changes with every view or partition-table change, as partition-generation.
  map.set_generation(info_.cluster().Generation());
  auto view = info_.cluster().View();
  if (!view) {
    // A cluster of one: this node owns every partition.
    v1::Node* self = map.add_nodes();
    self->set_name(node_.name);
    self->set_grpc_address(options_.grpc_address);
    self->set_service_address(absl::StrCat(node_.service_address, ":", node_.service_port));
    for (const auto& n : engine_.catalog().namespaces()) {
      v1::NamespacePartitions* np = map.add_namespaces();
      np->set_namespace_(n->name());
      np->set_copies(1);
      np->mutable_owners()->Resize(base::kPartitionCount, 0);
    }
    return map;
  }
  for (size_t i = 0; i < view->members.size(); ++i) {
    v1::Node* node = map.add_nodes();
    node->set_name(base::NodeName(view->members[i].id));
    node->set_grpc_address(view->addresses[i].grpc);
    node->set_service_address(view->addresses[i].service);
  }
  for (const auto& [name, table] : view->tables) {
    v1::NamespacePartitions* np = map.add_namespaces();
    np->set_namespace_(name);
    np->set_copies(table.copies);
    // Acting master first, as the wire protocol's `replicas` answers.
    for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
      for (uint8_t m : table.ClientOrder(p)) np->add_owners(m);
    }
  }
  return map;
}

grpc::ServerUnaryReactor* KvService::Get(Ctx* ctx, const v1::GetRequest* in, v1::Record* out) {
  txn::Request req;
  if (absl::Status s = FillKey(in->key(), &req); !s.ok()) return Reply(ctx, s);
  if (absl::Status s = FillReadBins(in->bins(), &req); !s.ok()) return Reply(ctx, s);
  req.read_touch_ttl_pct = in->policy().read_touch_ttl_percent();
  if (absl::Status s = FillFilter(in->policy().filter_expression(), &req.filter); !s.ok())
    return Reply(ctx, s);
  txn::Response resp = engine_.Execute(req);
  if (absl::Status s = ErrorOf(resp); !s.ok()) return Reply(ctx, s);
  return Reply(ctx, FillRecord(resp, out));
}

grpc::ServerUnaryReactor* KvService::Put(Ctx* ctx, const v1::PutRequest* in,
                                         v1::WriteResponse* out) {
  txn::Request req;
  req.command = txn::Command::kWrite;
  if (absl::Status s = FillKey(in->key(), &req); !s.ok()) return Reply(ctx, s);
  if (absl::Status s = FillWritePolicy(in->policy(), &req); !s.ok()) return Reply(ctx, s);
  if (in->bins().empty()) return Reply(ctx, MakeError(ResultCode::kParameterError, "no bins"));
  req.ops.reserve(in->bins_size());
  for (const v1::Bin& b : in->bins()) {
    if (absl::Status s = CheckBinName(b.name()); !s.ok()) return Reply(ctx, s);
    auto value = ValueFromProto(b.value());
    if (!value.ok()) return Reply(ctx, value.status());
    req.ops.push_back(txn::Op{txn::OpType::kWrite, b.name(), std::move(*value)});
  }
  txn::Response resp = engine_.Execute(req);
  if (absl::Status s = ErrorOf(resp); !s.ok()) return Reply(ctx, s);
  out->set_generation(resp.generation);
  out->set_ttl(TtlOf(resp.void_time));
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::Delete(Ctx* ctx, const v1::DeleteRequest* in,
                                            v1::DeleteResponse* out) {
  txn::Request req;
  req.command = txn::Command::kDelete;
  if (absl::Status s = FillKey(in->key(), &req); !s.ok()) return Reply(ctx, s);
  if (absl::Status s = FillWritePolicy(in->policy(), &req); !s.ok()) return Reply(ctx, s);
  txn::Response resp = engine_.Execute(req);
  if (resp.result == ResultCode::kRecordNotFound) {
    out->set_existed(false);  // deleting nothing is not an error for this API
    return Reply(ctx, absl::OkStatus());
  }
  if (absl::Status s = ErrorOf(resp); !s.ok()) return Reply(ctx, s);
  out->set_existed(true);
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::Exists(Ctx* ctx, const v1::ExistsRequest* in,
                                            v1::ExistsResponse* out) {
  txn::Request req;
  req.command = txn::Command::kRead;
  req.metadata_only = true;
  if (absl::Status s = FillKey(in->key(), &req); !s.ok()) return Reply(ctx, s);
  txn::Response resp = engine_.Execute(req);
  if (resp.result == ResultCode::kRecordNotFound) {
    out->set_exists(false);
    return Reply(ctx, absl::OkStatus());
  }
  if (absl::Status s = ErrorOf(resp); !s.ok()) return Reply(ctx, s);
  out->set_exists(true);
  out->set_generation(resp.generation);
  out->set_ttl(TtlOf(resp.void_time));
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::Touch(Ctx* ctx, const v1::TouchRequest* in,
                                           v1::WriteResponse* out) {
  txn::Request req;
  req.command = txn::Command::kWrite;
  if (absl::Status s = FillKey(in->key(), &req); !s.ok()) return Reply(ctx, s);
  if (absl::Status s = FillWritePolicy(in->policy(), &req); !s.ok()) return Reply(ctx, s);
  req.exists_action = txn::ExistsAction::kUpdateOnly;  // touching nothing is "not found"
  req.ops.push_back(txn::Op{txn::OpType::kTouch, "", {}});
  txn::Response resp = engine_.Execute(req);
  if (absl::Status s = ErrorOf(resp); !s.ok()) return Reply(ctx, s);
  out->set_generation(resp.generation);
  out->set_ttl(TtlOf(resp.void_time));
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::Operate(Ctx* ctx, const v1::OperateRequest* in,
                                             v1::Record* out) {
  txn::Request req;
  if (absl::Status s = BuildOperate(*in, &req); !s.ok()) return Reply(ctx, s);
  txn::Response resp = engine_.Execute(req);
  if (absl::Status s = ErrorOf(resp); !s.ok()) return Reply(ctx, s);
  return Reply(ctx, FillRecord(resp, out));
}

grpc::ServerUnaryReactor* KvService::BatchGet(Ctx* ctx, const v1::BatchGetRequest* in,
                                              v1::BatchGetResponse* out) {
  if (static_cast<uint32_t>(in->keys_size()) > options_.max_batch_rows) {
    return Reply(ctx, MakeError(ResultCode::kBatchMaxRequests,
                                absl::StrCat("more than ", options_.max_batch_rows, " keys")));
  }
  // Rows that do not build answer their own code; the rest run as one engine batch.
  std::shared_ptr<const record::Expression> filter;
  if (absl::Status s = FillFilter(in->filter_expression(), &filter); !s.ok()) return Reply(ctx, s);
  std::vector<txn::Request> reqs(in->keys_size());
  std::vector<absl::Status> bad(in->keys_size());
  for (int i = 0; i < in->keys_size(); ++i) {
    txn::Request& r = reqs[i];
    r.filter = filter;
    bad[i] = FillKey(in->keys(i), &r);
    if (bad[i].ok()) bad[i] = FillReadBins(in->bins(), &r);
    r.metadata_only = in->metadata_only();
    if (r.metadata_only) {
      r.read_all_bins = false;
      r.ops.clear();
    }
  }
  std::vector<txn::Response> resps = engine_.ExecuteBatch(reqs);
  for (int i = 0; i < in->keys_size(); ++i) {
    v1::BatchRecord* row = out->add_records();
    if (!bad[i].ok()) {
      row->set_result_code(static_cast<uint32_t>(base::ResultCodeOf(bad[i])));
      continue;
    }
    row->set_result_code(static_cast<uint32_t>(resps[i].result));
    if (resps[i].result != ResultCode::kOk) continue;
    *row->mutable_record()->mutable_key() = in->keys(i);
    if (absl::Status s = FillRecord(resps[i], row->mutable_record()); !s.ok()) {
      return Reply(ctx, s);
    }
  }
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::BatchOperate(Ctx* ctx, const v1::BatchOperateRequest* in,
                                                  v1::BatchOperateResponse* out) {
  if (static_cast<uint32_t>(in->requests_size()) > options_.max_batch_rows) {
    return Reply(ctx, MakeError(ResultCode::kBatchMaxRequests,
                                absl::StrCat("more than ", options_.max_batch_rows, " rows")));
  }
  std::vector<txn::Request> reqs(in->requests_size());
  std::vector<absl::Status> bad(in->requests_size());
  for (int i = 0; i < in->requests_size(); ++i) bad[i] = BuildOperate(in->requests(i), &reqs[i]);
  // Only the rows that built run; the others answer their own code, in request order.
  std::vector<txn::Request> good;
  std::vector<int> good_index;
  for (int i = 0; i < in->requests_size(); ++i) {
    if (bad[i].ok()) {
      good.push_back(std::move(reqs[i]));
      good_index.push_back(i);
    }
  }
  std::vector<txn::Response> resps = engine_.ExecuteBatch(good);
  std::vector<const txn::Response*> by_row(in->requests_size(), nullptr);
  for (size_t j = 0; j < good_index.size(); ++j) by_row[good_index[j]] = &resps[j];
  for (int i = 0; i < in->requests_size(); ++i) {
    v1::BatchRecord* row = out->add_records();
    if (!bad[i].ok()) {
      row->set_result_code(static_cast<uint32_t>(base::ResultCodeOf(bad[i])));
      continue;
    }
    const txn::Response& resp = *by_row[i];
    row->set_result_code(static_cast<uint32_t>(resp.result));
    if (resp.result != ResultCode::kOk) continue;
    *row->mutable_record()->mutable_key() = in->requests(i).key();
    if (absl::Status s = FillRecord(resp, row->mutable_record()); !s.ok()) return Reply(ctx, s);
  }
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerWriteReactor<v1::ScanResponse>* KvService::Scan(Ctx* ctx, const v1::ScanRequest* in) {
  txn::ScanOptions opts;
  absl::StatusOr<PartitionWalk> walk =
      PartitionWalk([this](const txn::ScanOptions& o, uint32_t partition,
                           const std::optional<base::Digest>& after,
                           absl::FunctionRef<bool(const txn::ScannedRecord&)> fn) {
        return engine_.ScanPartition(o, partition, after, fn);
      });
  if (absl::Status s = FillStreamOptions(engine_, in->namespace_(), in->set(), in->bins(),
                                         in->metadata_only(), in->filter_expression(), &opts);
      !s.ok()) {
    walk = s;
  }
  return new RecordStreamReactor(ctx, std::move(opts), in->max_records(), in->partitions(),
                                 std::move(walk));
}

// The index is read once, when the call starts; each record is read again as it is sent.
grpc::ServerWriteReactor<v1::ScanResponse>* KvService::Query(Ctx* ctx, const v1::QueryRequest* in) {
  txn::ScanOptions opts;
  auto walk = [&]() -> absl::StatusOr<PartitionWalk> {
    if (absl::Status s = FillStreamOptions(engine_, in->namespace_(), in->set(), in->bins(),
                                           in->metadata_only(), in->filter_expression(), &opts);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<query::IndexQuery> q = IndexQueryOf(*in);
    if (!q.ok()) return q.status();
    absl::StatusOr<txn::QueryMatches> matches = query::IndexMatches(engine_.catalog(), *q);
    if (!matches.ok()) return matches.status();
    return QueryWalk(engine_, *std::move(matches));
  }();
  return new RecordStreamReactor(ctx, std::move(opts), in->max_records(), in->partitions(),
                                 std::move(walk));
}

grpc::ServerUnaryReactor* KvService::ApplyUdf(Ctx* ctx, const v1::ApplyUdfRequest* in,
                                              v1::ApplyUdfResponse* out) {
  txn::Request req;
  req.command = txn::Command::kUdf;
  if (absl::Status s = FillKey(in->key(), &req); !s.ok()) return Reply(ctx, s);
  if (absl::Status s = FillWritePolicy(in->policy(), &req); !s.ok()) return Reply(ctx, s);
  if (in->module().empty() || in->function().empty()) {
    return Reply(ctx,
                 MakeError(ResultCode::kParameterError, "a UDF needs a module and a function"));
  }
  req.udf_module = in->module();
  req.udf_function = in->function();
  req.udf_args.reserve(in->args_size());
  for (const v1::Value& a : in->args()) {
    auto value = ValueFromProto(a);
    if (!value.ok()) return Reply(ctx, value.status());
    req.udf_args.push_back(std::move(*value));
  }
  txn::Response resp = engine_.Execute(req);
  // A failing UDF's message (the FAILURE bin) is resp.message: the error text.
  if (absl::Status s = ErrorOf(resp); !s.ok()) return Reply(ctx, s);
  for (const record::Bin& b : resp.bins) {
    if (b.name == "SUCCESS") return Reply(ctx, ValueToProto(b.value, out->mutable_result()));
  }
  return Reply(ctx, absl::OkStatus());
}

namespace {

// The one mapping between the API's index enums and the index layer's (values, not names:
// the proto's are stable numbers, the layer's may grow).
constexpr std::pair<v1::IndexDefinition::Type, index::SindexType> kIndexTypes[] = {
    {v1::IndexDefinition::NUMERIC, index::SindexType::kNumeric},
    {v1::IndexDefinition::STRING, index::SindexType::kString},
    {v1::IndexDefinition::BLOB, index::SindexType::kBlob},
    {v1::IndexDefinition::GEO2DSPHERE, index::SindexType::kGeo2dSphere}};
constexpr std::pair<v1::IndexDefinition::Collection, index::SindexCollection> kCollections[] = {
    {v1::IndexDefinition::DEFAULT, index::SindexCollection::kDefault},
    {v1::IndexDefinition::LIST, index::SindexCollection::kList},
    {v1::IndexDefinition::MAPKEYS, index::SindexCollection::kMapKeys},
    {v1::IndexDefinition::MAPVALUES, index::SindexCollection::kMapValues}};

absl::Status SindexDefOf(const v1::IndexDefinition& in, index::SindexDef* out) {
  out->ns = in.namespace_();
  out->set = in.set();
  out->name = in.name();
  out->bin = in.bin();
  const auto* type = std::find_if(std::begin(kIndexTypes), std::end(kIndexTypes),
                                  [&](const auto& t) { return t.first == in.type(); });
  const auto* coll = std::find_if(std::begin(kCollections), std::end(kCollections),
                                  [&](const auto& c) { return c.first == in.collection(); });
  if (type == std::end(kIndexTypes) || coll == std::end(kCollections)) {
    return MakeError(ResultCode::kParameterError, "unknown index type or collection");
  }
  out->type = type->second;
  out->collection = coll->second;
  return absl::OkStatus();
}

// False for indexes the API cannot describe (set and expression indexes, CDT contexts): they
// are created through the info protocol and listed there.
bool IndexDefinitionOf(const index::SindexDef& d, v1::IndexDefinition* out) {
  const auto* type = std::find_if(std::begin(kIndexTypes), std::end(kIndexTypes),
                                  [&](const auto& t) { return t.second == d.type; });
  const auto* coll = std::find_if(std::begin(kCollections), std::end(kCollections),
                                  [&](const auto& c) { return c.second == d.collection; });
  if (type == std::end(kIndexTypes) || coll == std::end(kCollections) || d.bin.empty() ||
      !d.context.empty() || !d.expression.empty()) {
    return false;
  }
  out->set_namespace_(d.ns);
  out->set_set(d.set);
  out->set_name(d.name);
  out->set_bin(d.bin);
  out->set_type(type->first);
  out->set_collection(coll->first);
  return true;
}

}  // namespace

grpc::ServerUnaryReactor* KvService::CreateIndex(Ctx* ctx, const v1::CreateIndexRequest* in,
                                                 v1::CreateIndexResponse*) {
  if (!indexes_) return Reply(ctx, MakeError(ResultCode::kUnsupportedFeature, "no indexes here"));
  index::SindexDef def;
  if (absl::Status s = SindexDefOf(in->index(), &def); !s.ok()) return Reply(ctx, s);
  return Reply(ctx, indexes_->Create(def));
}

grpc::ServerUnaryReactor* KvService::DropIndex(Ctx* ctx, const v1::DropIndexRequest* in,
                                               v1::DropIndexResponse*) {
  if (!indexes_) return Reply(ctx, MakeError(ResultCode::kUnsupportedFeature, "no indexes here"));
  return Reply(ctx, indexes_->Drop(in->namespace_(), in->name()));
}

grpc::ServerUnaryReactor* KvService::ListIndexes(Ctx* ctx, const v1::ListIndexesRequest* in,
                                                 v1::ListIndexesResponse* out) {
  if (!in->namespace_().empty() && !engine_.catalog().Find(in->namespace_())) {
    return Reply(ctx, MakeError(ResultCode::kNamespaceNotFound,
                                absl::StrCat("namespace ", in->namespace_(), " not found")));
  }
  for (const auto& n : engine_.catalog().namespaces()) {
    if (!in->namespace_().empty() && n->name() != in->namespace_()) continue;
    auto all = n->sindexes();
    if (!all) continue;
    for (const auto& i : *all) {
      if (i->dropped()) continue;
      v1::IndexDefinition d;
      if (!IndexDefinitionOf(i->def(), &d)) continue;
      d.set_load_pct(i->load_pct());
      d.set_entries(i->entries());
      *out->add_indexes() = std::move(d);
    }
  }
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::RegisterUdf(Ctx* ctx, const v1::RegisterUdfRequest* in,
                                                 v1::RegisterUdfResponse* out) {
  if (!modules_) {
    return Reply(ctx, MakeError(ResultCode::kUnsupportedFeature, "this node runs no UDFs"));
  }
  udf::CompileError error;
  absl::Status s = modules_->Put(in->filename(), in->source(), &error);
  if (base::ResultCodeOf(s) == ResultCode::kUdfError) {
    // A bad source is the caller's mistake: INVALID_ARGUMENT, but result code 100 as the info
    // protocol's udf-put answers it.
    return Reply(ctx, MakeError(ResultCode::kUdfError, CompileErrorText(error)),
                 grpc::StatusCode::INVALID_ARGUMENT);
  }
  if (!s.ok()) return Reply(ctx, s);
  // Read back for the hash; a concurrent remove leaves it empty.
  if (auto m = modules_->Get(in->filename())) out->set_hash(m->hash);
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::ListUdfs(Ctx* ctx, const v1::ListUdfsRequest* in,
                                              v1::ListUdfsResponse* out) {
  if (!modules_) {
    return Reply(ctx, MakeError(ResultCode::kUnsupportedFeature, "this node runs no UDFs"));
  }
  for (const udf::Module& m : modules_->List()) {
    v1::UdfModule* pm = out->add_modules();
    pm->set_filename(m.filename);
    pm->set_name(m.name);
    pm->set_hash(m.hash);
  }
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::RemoveUdf(Ctx* ctx, const v1::RemoveUdfRequest* in,
                                               v1::RemoveUdfResponse* out) {
  if (!modules_) {
    return Reply(ctx, MakeError(ResultCode::kUnsupportedFeature, "this node runs no UDFs"));
  }
  if (!udf::ModuleRegistry::ValidFilename(in->filename())) {
    return Reply(ctx, MakeError(ResultCode::kParameterError, "invalid module file name"));
  }
  out->set_existed(modules_->Get(in->filename()).has_value());
  return Reply(ctx, modules_->Remove(in->filename()));
}

grpc::ServerUnaryReactor* KvService::Info(Ctx* ctx, const v1::InfoRequest* in,
                                          v1::InfoResponse* out) {
  static constexpr const char* kSummary[] = {
      "node", "edition", "build", "version", "namespaces", "partition-generation", "cluster-name"};
  auto& values = *out->mutable_values();
  if (in->commands().empty()) {
    for (const char* name : kSummary) values[name] = info_.Answer(name);
  } else {
    for (const std::string& c : in->commands()) values[c] = info_.Answer(c);
  }
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* KvService::GetPartitionMap(Ctx* ctx, const v1::PartitionMapRequest* in,
                                                     v1::PartitionMap* out) {
  *out = CurrentMap();
  return Reply(ctx, absl::OkStatus());
}

grpc::ServerWriteReactor<v1::PartitionMap>* KvService::WatchPartitionMap(
    Ctx* ctx, const v1::PartitionMapRequest* in) {
  std::lock_guard lock(watch_mu_);
  if (stopping_) {
    return new FailedWriter<v1::PartitionMap>(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is stopping"));
  }
  auto* w = new WatchReactor(*this);
  watches_.insert(w);
  return w;
}

grpc::ServerUnaryReactor* KvService::Sql(Ctx* ctx, const v1::SqlRequest* in, v1::SqlResponse* out) {
  return Reply(ctx, sql_.Run(in->statement(), out));
}

}  // namespace tern::api
