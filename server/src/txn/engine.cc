#include "txn/engine.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/strings.h"
#include "cluster/cluster.h"
#include "record/bit_operation.h"
#include "record/cdt_operation.h"
#include "record/expression.h"
#include "record/hll_operation.h"
#include "smd/metadata_store.h"
#include "storage/record_ref.h"
#include "txn/proxy_codec.h"
#include "udf/lua_runtime.h"

namespace tern::txn {

using base::Absl;
using base::MakeError;
using base::ResultCode;
using record::ParticleType;
using record::Value;

bool IsReadOp(OpType t) {
  switch (t) {
    case OpType::kRead:
    case OpType::kCdtRead:
    case OpType::kExpRead:
    case OpType::kBitRead:
    case OpType::kHllRead:
      return true;
    default:
      return false;
  }
}

namespace {

constexpr std::string_view kTruncateModule = "truncate";

Response Fail(ResultCode code, std::string message = {}) {
  Response r;
  r.result = code;
  r.message = message.empty() ? std::string(base::ResultCodeName(code)) : std::move(message);
  return r;
}

OpKind KindOf(const Request& req) {
  switch (req.command) {
    case Command::kRead:
      return req.metadata_only ? OpKind::kExists
             : req.ops.empty() ? OpKind::kRead
                               : OpKind::kOperate;
    case Command::kDelete:
      return OpKind::kDelete;
    case Command::kUdf:
      return OpKind::kUdf;
    case Command::kWrite:
      break;
  }
  bool any_read = false, only_touch = true;
  for (const Op& op : req.ops) {
    any_read = any_read || IsReadOp(op.type);
    only_touch = only_touch && op.type == OpType::kTouch;
  }
  if (any_read) return OpKind::kOperate;
  return only_touch && !req.ops.empty() ? OpKind::kTouch : OpKind::kWrite;
}

absl::Status ReadCurrent(ns::Namespace& ns, const base::Digest& digest, bool need_body,
                         uint32_t now, Current* cur) {
  storage::StorageEngine& engine = ns.storage();
  const bool pin = need_body && engine.in_memory();
  cur->entry = ns.index().Read(digest, [&](const index::IndexEntry& e) {
    cur->meta = index::MetaOf(e);
    if (pin) cur->rec = engine.Pin(e.storage_handle);
  });
  cur->exists = cur->entry && ns.IsLive(cur->meta, now);
  if (!cur->exists || !need_body || engine.in_memory()) return absl::OkStatus();
  record::StoredMeta stored;
  absl::Status s = engine.Load(base::PartitionOf(digest), digest, &stored, &cur->rec);
  if (base::ResultCodeOf(s) == ResultCode::kRecordNotFound) {
    cur->exists = false;  // deleted between the index read and the device read
    return absl::OkStatus();
  }
  if (!s.ok()) return s;
  // The stored copy and its metadata were written together; prefer them over the index's.
  cur->meta.generation = stored.generation;
  cur->meta.void_time = stored.void_time;
  cur->meta.last_update_ms = stored.last_update_ms;
  return absl::OkStatus();
}

void AppendAllBins(const record::Record& rec, std::vector<record::Bin>* out) {
  out->insert(out->end(), rec.bins.begin(), rec.bins.end());
}

// An op's answer goes into the response when it has one, or as a null entry when the client
// asked for one entry per op.
void AppendOpResult(const Op& op, Value result, bool respond_all_ops,
                    std::vector<record::Bin>* out) {
  if (!result.is_null() || respond_all_ops) out->push_back(record::Bin{op.bin, std::move(result)});
}

// List and map operations (wire ops 3 and 4) live in record/cdt_operation.h, bit operations
// on blobs (12 and 13) in record/bit_operation.h, HyperLogLog operations (15 and 16) in
// record/hll_operation.h: all read or change one bin in place.
bool IsBinRead(OpType t) {
  return t == OpType::kCdtRead || t == OpType::kBitRead || t == OpType::kHllRead;
}
bool IsBinModify(OpType t) {
  return t == OpType::kCdtModify || t == OpType::kBitModify || t == OpType::kHllModify;
}

// What path filters in list/map ops see: the record's bins (as the earlier ops left them).
record::ExpRecord BinsView(const record::Record& rec) {
  record::ExpRecord r;
  r.rec = &rec;
  return r;
}

absl::StatusOr<Value> CdtReadOp(const Op& op, const record::Record& rec) {
  static const Value kAbsent;  // a missing bin reads as null, without copying a present one
  const record::Bin* b = rec.Find(op.bin);
  const Value& bin = b ? b->value : kAbsent;
  if (op.type == OpType::kBitRead) return record::BitRead(op.value.bytes(), bin);
  if (op.type == OpType::kHllRead) return record::HllRead(op.value.bytes(), bin);
  return record::CdtRead(op.value.bytes(), bin, BinsView(rec));
}

absl::StatusOr<Value> CdtModifyOp(const Op& op, record::Record* rec) {
  if (op.bin.empty()) return MakeError(ResultCode::kBinNameError, "empty bin name");
  const record::Bin* b = rec->Find(op.bin);
  Value bin = b ? b->value : Value();
  absl::StatusOr<Value> result = Value();  // bit modify ops answer nothing
  if (op.type == OpType::kBitModify) {
    if (absl::Status s = record::BitModify(op.value.bytes(), &bin); !s.ok()) result = s;
  } else if (op.type == OpType::kHllModify) {
    result = record::HllModify(op.value.bytes(), &bin);
  } else {
    result = record::CdtModify(op.value.bytes(), &bin, BinsView(*rec));
  }
  if (result.ok() && !bin.is_null()) rec->Set(op.bin, std::move(bin));
  return result;
}

// What expressions see of a record: `body` (the stored version, or the one being built by a
// write) with the stored version's metadata.
record::ExpRecord ExpView(const ns::Namespace& ns, const base::Digest& digest,
                          const index::RecordMeta& meta, std::string_view set_name,
                          const record::Record* body, uint32_t now) {
  record::ExpRecord r;
  r.rec = body;
  r.digest = &digest;
  r.set_name = set_name;
  r.void_time = meta.void_time;
  r.last_update_ms = meta.last_update_ms;
  r.stored_size = meta.stored_size;
  r.in_memory = ns.storage().in_memory();
  r.now = now;
  r.now_unix_ms = base::NowUnixMs();
  return r;
}

std::string SetNameOf(ns::Namespace& ns, uint16_t set_id) {
  const ns::SetInfo* s = ns.sets().Get(set_id);
  return s ? s->name : std::string();
}

// The filter check for an existing record.
bool PassesFilter(ns::Namespace& ns, const Request& req, const Current& cur, uint32_t now) {
  if (!req.filter) return true;
  const std::string set = SetNameOf(ns, cur.meta.set_id);
  return req.filter->Matches(ExpView(ns, req.digest, cur.meta, set, &*cur.rec, now));
}

// Applies one modifying op to `rec`. Read ops are handled by the caller.
absl::Status ApplyWriteOp(const Op& op, record::Record* rec) {
  if (op.bin.size() > record::kMaxBinNameLength) {
    return MakeError(ResultCode::kBinNameError,
                     absl::StrCat("bin name '", op.bin, "' is longer than 15 bytes"));
  }
  switch (op.type) {
    case OpType::kWrite:
      if (op.bin.empty()) return MakeError(ResultCode::kBinNameError, "empty bin name");
      // HLL operations trust the stored sketch's layout, so a put must carry a valid one.
      if (op.value.type() == ParticleType::kHll && !record::IsValidHll(op.value.bytes())) {
        return MakeError(ResultCode::kParameterError, "malformed HLL value");
      }
      rec->Set(op.bin, op.value);
      return absl::OkStatus();
    case OpType::kIncr: {
      const ParticleType t = op.value.type();
      if (t != ParticleType::kInteger && t != ParticleType::kFloat) {
        return MakeError(ResultCode::kParameterError, "increment takes an integer or a double");
      }
      record::Bin* bin = rec->Find(op.bin);
      if (!bin) {
        rec->Set(op.bin, op.value);
        return absl::OkStatus();
      }
      if (bin->value.type() != t) {
        return MakeError(
            ResultCode::kBinIncompatibleType,
            absl::StrCat("cannot increment a ", Absl(record::ParticleTypeName(bin->value.type())),
                         " bin by a ", Absl(record::ParticleTypeName(t))));
      }
      if (t == ParticleType::kInteger) {
        // Two's-complement wrap, as Aerospike.
        bin->value =
            Value::Integer(static_cast<int64_t>(static_cast<uint64_t>(bin->value.integer()) +
                                                static_cast<uint64_t>(op.value.integer())));
      } else {
        bin->value = Value::Double(bin->value.dbl() + op.value.dbl());
      }
      return absl::OkStatus();
    }
    case OpType::kAppend:
    case OpType::kPrepend: {
      const ParticleType t = op.value.type();
      if (t != ParticleType::kString && t != ParticleType::kBlob) {
        return MakeError(ResultCode::kParameterError, "append/prepend take a string or a blob");
      }
      record::Bin* bin = rec->Find(op.bin);
      if (!bin) {
        rec->Set(op.bin, op.value);
        return absl::OkStatus();
      }
      if (bin->value.type() != t) {
        return MakeError(
            ResultCode::kBinIncompatibleType,
            absl::StrCat("cannot append a ", Absl(record::ParticleTypeName(t)), " to a ",
                         Absl(record::ParticleTypeName(bin->value.type())), " bin"));
      }
      std::string s = op.type == OpType::kAppend ? bin->value.bytes() + op.value.bytes()
                                                 : op.value.bytes() + bin->value.bytes();
      bin->value = Value::FromBytes(t, std::move(s));
      return absl::OkStatus();
    }
    case OpType::kTouch:
      return absl::OkStatus();
    default:
      return MakeError(
          ResultCode::kUnsupportedFeature,
          absl::StrCat("operation type ", static_cast<int>(op.type), " is not supported yet"));
  }
}

// Void time for a write (0 = never expires), or an error for a TTL the namespace refuses.
absl::StatusOr<uint32_t> VoidTimeFor(const ns::Namespace& ns, const Request& req, uint16_t set_id,
                                     const Current& cur, uint32_t now) {
  int64_t ttl = req.ttl;
  if (ttl == kTtlKeep) return cur.exists ? cur.meta.void_time : 0u;  // new records: never
  if (ttl == kTtlDefault) ttl = ns.DefaultTtl(set_id);
  if (ttl == kTtlNever || ttl == 0) return 0u;
  if (ttl < 0 || ttl > kMaxTtlSeconds) {
    return MakeError(ResultCode::kParameterError, absl::StrCat("invalid TTL ", req.ttl));
  }
  if (ns.policy().nsup_period_sec.load() == 0) {
    return MakeError(ResultCode::kForbidden,
                     "records with a TTL need the expiration sweeper (nsup_period_sec > 0)");
  }
  return now + static_cast<uint32_t>(ttl);
}

}  // namespace

Engine::Engine(ns::Catalog& catalog, TxnMetrics* metrics, udf::LuaRuntime* udf)
    : catalog_(catalog), metrics_(metrics), udf_(udf) {}

Response Engine::Execute(const Request& req) {
  if (cluster_) {
    // Reads may run on any owner with a complete copy; writes (and reads that may touch)
    // run on the acting master, which replicates them.
    const bool write = req.command != Command::kRead || req.read_touch_ttl_pct > 0;
    cluster::Route route = cluster_->RouteOf(req.ns, base::PartitionOf(req.digest), write);
    if (route.kind == cluster::Route::kUnavailable) {
      return Fail(ResultCode::kPartitionUnavailable, "this node has not joined a cluster yet");
    }
    if (route.kind == cluster::Route::kProxy) {
      fabric::v1::ProxyReply reply;
      if (absl::Status s = cluster_->Proxy(route.fabric_address, ToProxy(req), &reply); !s.ok()) {
        return Fail(base::ResultCodeOf(s), std::string(s.message()));
      }
      return FromProxyReply(reply);
    }
  }
  return ExecuteLocal(req);
}

void Engine::ExecuteProxied(const fabric::v1::ProxyRequest& in, fabric::v1::ProxyReply* reply) {
  auto req = FromProxy(in);
  if (!req.ok()) {
    ToProxyReply(Fail(base::ResultCodeOf(req.status()), std::string(req.status().message())),
                 reply);
    return;
  }
  ToProxyReply(ExecuteLocal(*req), reply);
}

Response Engine::ExecuteLocal(const Request& req) {
  const int64_t start = base::MonotonicNs();
  ns::Namespace* ns = catalog_.Find(req.ns);
  Response resp;
  if (!ns) {
    resp = Fail(ResultCode::kNamespaceNotFound, absl::StrCat("namespace '", req.ns, "' not found"));
  } else {
    switch (req.command) {
      case Command::kRead:
        resp = Read(*ns, req);
        break;
      case Command::kWrite:
        resp = Write(*ns, req);
        break;
      case Command::kDelete:
        resp = Delete(*ns, req);
        break;
      case Command::kUdf:
        resp = ApplyUdf(*ns, req);
        break;
    }
  }
  if (metrics_) {
    metrics_->Record(ns ? catalog_.IndexOf(ns) : SIZE_MAX, KindOf(req), resp.result,
                     base::MonotonicNs() - start);
  }
  return resp;
}

std::vector<Response> Engine::ExecuteBatch(std::span<const Request> reqs) {
  std::vector<Response> out;
  out.reserve(reqs.size());
  for (const Request& r : reqs) out.push_back(Execute(r));
  return out;
}

Response Engine::Read(ns::Namespace& ns, const Request& req) {
  for (const Op& op : req.ops) {
    if (!IsReadOp(op.type)) return Fail(ResultCode::kParameterError, "write op in a read command");
    if (op.type != OpType::kRead && !IsBinRead(op.type) && op.type != OpType::kExpRead) {
      return Fail(ResultCode::kUnsupportedFeature, "unknown read operation");
    }
  }
  Current cur;
  const uint32_t now = base::NowEpochSeconds();
  if (absl::Status s = ReadCurrent(ns, req.digest, !req.metadata_only || req.filter, now, &cur);
      !s.ok()) {
    return Fail(base::ResultCodeOf(s), std::string(s.message()));
  }
  if (!cur.exists) return Fail(ResultCode::kRecordNotFound);
  if (!PassesFilter(ns, req, cur, now)) return Fail(ResultCode::kFilteredOut);
  Response resp;
  resp.generation = cur.meta.generation;
  resp.void_time = cur.meta.void_time;
  if (!req.metadata_only) {
    if (req.read_all_bins) AppendAllBins(*cur.rec, &resp.bins);
    for (const Op& op : req.ops) {
      if (IsBinRead(op.type)) {
        absl::StatusOr<Value> r = CdtReadOp(op, *cur.rec);
        if (!r.ok()) return Fail(base::ResultCodeOf(r.status()), std::string(r.status().message()));
        AppendOpResult(op, *std::move(r), req.respond_all_ops, &resp.bins);
      } else if (op.type == OpType::kExpRead) {
        const std::string set = SetNameOf(ns, cur.meta.set_id);
        absl::StatusOr<Value> r = record::ExpRead(
            op.value.bytes(), ExpView(ns, req.digest, cur.meta, set, &*cur.rec, now));
        if (!r.ok()) return Fail(base::ResultCodeOf(r.status()), std::string(r.status().message()));
        AppendOpResult(op, *std::move(r), req.respond_all_ops, &resp.bins);
      } else if (op.bin.empty()) {
        AppendAllBins(*cur.rec, &resp.bins);
      } else if (const record::Bin* b = cur.rec->Find(op.bin)) {
        resp.bins.push_back(*b);
      }
    }
  }
  MaybeReadTouch(ns, req, cur.meta, now);
  return resp;
}

void Engine::MaybeReadTouch(ns::Namespace& ns, const Request& req, const index::RecordMeta& meta,
                            uint32_t now) {
  // Read-touch (an LRU cache on reads): when the record is within `pct` percent of the TTL of
  // its last write from its end of life, the read also touches it with that TTL again. The
  // read itself answers the TTL it found.
  const int32_t pct = req.read_touch_ttl_pct;
  if (pct <= 0 || pct > 100 || meta.void_time == 0) return;
  const int64_t written =
      static_cast<int64_t>(meta.last_update_ms / 1000) - base::kCitrusleafEpochSeconds;
  const int64_t ttl = static_cast<int64_t>(meta.void_time) - written;
  const int64_t remaining = static_cast<int64_t>(meta.void_time) - now;
  if (ttl <= 0 || remaining * 100 >= pct * ttl) return;
  Request touch;
  touch.command = Command::kWrite;
  touch.ns = req.ns;
  touch.set = req.set;
  touch.digest = req.digest;
  touch.exists_action = ExistsAction::kUpdateOnly;
  touch.ttl = ttl;
  touch.ops.push_back(Op{OpType::kTouch, "", {}});
  Write(ns, touch);
}

Response Engine::Write(ns::Namespace& ns, const Request& req) {
  if (req.ops.empty()) return Fail(ResultCode::kParameterError, "write with no operations");
  if (ns.StopWrites()) {
    return Fail(ResultCode::kServerFull,
                absl::StrCat("namespace ", ns.name(), " is at stop-writes"));
  }
  auto set_id = ns.sets().IdFor(req.set);
  if (!set_id.ok())
    return Fail(base::ResultCodeOf(set_id.status()), std::string(set_id.status().message()));
  const base::Digest& digest = req.digest;

  absl::MutexLock lock(&ns.RecordLock(digest));
  const uint32_t now = base::NowEpochSeconds();
  Current cur;
  if (absl::Status s = ReadCurrent(ns, digest, true, now, &cur); !s.ok()) {
    return Fail(base::ResultCodeOf(s), std::string(s.message()));
  }

  // Existence and generation rules come before any op is applied.
  const ExistsAction action = req.exists_action;
  if (cur.exists && action == ExistsAction::kCreateOnly) return Fail(ResultCode::kRecordExists);
  if (!cur.exists &&
      (action == ExistsAction::kUpdateOnly || action == ExistsAction::kReplaceOnly)) {
    return Fail(ResultCode::kRecordNotFound);
  }
  // A missing record counts as generation 0 for the generation checks.
  const uint16_t current_gen = cur.exists ? cur.meta.generation : 0;
  if (req.generation_policy == GenerationPolicy::kEqual && req.generation != current_gen) {
    return Fail(ResultCode::kGenerationError,
                absl::StrCat("generation ", req.generation, " != ", current_gen));
  }
  if (req.generation_policy == GenerationPolicy::kGreater && req.generation <= current_gen) {
    return Fail(ResultCode::kGenerationError,
                absl::StrCat("generation ", req.generation, " <= ", current_gen));
  }
  if (cur.exists && req.key && cur.rec->key && !(*cur.rec->key == *req.key)) {
    return Fail(ResultCode::kKeyMismatch);
  }
  // A filter applies to a record that exists; a create goes ahead.
  if (cur.exists && !PassesFilter(ns, req, cur, now)) return Fail(ResultCode::kFilteredOut);
  const bool replace = action == ExistsAction::kReplace || action == ExistsAction::kReplaceOnly;
  bool touches = false;
  for (const Op& op : req.ops) {
    touches = touches || op.type == OpType::kTouch;
    // Replacing means "these bins and nothing else": ops that build on the old record or
    // delete make no sense with it.
    const bool builds_on_old = op.type != OpType::kWrite && !IsReadOp(op.type);
    if (replace && (builds_on_old || (op.type == OpType::kWrite && op.value.is_null()))) {
      return Fail(ResultCode::kParameterError,
                  "replace cannot be combined with bin deletes or modify operations");
    }
  }
  if (!cur.exists && touches) return Fail(ResultCode::kRecordNotFound);
  if (!cur.exists && cur.entry == false) {
    if (ns::SetInfo* s = ns.sets().Get(*set_id);
        s && s->stop_writes_count > 0 && s->objects.load() >= s->stop_writes_count) {
      return Fail(ResultCode::kForbidden,
                  absl::StrCat("set ", req.set, " is at stop_writes_count"));
    }
  }

  // Build the new version: copy-on-write from the current one unless replacing.
  record::Record next;
  if (cur.exists && !replace) next = *cur.rec;
  if (req.send_key && req.key) {
    next.key = req.key;
  } else if (!cur.exists || replace) {
    next.key.reset();
    if (cur.exists && cur.rec->key) next.key = cur.rec->key;
  }

  Response resp;
  bool deleted = false;
  for (const Op& op : req.ops) {
    if (IsReadOp(op.type)) {
      if (IsBinRead(op.type)) {
        absl::StatusOr<Value> r = CdtReadOp(op, next);
        if (!r.ok()) return Fail(base::ResultCodeOf(r.status()), std::string(r.status().message()));
        AppendOpResult(op, *std::move(r), req.respond_all_ops, &resp.bins);
        continue;
      }
      if (op.type == OpType::kExpRead) {
        absl::StatusOr<Value> r =
            record::ExpRead(op.value.bytes(), ExpView(ns, digest, cur.meta, req.set, &next, now));
        if (!r.ok()) return Fail(base::ResultCodeOf(r.status()), std::string(r.status().message()));
        AppendOpResult(op, *std::move(r), req.respond_all_ops, &resp.bins);
        continue;
      }
      if (op.type != OpType::kRead) {
        return Fail(ResultCode::kUnsupportedFeature, "unknown read operation");
      }
      if (op.bin.empty()) {
        AppendAllBins(next, &resp.bins);
      } else if (const record::Bin* b = next.Find(op.bin)) {
        resp.bins.push_back(*b);
      } else if (req.respond_all_ops) {
        resp.bins.push_back(record::Bin{op.bin, Value()});
      }
      continue;
    }
    if (IsBinModify(op.type)) {
      absl::StatusOr<Value> r = CdtModifyOp(op, &next);
      if (!r.ok()) return Fail(base::ResultCodeOf(r.status()), std::string(r.status().message()));
      AppendOpResult(op, *std::move(r), req.respond_all_ops, &resp.bins);
      continue;
    }
    if (op.type == OpType::kExpModify) {
      if (op.bin.size() > record::kMaxBinNameLength) {
        return Fail(ResultCode::kBinNameError, "bin name is longer than 15 bytes");
      }
      // The expression sees the record as the earlier ops left it.
      const record::Record before = next;
      if (absl::Status s =
              record::ExpModify(op.value.bytes(), op.bin,
                                ExpView(ns, digest, cur.meta, req.set, &before, now), &next);
          !s.ok()) {
        return Fail(base::ResultCodeOf(s), std::string(s.message()));
      }
    } else if (op.type == OpType::kDelete) {
      next.bins.clear();
      deleted = true;
    } else if (absl::Status s = ApplyWriteOp(op, &next); !s.ok()) {
      return Fail(base::ResultCodeOf(s), std::string(s.message()));
    }
    if (req.respond_all_ops) resp.bins.push_back(record::Bin{op.bin, Value()});
  }

  if (absl::Status st =
          Commit(ns, req, cur, std::move(next), *set_id, !cur.exists || deleted, now, &resp);
      !st.ok()) {
    return Fail(base::ResultCodeOf(st), std::string(st.message()));
  }
  return resp;
}

absl::Status Engine::Commit(ns::Namespace& ns, const Request& req, const Current& cur,
                            record::Record next, uint16_t set_id, bool fresh, uint32_t now,
                            Response* resp) {
  const base::Digest& digest = req.digest;
  // A write that leaves no bins removes the record (Aerospike's rule).
  if (next.bins.empty()) {
    if (!cur.exists) return MakeError(ResultCode::kRecordNotFound, "record not found");
    if (cur.entry) {
      const bool sync = req.durable_delete || ns.config().commit_to_device;
      if (absl::Status s = RemoveVersion(ns, digest, cur, sync); !s.ok()) return s;
      if (absl::Status s = Replicate(ns, digest, nullptr, nullptr); !s.ok()) return s;
    }
    resp->generation = 0;
    resp->void_time = 0;
    return absl::OkStatus();
  }

  auto void_time = VoidTimeFor(ns, req, set_id, cur, now);
  if (!void_time.ok()) return void_time.status();
  if (absl::Status s = ns.NoteBinNames(next); !s.ok()) return s;
  if (next.DataSize() > ns.policy().max_record_size.load()) {
    return MakeError(ResultCode::kRecordTooBig,
                     absl::StrCat("record of ", next.DataSize(), " bytes is over max_record_size"));
  }

  uint16_t generation = fresh ? 1 : static_cast<uint16_t>(cur.meta.generation + 1);
  if (generation == 0) generation = 1;  // wraps past 0xffff, never 0
  const uint64_t lut = ns.NextLastUpdateMs(set_id, cur.entry ? cur.meta.last_update_ms : 0);

  record::StoredMeta stored{generation, *void_time, lut, req.set};
  storage::RecordRef body = storage::RecordRef::Make(std::move(next));
  if (absl::Status s = StoreVersion(ns, digest, cur, set_id, stored, body); !s.ok()) return s;
  if (absl::Status s = Replicate(ns, digest, &stored, &*body); !s.ok()) return s;
  resp->generation = generation;
  resp->void_time = *void_time;
  return absl::OkStatus();
}

absl::Status Engine::RemoveVersion(ns::Namespace& ns, const base::Digest& digest,
                                   const Current& cur, bool sync) {
  storage::RecordRef old_body = cur.rec;
  if (!old_body) {
    auto sindexes = ns.sindexes();
    if (sindexes && !sindexes->empty()) old_body = ns.BodyOf(digest);
  }
  // Device first: a failed erase must leave the index agreeing with the device.
  if (absl::Status s = ns.storage().Erase(base::PartitionOf(digest), digest, sync); !s.ok()) {
    return s;
  }
  index::RecordMeta removed{};
  const bool had = ns.index().Remove(digest, [&](const index::IndexEntry& e) {
    removed = index::MetaOf(e);
    return true;
  });
  if (!had) return absl::OkStatus();
  if (old_body) ns.UpdateSindexes(digest, removed.set_id, &*old_body, nullptr);
  ns.storage().Release(removed.storage_handle);
  ns.Account(removed.set_id, -1, -static_cast<int64_t>(removed.stored_size));
  return absl::OkStatus();
}

absl::Status Engine::StoreVersion(ns::Namespace& ns, const base::Digest& digest, const Current& cur,
                                  uint16_t set_id, const record::StoredMeta& meta,
                                  storage::RecordRef body) {
  // Secondary indexes move from the old contents (also of an expired or truncated version
  // still in the index) to the new ones.
  storage::RecordRef old_body = cur.rec;
  if (cur.entry && !old_body) {
    auto sindexes = ns.sindexes();
    if (sindexes && !sindexes->empty()) old_body = ns.BodyOf(digest);
  }
  uint32_t stored_size = 0;
  auto handle = ns.storage().Store(base::PartitionOf(digest), digest, meta, body,
                                   ns.config().commit_to_device, &stored_size);
  if (!handle.ok()) return handle.status();
  const record::Record* before = old_body ? &*old_body : nullptr;
  if (!cur.entry || cur.meta.set_id == set_id) {
    ns.UpdateSindexes(digest, set_id, cur.entry ? before : nullptr, &*body);
  } else {
    ns.UpdateSindexes(digest, cur.meta.set_id, before, nullptr);
    ns.UpdateSindexes(digest, set_id, nullptr, &*body);
  }

  index::RecordMeta old{};
  bool created = false;
  ns.index().Upsert(digest, [&](index::IndexEntry& e, bool is_new) {
    created = is_new;
    if (!is_new) old = index::MetaOf(e);
    index::SetMeta(e, index::RecordMeta{meta.void_time, meta.generation, set_id,
                                        meta.last_update_ms, *handle, stored_size});
  });
  if (!created) {
    ns.storage().Release(old.storage_handle);
    ns.Account(old.set_id, -1, -static_cast<int64_t>(old.stored_size));
  }
  ns.Account(set_id, 1, stored_size);
  return absl::OkStatus();
}

absl::Status Engine::Replicate(ns::Namespace& ns, const base::Digest& digest,
                               const record::StoredMeta* meta, const record::Record* body) {
  if (!cluster_) return absl::OkStatus();
  const std::string image = meta ? record::EncodeRecord(*meta, *body) : std::string();
  return cluster_->Replicate(ns.name(), base::PartitionOf(digest), digest, image);
}

Response Engine::ApplyUdf(ns::Namespace& ns, const Request& req) {
  if (!udf_) return Fail(ResultCode::kUnsupportedFeature, "this node runs no UDFs");
  auto set_id = ns.sets().IdFor(req.set);
  if (!set_id.ok())
    return Fail(base::ResultCodeOf(set_id.status()), std::string(set_id.status().message()));
  absl::MutexLock lock(&ns.RecordLock(req.digest));
  const uint32_t now = base::NowEpochSeconds();
  Current cur;
  if (absl::Status s = ReadCurrent(ns, req.digest, true, now, &cur); !s.ok()) {
    return Fail(base::ResultCodeOf(s), std::string(s.message()));
  }
  if (cur.exists && !PassesFilter(ns, req, cur, now)) return Fail(ResultCode::kFilteredOut);
  udf::RecordContext ctx;
  ctx.exists = cur.exists;
  if (cur.exists) ctx.record = *cur.rec;
  if (!ctx.record.key && req.key) ctx.record.key = req.key;
  ctx.generation = cur.exists ? cur.meta.generation : 0;
  ctx.void_time = cur.exists ? cur.meta.void_time : 0;
  ctx.last_update_ms = cur.exists ? cur.meta.last_update_ms : 0;
  ctx.set_name = req.set;
  ctx.digest = req.digest;

  Response resp;
  auto result = udf_->CallRecordUdf(req.udf_module, req.udf_function, req.udf_args, ctx);
  if (!result.ok()) {
    // The client raises the FAILURE bin's text as the error message.
    resp.result = ResultCode::kUdfError;
    resp.message = std::string(result.status().message());
    resp.bins.push_back(record::Bin{"FAILURE", Value::String(resp.message)});
    return resp;
  }
  resp.generation = ctx.generation;
  resp.void_time = ctx.void_time;
  if (ctx.action == udf::RecordContext::Action::kWrite ||
      (ctx.action == udf::RecordContext::Action::kRemove && cur.exists)) {
    if (ns.StopWrites() && ctx.action == udf::RecordContext::Action::kWrite) {
      return Fail(ResultCode::kServerFull,
                  absl::StrCat("namespace ", ns.name(), " is at stop-writes"));
    }
    Request write = req;
    if (ctx.ttl) write.ttl = *ctx.ttl;
    if (ctx.action == udf::RecordContext::Action::kRemove) ctx.record.bins.clear();
    if (absl::Status st =
            Commit(ns, write, cur, std::move(ctx.record), *set_id, !cur.exists, now, &resp);
        !st.ok() && !(ctx.action == udf::RecordContext::Action::kRemove &&
                      base::ResultCodeOf(st) == ResultCode::kRecordNotFound)) {
      return Fail(base::ResultCodeOf(st), std::string(st.message()));
    }
  }
  resp.bins.push_back(record::Bin{"SUCCESS", std::move(*result)});
  return resp;
}

Response Engine::Delete(ns::Namespace& ns, const Request& req) {
  const base::Digest& digest = req.digest;
  absl::MutexLock lock(&ns.RecordLock(digest));
  Current cur;
  const uint32_t now = base::NowEpochSeconds();
  if (absl::Status s = ReadCurrent(ns, digest, req.filter != nullptr, now, &cur); !s.ok()) {
    return Fail(base::ResultCodeOf(s), std::string(s.message()));
  }
  if (!cur.exists) return Fail(ResultCode::kRecordNotFound);
  if (!PassesFilter(ns, req, cur, now)) return Fail(ResultCode::kFilteredOut);
  if (req.generation_policy == GenerationPolicy::kEqual && req.generation != cur.meta.generation) {
    return Fail(ResultCode::kGenerationError);
  }
  if (req.generation_policy == GenerationPolicy::kGreater &&
      req.generation <= cur.meta.generation) {
    return Fail(ResultCode::kGenerationError);
  }
  const bool sync = req.durable_delete || ns.config().commit_to_device;
  if (absl::Status s = RemoveVersion(ns, digest, cur, sync); !s.ok()) {
    return Fail(base::ResultCodeOf(s), std::string(s.message()));
  }
  if (absl::Status s = Replicate(ns, digest, nullptr, nullptr); !s.ok()) {
    return Fail(base::ResultCodeOf(s), std::string(s.message()));
  }
  return Response{};  // clients expect generation and void time 0 on a delete
}

absl::Status Engine::ScanPartition(const ScanOptions& opts, uint32_t partition,
                                   const std::optional<base::Digest>& after,
                                   absl::FunctionRef<bool(const ScannedRecord&)> fn) {
  const int64_t start = base::MonotonicNs();
  ns::Namespace* ns = catalog_.Find(opts.ns);
  if (!ns)
    return MakeError(ResultCode::kNamespaceNotFound,
                     absl::StrCat("namespace '", opts.ns, "' not found"));
  if (partition >= base::kPartitionCount)
    return MakeError(ResultCode::kParameterError, "partition out of range");
  uint16_t set_filter = 0;
  if (!opts.set.empty()) {
    set_filter = ns->sets().Find(opts.set);
    if (set_filter == 0) return absl::OkStatus();  // no such set: nothing to scan
  }
  const uint32_t now = base::NowEpochSeconds();
  auto project = [&](const record::Record& full, record::Record* out) -> const record::Record* {
    if (opts.metadata_only) return nullptr;
    if (!opts.projection.empty()) {
      *out = record::Project(full, opts.projection);
      return out;
    }
    if (opts.bins.empty()) return &full;
    out->bins.clear();
    for (const auto& name : opts.bins) {
      if (const record::Bin* b = full.Find(name)) out->bins.push_back(*b);
    }
    return out;
  };
  record::Record projected;
  auto filtered_out = [&](const base::Digest& d, const index::RecordMeta& m,
                          std::string_view set_name, const record::Record& body) {
    return opts.filter && !opts.filter->Matches(ExpView(*ns, d, m, set_name, &body, now));
  };
  if (ns->storage().in_memory()) {
    // Snapshot: pin every record of the partition (one sprig lock at a time), then emit.
    struct Pinned {
      base::Digest digest;
      index::RecordMeta meta;
      storage::RecordRef rec;
    };
    std::vector<Pinned> snapshot;
    ns->index().ForEachInPartition(partition, [&](const index::IndexEntry& e) {
      if (set_filter && e.set_id != set_filter) return true;
      index::RecordMeta m = index::MetaOf(e);
      if (!ns->IsLive(m, now) || (after && e.digest <= *after)) return true;
      snapshot.push_back(Pinned{e.digest, m, ns->storage().Pin(e.storage_handle)});
      return true;
    });
    std::sort(snapshot.begin(), snapshot.end(),
              [](const Pinned& a, const Pinned& b) { return a.digest < b.digest; });
    for (const Pinned& p : snapshot) {
      ns::SetInfo* s = ns->sets().Get(p.meta.set_id);
      const std::string set_name = s ? s->name : std::string();
      if (filtered_out(p.digest, p.meta, set_name, *p.rec)) continue;
      ScannedRecord r{p.digest, p.meta, set_name, project(*p.rec, &projected)};
      if (!fn(r)) break;
    }
  } else {
    absl::Status st = ns->storage().ScanPartition(
        partition, after ? &*after : nullptr,
        [&](const base::Digest& d, const record::StoredMeta& sm, const storage::RecordRef& rec) {
          uint16_t set_id = ns->sets().Find(sm.set_name);
          if (set_filter && set_id != set_filter) return true;
          index::RecordMeta m{sm.void_time, sm.generation, set_id, sm.last_update_ms, 0, 0};
          if (!ns->IsLive(m, now)) return true;
          if (filtered_out(d, m, sm.set_name, *rec)) return true;
          ScannedRecord r{d, m, sm.set_name, project(*rec, &projected)};
          return fn(r);
        });
    if (!st.ok()) return st;
  }
  if (metrics_)
    metrics_->Record(catalog_.IndexOf(ns), OpKind::kScan, ResultCode::kOk,
                     base::MonotonicNs() - start);
  return absl::OkStatus();
}

bool Engine::ReadForQuery(const ScanOptions& opts, const base::Digest& digest,
                          absl::FunctionRef<void(const ScannedRecord&)> fn) {
  ns::Namespace* ns = catalog_.Find(opts.ns);
  if (!ns) return false;
  Current cur;
  const uint32_t now = base::NowEpochSeconds();
  if (!ReadCurrent(*ns, digest, true, now, &cur).ok() || !cur.exists) return false;
  const ns::SetInfo* set = ns->sets().Get(cur.meta.set_id);
  const std::string set_name = set ? set->name : std::string();
  if (!opts.set.empty() && set_name != opts.set) return false;
  if (opts.filter &&
      !opts.filter->Matches(ExpView(*ns, digest, cur.meta, set_name, &*cur.rec, now))) {
    return false;
  }
  fn(ScannedRecord{digest, cur.meta, set_name, &*cur.rec});
  return true;
}

absl::Status Engine::Aggregate(const ScanOptions& opts, std::string_view module,
                               std::string_view function, std::span<const record::Value> args,
                               const QueryMatches* matches,
                               absl::FunctionRef<void(record::Value)> emit) {
  if (!udf_) return MakeError(ResultCode::kUnsupportedFeature, "this node runs no UDFs");
  if (!catalog_.Find(opts.ns)) {
    return MakeError(ResultCode::kNamespaceNotFound,
                     absl::StrCat("namespace '", opts.ns, "' not found"));
  }
  // Records are fed one partition at a time: a partition's snapshot is copied, then handed
  // to the pipeline record by record.
  struct Item {
    ScannedRecord meta;
    record::Record rec;
  };
  std::vector<Item> buffer;
  size_t pos = 0;
  uint32_t next_partition = 0;
  absl::Status scan_error;
  size_t next_match = 0;
  auto next = [&](udf::RecordContext& ctx) {
    while (pos == buffer.size()) {
      if (matches) {
        // An index query: only the records the index matched (checked again as read).
        if (next_match == matches->digests.size()) return false;
        buffer.clear();
        pos = 0;
        const base::Digest& d = matches->digests[next_match++];
        if (!Serves(opts.ns, base::PartitionOf(d))) continue;
        ReadForQuery(opts, d, [&](const ScannedRecord& r) {
          if (matches->still_matches(*r.record)) buffer.push_back(Item{r, *r.record});
        });
        continue;
      }
      if (next_partition == base::kPartitionCount) return false;
      buffer.clear();
      pos = 0;
      if (!Serves(opts.ns, next_partition)) {
        ++next_partition;  // another node aggregates it
        continue;
      }
      absl::Status s =
          ScanPartition(opts, next_partition++, std::nullopt, [&](const ScannedRecord& r) {
            buffer.push_back(Item{r, *r.record});
            return true;
          });
      if (!s.ok()) {
        scan_error = s;
        return false;
      }
    }
    Item& item = buffer[pos++];
    ctx.exists = true;
    ctx.record = std::move(item.rec);
    ctx.generation = item.meta.meta.generation;
    ctx.void_time = item.meta.meta.void_time;
    ctx.last_update_ms = item.meta.meta.last_update_ms;
    ctx.set_name = item.meta.set;
    ctx.digest = item.meta.digest;
    return true;
  };
  absl::Status s = udf_->Aggregate(module, function, args, next, emit);
  return scan_error.ok() ? s : scan_error;
}

absl::Status Engine::MergeAggregates(std::string_view module, std::string_view function,
                                     std::span<const record::Value> args,
                                     std::span<const record::Value> partials,
                                     absl::FunctionRef<void(record::Value)> emit) {
  if (!udf_) return MakeError(ResultCode::kUnsupportedFeature, "this node runs no UDFs");
  return udf_->MergeAggregates(module, function, args, partials, emit);
}

absl::Status Engine::Truncate(std::string_view ns_name, std::string_view set, int64_t before_ms) {
  ns::Namespace* ns = catalog_.Find(ns_name);
  if (!ns)
    return MakeError(ResultCode::kNamespaceNotFound,
                     absl::StrCat("namespace '", Absl(ns_name), "' not found"));
  if (!smd_) {
    if (absl::Status s = ns->Truncate(set, before_ms); !s.ok()) return s;
    catalog_.WakeSweeper();
    return absl::OkStatus();
  }
  const int64_t now = base::NowUnixMs();
  int64_t lut = before_ms > 0 ? before_ms : now;
  if (lut > now) return MakeError(ResultCode::kParameterError, "truncate time is in the future");
  if (set.size() > 63)
    return MakeError(ResultCode::kParameterError, "set name longer than 63 bytes");
  // Key "<ns>\t<set>" (set empty for the namespace), value the time in ms — never lowered, so a
  // node that learns only the latest item still truncates as far as every earlier one did.
  const std::string key = absl::StrCat(Absl(ns_name), "\t", Absl(set));
  int64_t old = 0;
  if (auto item = smd_->Get(kTruncateModule, key); item && absl::SimpleAtoi(item->value, &old)) {
    lut = std::max(lut, old);
  }
  // The metadata listener (ApplyTruncations) applies it here; the sync, on the peers.
  return smd_->Set(kTruncateModule, key, absl::StrCat(lut));
}

void Engine::AttachMetadata(smd::MetadataStore* store) {
  smd_ = store;
  smd_->Subscribe(kTruncateModule, [this] { ApplyTruncations(); });
  ApplyTruncations();
}

void Engine::ApplyTruncations() {
  bool any = false;
  for (const smd::Item& item : smd_->List(kTruncateModule)) {
    const size_t tab = item.key.find('\t');
    int64_t lut = 0;
    ns::Namespace* ns = tab == std::string::npos ? nullptr : catalog_.Find(item.key.substr(0, tab));
    if (!ns || !absl::SimpleAtoi(item.value, &lut)) {
      base::Logger("txn")->warn("skipping truncation {}", item.key);
      continue;
    }
    if (absl::Status s = ns->ApplyTruncate(item.key.substr(tab + 1), lut); !s.ok()) {
      base::Logger("txn")->error("truncation {} failed: {}", item.key, base::Std(s.message()));
      continue;
    }
    any = true;
  }
  if (any) catalog_.WakeSweeper();
}

}  // namespace tern::txn

namespace tern::txn {

bool Engine::Serves(std::string_view ns, uint32_t partition) const {
  return !cluster_ || cluster_->Serves(ns, partition);
}

absl::StatusOr<bool> Engine::ApplyImage(std::string_view ns_name, const base::Digest& digest,
                                        std::string_view image, bool merge) {
  ns::Namespace* ns = catalog_.Find(ns_name);
  if (!ns) {
    return MakeError(ResultCode::kNamespaceNotFound,
                     absl::StrCat("namespace '", Absl(ns_name), "' not found"));
  }
  absl::MutexLock lock(&ns->ApplyLock(digest));
  Current cur;
  if (absl::Status s = ReadCurrent(*ns, digest, false, base::NowEpochSeconds(), &cur); !s.ok()) {
    return s;
  }
  if (image.empty()) {
    if (!cur.entry) return false;
    if (absl::Status s = RemoveVersion(*ns, digest, cur, ns->config().commit_to_device); !s.ok())
      return s;
    return true;
  }
  record::StoredMeta meta;
  record::Record rec;
  if (absl::Status s = record::DecodeRecord(image, &meta, &rec); !s.ok()) return s;
  if (merge && cur.entry) {
    // Conflict resolution as Aerospike's default: higher generation, then later update.
    const bool newer = meta.generation != cur.meta.generation
                           ? meta.generation > cur.meta.generation
                           : meta.last_update_ms > cur.meta.last_update_ms;
    if (!newer) return false;
  }
  auto set_id = ns->sets().IdFor(meta.set_name);
  if (!set_id.ok()) return set_id.status();
  if (absl::Status s = ns->NoteBinNames(rec); !s.ok()) return s;
  if (absl::Status s =
          StoreVersion(*ns, digest, cur, *set_id, meta, storage::RecordRef::Make(std::move(rec)));
      !s.ok()) {
    return s;
  }
  return true;
}

absl::Status Engine::ForEachImage(
    std::string_view ns, uint32_t partition,
    absl::FunctionRef<bool(const base::Digest&, std::string image)> fn) {
  ScanOptions opts;
  opts.ns = std::string(ns);
  return ScanPartition(opts, partition, std::nullopt, [&](const ScannedRecord& r) {
    record::StoredMeta meta{r.meta.generation, r.meta.void_time, r.meta.last_update_ms, r.set};
    return fn(r.digest, record::EncodeRecord(meta, *r.record));
  });
}

uint64_t Engine::RecordsIn(std::string_view ns_name, uint32_t partition) {
  ns::Namespace* ns = catalog_.Find(ns_name);
  return ns ? ns->index().PartitionSize(partition) : 0;
}

absl::Status Engine::DropPartition(std::string_view ns_name, uint32_t partition) {
  ns::Namespace* ns = catalog_.Find(ns_name);
  if (!ns) {
    return MakeError(ResultCode::kNamespaceNotFound,
                     absl::StrCat("namespace '", Absl(ns_name), "' not found"));
  }
  std::vector<base::Digest> digests;
  ns->index().ForEachInPartition(partition, [&](const index::IndexEntry& e) {
    digests.push_back(e.digest);
    return true;
  });
  for (const base::Digest& d : digests) {
    ns->RemoveRecordIf(d, [](const index::IndexEntry&) { return true; });
  }
  return absl::OkStatus();
}

}  // namespace tern::txn
