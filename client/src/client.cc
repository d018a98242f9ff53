#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>
#include <utility>

#include "client_impl.h"
#include "convert.h"

namespace tern {

namespace v1 = tern::v1;
using client_internal::KeyToProto;
using client_internal::PartitionRouter;
using client_internal::RecordFromProto;
using client_internal::ValueFromProto;
using client_internal::ValueToProto;
using client_internal::WritePolicyToProto;

Status StatusFromGrpc(const grpc::Status& s, const grpc::ClientContext& ctx) {
  if (s.ok()) return Status();
  if (!s.error_details().empty()) {
    v1::ErrorDetail detail;
    if (detail.ParseFromString(s.error_details())) {
      return Status(static_cast<int>(detail.result_code()), s.error_message());
    }
  }
  const auto& trailers = ctx.GetServerTrailingMetadata();
  auto it = trailers.find(kResultCodeMetadataKey);
  if (it != trailers.end()) {
    return Status(std::atoi(std::string(it->second.data(), it->second.size()).c_str()),
                  s.error_message());
  }
  switch (s.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status(result::kTimeout, "timed out: " + s.error_message());
    case grpc::StatusCode::UNAVAILABLE:
      return Status(result::kConnectionError, "cannot reach node: " + s.error_message());
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status(result::kUnsupportedFeature, s.error_message());
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Status(result::kParameterError, s.error_message());
    default:
      return Status(result::kClientError, s.error_message());
  }
}

bool NeedsMapRefresh(int code) {
  return code == result::kPartitionUnavailable || code == result::kClusterKeyMismatch ||
         code == result::kConnectionError;
}

bool IsRetryable(int code) { return NeedsMapRefresh(code) || code == result::kKeyBusy; }

// ---- Impl -----------------------------------------------------------------------------------

std::shared_ptr<const PartitionRouter> Client::Impl::Router() const {
  std::lock_guard lock(mu);
  return router;
}

std::shared_ptr<v1::Kv::StubInterface> Client::Impl::Stub(const std::string& address) {
  std::lock_guard lock(mu);
  auto& s = stubs[address];
  if (!s) s = factory(address);
  return s;
}

Status Client::Impl::Refresh(const std::string& first) {
  std::vector<std::string> candidates;
  if (!first.empty()) candidates.push_back(first);
  if (auto r = Router()) {
    for (const NodeInfo& n : r->nodes()) candidates.push_back(n.grpc_address);
  }
  candidates.insert(candidates.end(), config.seeds.begin(), config.seeds.end());
  Status last(result::kNoNode, "no seed or node to ask for the partition map");
  for (const std::string& address : candidates) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + config.connect_timeout);
    v1::PartitionMapRequest req;
    v1::PartitionMap map;
    grpc::Status s = Stub(address)->GetPartitionMap(&ctx, req, &map);
    if (!s.ok()) {
      last = StatusFromGrpc(s, ctx);
      last = Status(last.code(), address + ": " + last.message());
      continue;
    }
    auto built = PartitionRouter::FromProto(map);
    if (!built.ok()) {
      last = built.status();
      continue;
    }
    auto next = std::make_shared<const PartitionRouter>(std::move(*built));
    std::lock_guard lock(mu);
    // A concurrent refresh may have installed a newer map already.
    if (!router || next->generation() >= router->generation()) router = std::move(next);
    return Status();
  }
  return last;
}

std::string Client::Impl::Route(const Key& key, Replica replica, int attempt) const {
  auto r = Router();
  return r ? r->NodeFor(key.ns(), key.partition(), replica, attempt) : "";
}

Status Client::Impl::Run(
    const Key& key, const Policy& policy, Replica replica,
    const std::function<grpc::Status(v1::Kv::StubInterface*, grpc::ClientContext*)>& call) {
  Status last;
  for (int attempt = 0; attempt <= policy.max_retries; ++attempt) {
    if (attempt > 0 && policy.retry_delay.count() > 0)
      std::this_thread::sleep_for(policy.retry_delay);
    const std::string address = Route(key, replica, attempt);
    if (address.empty()) return Status(result::kNoNode, "no node for partition");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + policy.timeout);
    grpc::Status s = call(Stub(address).get(), &ctx);
    last = StatusFromGrpc(s, ctx);
    if (last.ok() || !IsRetryable(last.code())) return last;
    if (NeedsMapRefresh(last.code())) Refresh();
  }
  return last;
}

Result<std::unique_ptr<Client>> ConnectWithFactory(ClientConfig config, StubFactory factory) {
  if (config.seeds.empty()) return Status(result::kInvalidArgument, "no seed address given");
  auto impl = std::make_unique<Client::Impl>();
  impl->config = std::move(config);
  impl->factory = std::move(factory);
  if (Status s = impl->Refresh(); !s.ok()) {
    return Status(s.code(), "cannot fetch the partition map: " + s.message());
  }
  return std::make_unique<Client>(std::move(impl));
}

// ---- Client ---------------------------------------------------------------------------------

Result<std::unique_ptr<Client>> Client::Connect(ClientConfig config) {
  return ConnectWithFactory(std::move(config), [](const std::string& address) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(128 << 20);
    // A lost node should fail calls fast (and trigger a map refresh), not hang reconnecting.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    return std::shared_ptr<v1::Kv::StubInterface>(v1::Kv::NewStub(channel));
  });
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
  std::unique_lock lock(impl_->async_mu);
  impl_->async_cv.wait(lock, [&] { return impl_->async_in_flight == 0; });
}

Result<Record> Client::Get(const Key& key, const std::vector<std::string>& bins,
                           const ReadPolicy* policy) {
  const ReadPolicy& p = policy ? *policy : impl_->config.read;
  v1::GetRequest req;
  KeyToProto(key, req.mutable_key());
  for (const auto& b : bins) req.add_bins(b);
  req.mutable_policy()->set_read_touch_ttl_percent(p.read_touch_ttl_percent);
  v1::Record resp;
  Status s =
      impl_->Run(key, p, p.replica, [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
        resp.Clear();
        return stub->Get(ctx, req, &resp);
      });
  if (!s.ok()) return s;
  Record out;
  RecordFromProto(resp, false, &out);
  out.key = key;
  return out;
}

Result<WriteResult> Client::Put(const Key& key, const std::vector<Bin>& bins,
                                const WritePolicy* policy) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  v1::PutRequest req;
  KeyToProto(key, req.mutable_key());
  for (const Bin& b : bins) {
    v1::Bin* pb = req.add_bins();
    pb->set_name(b.name);
    ValueToProto(b.value, pb->mutable_value());
  }
  WritePolicyToProto(p, req.mutable_policy());
  v1::WriteResponse resp;
  Status s = impl_->Run(key, p, Replica::kMaster,
                        [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                          return stub->Put(ctx, req, &resp);
                        });
  if (!s.ok()) return s;
  return WriteResult{resp.generation(), resp.ttl()};
}

Result<bool> Client::Delete(const Key& key, const WritePolicy* policy) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  v1::DeleteRequest req;
  KeyToProto(key, req.mutable_key());
  WritePolicyToProto(p, req.mutable_policy());
  v1::DeleteResponse resp;
  Status s = impl_->Run(key, p, Replica::kMaster,
                        [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                          return stub->Delete(ctx, req, &resp);
                        });
  if (!s.ok()) return s;
  return resp.existed();
}

Result<bool> Client::Exists(const Key& key, const ReadPolicy* policy) {
  const ReadPolicy& p = policy ? *policy : impl_->config.read;
  v1::ExistsRequest req;
  KeyToProto(key, req.mutable_key());
  v1::ExistsResponse resp;
  Status s =
      impl_->Run(key, p, p.replica, [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
        return stub->Exists(ctx, req, &resp);
      });
  if (!s.ok()) return s;
  return resp.exists();
}

Result<WriteResult> Client::Touch(const Key& key, const WritePolicy* policy) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  v1::TouchRequest req;
  KeyToProto(key, req.mutable_key());
  WritePolicyToProto(p, req.mutable_policy());
  v1::WriteResponse resp;
  Status s = impl_->Run(key, p, Replica::kMaster,
                        [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                          return stub->Touch(ctx, req, &resp);
                        });
  if (!s.ok()) return s;
  return WriteResult{resp.generation(), resp.ttl()};
}

namespace {

v1::Operation::Type ProtoOpType(Operation::Type t) {
  switch (t) {
    case Operation::Type::kRead:
      return v1::Operation::READ;
    case Operation::Type::kWrite:
      return v1::Operation::WRITE;
    case Operation::Type::kIncr:
      return v1::Operation::INCR;
    case Operation::Type::kAppend:
      return v1::Operation::APPEND;
    case Operation::Type::kPrepend:
      return v1::Operation::PREPEND;
    case Operation::Type::kTouch:
      return v1::Operation::TOUCH;
    case Operation::Type::kDelete:
      return v1::Operation::DELETE;
  }
  return v1::Operation::READ;
}

}  // namespace

namespace {

v1::OperateRequest OperateRequestOf(const Key& key, const std::vector<Operation>& ops,
                                    const WritePolicy& p) {
  v1::OperateRequest req;
  KeyToProto(key, req.mutable_key());
  for (const Operation& op : ops) {
    v1::Operation* o = req.add_ops();
    if (op.typed) {
      *o = *op.typed;
      o->set_bin(op.bin);
      continue;
    }
    o->set_type(ProtoOpType(op.type));
    o->set_bin(op.bin);
    ValueToProto(op.value, o->mutable_value());
  }
  WritePolicyToProto(p, req.mutable_policy());
  return req;
}

}  // namespace

Result<Record> Client::Operate(const Key& key, const std::vector<Operation>& ops,
                               const WritePolicy* policy) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  const v1::OperateRequest req = OperateRequestOf(key, ops, p);
  v1::Record resp;
  Status s = impl_->Run(key, p, Replica::kMaster,
                        [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                          resp.Clear();
                          return stub->Operate(ctx, req, &resp);
                        });
  if (!s.ok()) return s;
  Record out;
  RecordFromProto(resp, false, &out);
  out.key = key;
  return out;
}

namespace {

// One batch call, sync or async: rows grouped by node, one request per node sent at once; the
// rows of a node that fails with a retryable code are re-routed and re-sent together, after a
// map refresh when the code says the map moved. Lives on the heap until its callback has run.
template <typename Req, typename Resp>
class BatchCall {
 public:
  using AddRow = std::function<void(size_t row, Req*)>;
  using Issue = std::function<void(v1::Kv::StubInterface*, grpc::ClientContext*, const Req*, Resp*,
                                   std::function<void(grpc::Status)>)>;
  using Done = std::function<void(Result<std::vector<BatchRecord>>)>;

  BatchCall(Client::Impl* impl, std::vector<Key> keys, Policy policy, Replica replica,
            AddRow add_row, Issue issue, Done done)
      : impl_(impl),
        keys_(std::move(keys)),
        policy_(policy),
        replica_(replica),
        add_row_(std::move(add_row)),
        issue_(std::move(issue)),
        done_(std::move(done)),
        out_(keys_.size()) {
    std::lock_guard lock(impl_->async_mu);
    ++impl_->async_in_flight;
  }

  void Start() {
    pending_.resize(keys_.size());
    for (size_t i = 0; i < keys_.size(); ++i) pending_[i] = i;
    if (pending_.empty()) {
      Complete(std::move(out_));
      return;
    }
    Round();
  }

 private:
  struct NodeCall {
    std::vector<size_t> rows;
    Req req;
    Resp resp;
    grpc::ClientContext ctx;
  };

  void Round() {
    std::map<std::string, std::vector<size_t>> by_node;
    for (size_t i : pending_) by_node[impl_->Route(keys_[i], replica_, attempt_)].push_back(i);
    if (by_node.count("")) {
      Complete(Status(result::kNoNode, "no node for partition"));
      return;
    }
    pending_.clear();
    refresh_ = false;
    calls_.clear();
    for (auto& [address, rows] : by_node) {
      auto call = std::make_unique<NodeCall>();
      call->rows = std::move(rows);
      for (size_t i : call->rows) add_row_(i, &call->req);
      call->ctx.set_deadline(std::chrono::system_clock::now() + policy_.timeout);
      calls_.emplace_back(std::move(call), address);
    }
    outstanding_ = calls_.size();
    // Only locals from here on: the last answer may arrive, and finish this call or start the
    // next round, before the loop ends.
    std::vector<std::pair<NodeCall*, std::string>> round;
    for (auto& [call, address] : calls_) round.emplace_back(call.get(), address);
    Client::Impl* impl = impl_;
    const Issue issue = issue_;
    for (auto& [call, address] : round) {
      issue(impl->Stub(address).get(), &call->ctx, &call->req, &call->resp,
            [this, call](grpc::Status s) { OnNodeDone(call, s); });
    }
  }

  void OnNodeDone(NodeCall* call, const grpc::Status& gs) {
    Status s = StatusFromGrpc(gs, call->ctx);
    {
      std::lock_guard lock(mu_);
      if (s.ok() && call->resp.records_size() != static_cast<int>(call->rows.size())) {
        s = Status(result::kClientError, "batch answer has the wrong number of rows");
      }
      if (s.ok()) {
        for (size_t j = 0; j < call->rows.size(); ++j) {
          const v1::BatchRecord& row = call->resp.records(static_cast<int>(j));
          BatchRecord& out = out_[call->rows[j]];
          out.result_code = static_cast<int>(row.result_code());
          if (row.result_code() == 0) RecordFromProto(row.record(), false, &out.record);
          out.record.key = keys_[call->rows[j]];
        }
      } else if (IsRetryable(s.code())) {
        pending_.insert(pending_.end(), call->rows.begin(), call->rows.end());
        refresh_ |= NeedsMapRefresh(s.code());
        last_ = s;
      } else if (fatal_.ok()) {
        fatal_ = s;
      }
      if (--outstanding_ > 0) return;
    }
    // The last answer of the round: every other node call has finished.
    if (!fatal_.ok()) return Complete(fatal_);
    if (pending_.empty()) return Complete(std::move(out_));
    if (attempt_ >= policy_.max_retries) return Complete(last_);
    ++attempt_;
    // Runs on a gRPC callback thread; the refresh is a short blocking call.
    if (refresh_) impl_->Refresh();
    std::sort(pending_.begin(), pending_.end());
    Round();
  }

  void Complete(Result<std::vector<BatchRecord>> r) {
    done_(std::move(r));
    Client::Impl* impl = impl_;
    delete this;
    std::lock_guard lock(impl->async_mu);
    if (--impl->async_in_flight == 0) impl->async_cv.notify_all();
  }

  Client::Impl* impl_;
  std::vector<Key> keys_;
  Policy policy_;
  Replica replica_;
  AddRow add_row_;
  Issue issue_;
  Done done_;
  std::mutex mu_;
  std::vector<BatchRecord> out_;
  std::vector<size_t> pending_;
  std::vector<std::pair<std::unique_ptr<NodeCall>, std::string>> calls_;
  size_t outstanding_ = 0;
  bool refresh_ = false;
  Status last_;
  Status fatal_;
  int attempt_ = 0;
};

// Waits for an async call made by `start`: the sync calls are the async ones, waited for.
template <typename T>
Result<T> Wait(const std::function<void(std::function<void(Result<T>)>)>& start) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  start([&promise](Result<T> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace

void Client::BatchGetAsync(std::vector<Key> keys, std::vector<std::string> bins,
                           const ReadPolicy* policy,
                           std::function<void(Result<std::vector<BatchRecord>>)> done) {
  const ReadPolicy& p = policy ? *policy : impl_->config.read;
  std::vector<Key> routed = keys;
  auto* call = new BatchCall<v1::BatchGetRequest, v1::BatchGetResponse>(
      impl_.get(), std::move(routed), p, p.replica,
      [keys = std::move(keys), bins = std::move(bins)](size_t row, v1::BatchGetRequest* req) {
        if (req->keys_size() == 0) {
          for (const auto& b : bins) req->add_bins(b);
        }
        KeyToProto(keys[row], req->add_keys());
      },
      [](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx, const v1::BatchGetRequest* rq,
         v1::BatchGetResponse* rs, std::function<void(grpc::Status)> cb) {
        stub->async()->BatchGet(ctx, rq, rs, std::move(cb));
      },
      std::move(done));
  call->Start();
}

Result<std::vector<BatchRecord>> Client::BatchGet(const std::vector<Key>& keys,
                                                  const std::vector<std::string>& bins,
                                                  const ReadPolicy* policy) {
  return Wait<std::vector<BatchRecord>>(
      [&](auto done) { BatchGetAsync(keys, bins, policy, std::move(done)); });
}

void Client::BatchOperateAsync(std::vector<BatchOperation> rows, const WritePolicy* policy,
                               std::function<void(Result<std::vector<BatchRecord>>)> done) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  std::vector<Key> keys;
  keys.reserve(rows.size());
  for (const BatchOperation& r : rows) keys.push_back(r.key);
  auto* call = new BatchCall<v1::BatchOperateRequest, v1::BatchOperateResponse>(
      impl_.get(), std::move(keys), p, Replica::kMaster,
      [rows = std::move(rows), p](size_t row, v1::BatchOperateRequest* req) {
        *req->add_requests() = OperateRequestOf(rows[row].key, rows[row].ops, p);
      },
      [](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx, const v1::BatchOperateRequest* rq,
         v1::BatchOperateResponse* rs, std::function<void(grpc::Status)> cb) {
        stub->async()->BatchOperate(ctx, rq, rs, std::move(cb));
      },
      std::move(done));
  call->Start();
}

Result<std::vector<BatchRecord>> Client::BatchOperate(const std::vector<BatchOperation>& rows,
                                                      const WritePolicy* policy) {
  return Wait<std::vector<BatchRecord>>(
      [&](auto done) { BatchOperateAsync(rows, policy, std::move(done)); });
}

Status Client::Impl::StreamPartitions(const std::string& ns, uint64_t max_records,
                                      const std::optional<ScanCursor>& resume,
                                      const OpenStream& open,
                                      const std::function<bool(const Record&)>& fn,
                                      ScanCursor* cursor_out) {
  // Remaining partitions, in order, each with the last digest seen.
  std::map<uint32_t, std::optional<Digest>> remaining;
  if (resume) {
    for (const auto& p : resume->remaining) remaining[p.id] = p.after;
  } else {
    for (uint32_t p = 0; p < kPartitionCount; ++p) remaining[p] = std::nullopt;
  }
  auto save_cursor = [&] {
    if (!cursor_out) return;
    cursor_out->remaining.clear();
    for (const auto& [id, after] : remaining) cursor_out->remaining.push_back({id, after});
  };
  uint64_t emitted = 0;
  bool stopped = false;
  Status last;
  const Policy& p = config.read;
  for (int attempt = 0; attempt <= p.max_retries && !remaining.empty() && !stopped; ++attempt) {
    auto router = Router();
    std::map<std::string, std::vector<uint32_t>> by_node;
    for (const auto& [id, after] : remaining) {
      by_node[router ? router->NodeFor(ns, id) : ""].push_back(id);
    }
    bool failed = false;
    for (auto& [address, parts] : by_node) {
      if (stopped) break;
      if (address.empty()) return Status(result::kNoNode, "no node for partition");
      google::protobuf::RepeatedPtrField<v1::PartitionCursor> cursors;
      for (uint32_t id : parts) {
        v1::PartitionCursor* c = cursors.Add();
        c->set_partition(id);
        if (const auto& after = remaining[id]) {
          c->set_after_digest(reinterpret_cast<const char*>(after->data()), after->size());
        }
      }
      grpc::ClientContext ctx;  // no deadline: a stream runs as long as it has records
      auto reader =
          open(Stub(address).get(), &ctx, cursors, max_records ? max_records - emitted : 0);
      v1::ScanResponse msg;
      while (reader->Read(&msg)) {
        for (int i = 0; i < msg.records_size() && !stopped; ++i) {
          const uint32_t part = msg.record_partitions(i);
          Record rec;
          RecordFromProto(msg.records(i), true, &rec);
          remaining[part] = rec.key->digest();
          ++emitted;
          if (!fn(rec)) stopped = true;
          if (max_records && emitted >= max_records) stopped = true;
        }
        if (stopped) {
          ctx.TryCancel();
          break;
        }
        for (uint32_t done : msg.partitions_done()) remaining.erase(done);
      }
      Status s = StatusFromGrpc(reader->Finish(), ctx);
      if (stopped) break;
      if (!s.ok()) {
        if (!IsRetryable(s.code())) {
          save_cursor();
          return s;
        }
        last = s;
        failed = true;
      }
    }
    if (failed) Refresh();
  }
  save_cursor();
  if (!remaining.empty() && !stopped) return last;
  return Status();
}

Status Client::Scan(const ScanSpec& spec, const std::function<bool(const Record&)>& fn,
                    ScanCursor* cursor) {
  v1::ScanRequest req;
  req.set_namespace_(spec.ns);
  req.set_set(spec.set);
  for (const auto& b : spec.bins) req.add_bins(b);
  req.set_metadata_only(spec.metadata_only);
  return impl_->StreamPartitions(
      spec.ns, spec.max_records, spec.resume,
      [&req](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx,
             const google::protobuf::RepeatedPtrField<v1::PartitionCursor>& cursors,
             uint64_t max_records) {
        *req.mutable_partitions() = cursors;
        req.set_max_records(max_records);
        return stub->Scan(ctx, req);
      },
      fn, cursor);
}

Status Client::Query(const QuerySpec& spec, const std::function<bool(const Record&)>& fn,
                     ScanCursor* cursor) {
  v1::QueryRequest req;
  req.set_namespace_(spec.ns);
  req.set_set(spec.set);
  for (const auto& b : spec.bins) req.add_bins(b);
  req.set_metadata_only(spec.metadata_only);
  req.set_index_bin(spec.index_bin);
  req.set_collection(static_cast<v1::QueryRequest::Collection>(spec.collection));
  if (const auto* eq = std::get_if<QuerySpec::Equal>(&spec.where)) {
    ValueToProto(eq->value, req.mutable_equal());
  } else if (const auto* range = std::get_if<QuerySpec::Range>(&spec.where)) {
    req.mutable_range_begin()->set_int_value(range->low);
    req.mutable_range_end()->set_int_value(range->high);
  } else if (const auto* within = std::get_if<QuerySpec::GeoWithin>(&spec.where)) {
    req.set_geo_within(within->geojson);
  } else {
    req.set_geo_contains(std::get<QuerySpec::GeoContains>(spec.where).geojson);
  }
  return impl_->StreamPartitions(
      spec.ns, spec.max_records, spec.resume,
      [&req](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx,
             const google::protobuf::RepeatedPtrField<v1::PartitionCursor>& cursors,
             uint64_t max_records) {
        *req.mutable_partitions() = cursors;
        req.set_max_records(max_records);
        return stub->Query(ctx, req);
      },
      fn, cursor);
}

Result<std::map<std::string, std::string>> Client::Info(const std::vector<std::string>& commands,
                                                        const std::string& node_address) {
  std::string address = node_address;
  if (address.empty()) {
    auto r = impl_->Router();
    if (!r || r->nodes().empty()) return Status(result::kNoNode, "no node known");
    address = r->nodes()[0].grpc_address;
  }
  v1::InfoRequest req;
  for (const auto& c : commands) req.add_commands(c);
  v1::InfoResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + impl_->config.read.timeout);
  Status s = StatusFromGrpc(impl_->Stub(address)->Info(&ctx, req, &resp), ctx);
  if (!s.ok()) return s;
  return std::map<std::string, std::string>(resp.values().begin(), resp.values().end());
}

Result<SqlResult> Client::Sql(const std::string& statement, const std::string& node_address) {
  std::string address = node_address;
  if (address.empty()) {
    auto r = impl_->Router();
    if (!r || r->nodes().empty()) return Status(result::kNoNode, "no node known");
    address = r->nodes()[0].grpc_address;
  }
  v1::SqlRequest req;
  req.set_statement(statement);
  v1::SqlResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::max(impl_->config.read.timeout, impl_->config.write.timeout));
  Status s = StatusFromGrpc(impl_->Stub(address)->Sql(&ctx, req, &resp), ctx);
  if (!s.ok()) return s;
  SqlResult out;
  out.columns.assign(resp.columns().begin(), resp.columns().end());
  for (const v1::SqlRow& row : resp.rows()) {
    std::vector<Value> values;
    values.reserve(row.values_size());
    for (const v1::Value& v : row.values()) values.push_back(ValueFromProto(v));
    out.rows.push_back(std::move(values));
  }
  out.affected = resp.affected();
  out.message = resp.message();
  out.plan = resp.plan();
  out.job_id = resp.job_id();
  return out;
}

Result<Value> Client::ApplyUdf(const Key& key, const std::string& module,
                               const std::string& function, const std::vector<Value>& args,
                               const WritePolicy* policy) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  v1::ApplyUdfRequest req;
  KeyToProto(key, req.mutable_key());
  req.set_module(module);
  req.set_function(function);
  for (const Value& a : args) ValueToProto(a, req.add_args());
  WritePolicyToProto(p, req.mutable_policy());
  v1::ApplyUdfResponse resp;
  Status s = impl_->Run(key, p, Replica::kMaster,
                        [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                          resp.Clear();
                          return stub->ApplyUdf(ctx, req, &resp);
                        });
  if (!s.ok()) return s;
  return ValueFromProto(resp.result());
}

namespace {

// The gRPC addresses of every node of the map.
Result<std::vector<std::string>> AllNodes(const Client& c) {
  std::vector<std::string> out;
  for (const NodeInfo& n : c.Nodes()) out.push_back(n.grpc_address);
  if (out.empty()) return Status(result::kNoNode, "no node known");
  return out;
}

// Runs `call` on one node, the next only when a node is unreachable: the node that takes a
// metadata change (a module, an index) shares it with every node before it answers.
Status OnOneNode(
    const Client& c, Client::Impl& impl, std::chrono::milliseconds timeout,
    const std::function<grpc::Status(v1::Kv::StubInterface*, grpc::ClientContext*)>& call) {
  auto nodes = AllNodes(c);
  if (!nodes.ok()) return nodes.status();
  Status s;
  for (const std::string& address : *nodes) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    s = StatusFromGrpc(call(impl.Stub(address).get(), &ctx), ctx);
    if (s.code() != result::kConnectionError) return s;
  }
  return s;
}

}  // namespace

Result<std::string> Client::RegisterUdf(const std::string& filename, const std::string& source) {
  v1::RegisterUdfRequest req;
  req.set_filename(filename);
  req.set_source(source);
  v1::RegisterUdfResponse resp;
  Status s = OnOneNode(*this, *impl_, impl_->config.write.timeout,
                       [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                         resp.Clear();
                         return stub->RegisterUdf(ctx, req, &resp);
                       });
  if (!s.ok()) return s;
  return resp.hash();
}

Result<std::string> Client::RegisterUdfFile(const std::string& path) {
  std::error_code ec;
  std::ifstream f(path, std::ios::binary);
  if (!std::filesystem::is_regular_file(path, ec) || !f) {
    return Status(result::kInvalidArgument, "cannot read " + path);
  }
  std::stringstream source;
  source << f.rdbuf();
  return RegisterUdf(std::filesystem::path(path).filename().string(), source.str());
}

Result<std::vector<UdfModule>> Client::ListUdfs() {
  auto nodes = AllNodes(*this);
  if (!nodes.ok()) return nodes.status();
  v1::ListUdfsResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + impl_->config.read.timeout);
  Status s = StatusFromGrpc(
      impl_->Stub(nodes->front())->ListUdfs(&ctx, v1::ListUdfsRequest(), &resp), ctx);
  if (!s.ok()) return s;
  std::vector<UdfModule> out;
  for (const v1::UdfModule& m : resp.modules()) out.push_back({m.filename(), m.name(), m.hash()});
  return out;
}

Result<bool> Client::RemoveUdf(const std::string& filename) {
  v1::RemoveUdfRequest req;
  req.set_filename(filename);
  v1::RemoveUdfResponse resp;
  Status s = OnOneNode(*this, *impl_, impl_->config.write.timeout,
                       [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                         resp.Clear();
                         return stub->RemoveUdf(ctx, req, &resp);
                       });
  if (!s.ok()) return s;
  return resp.existed();
}

namespace {

v1::IndexDefinition IndexDefinitionOf(const IndexInfo& in) {
  v1::IndexDefinition d;
  d.set_namespace_(in.ns);
  d.set_set(in.set);
  d.set_name(in.name);
  d.set_bin(in.bin);
  d.set_type(static_cast<v1::IndexDefinition::Type>(in.type));
  d.set_collection(static_cast<v1::IndexDefinition::Collection>(in.collection));
  return d;
}

}  // namespace

Status Client::CreateIndex(const IndexInfo& index) {
  v1::CreateIndexRequest req;
  *req.mutable_index() = IndexDefinitionOf(index);
  return OnOneNode(*this, *impl_, impl_->config.write.timeout,
                   [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                     v1::CreateIndexResponse resp;
                     return stub->CreateIndex(ctx, req, &resp);
                   });
}

Status Client::DropIndex(const std::string& ns, const std::string& name) {
  v1::DropIndexRequest req;
  req.set_namespace_(ns);
  req.set_name(name);
  return OnOneNode(*this, *impl_, impl_->config.write.timeout,
                   [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                     v1::DropIndexResponse resp;
                     return stub->DropIndex(ctx, req, &resp);
                   });
}

Result<std::vector<IndexInfo>> Client::ListIndexes(const std::string& ns) {
  v1::ListIndexesRequest req;
  req.set_namespace_(ns);
  v1::ListIndexesResponse resp;
  Status s = OnOneNode(*this, *impl_, impl_->config.read.timeout,
                       [&](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx) {
                         resp.Clear();
                         return stub->ListIndexes(ctx, req, &resp);
                       });
  if (!s.ok()) return s;
  std::vector<IndexInfo> out;
  for (const v1::IndexDefinition& d : resp.indexes()) {
    out.push_back(IndexInfo{
        d.namespace_(), d.set(), d.name(), d.bin(), static_cast<IndexInfo::Type>(d.type()),
        static_cast<IndexInfo::Collection>(d.collection()), d.load_pct(), d.entries()});
  }
  return out;
}

std::vector<NodeInfo> Client::Nodes() const {
  auto r = impl_->Router();
  return r ? r->nodes() : std::vector<NodeInfo>{};
}

Status Client::RefreshPartitionMap() { return impl_->Refresh(); }

std::string Client::NodeFor(const Key& key, Replica replica) const {
  return impl_->Route(key, replica, 0);
}

// ---- async ----------------------------------------------------------------------------------

namespace {

// The async calls' conversion of a returned record, with the key asked for.
std::function<Result<Record>(const v1::Record&)> RecordOf(const Key& key) {
  return [key](const v1::Record& rs) -> Result<Record> {
    Record out;
    RecordFromProto(rs, false, &out);
    out.key = key;
    return out;
  };
}

// One asynchronous call with its retries. Lives on the heap until its callback has run.
template <typename Req, typename Resp, typename Out>
class AsyncCall {
 public:
  using Issue = std::function<void(v1::Kv::StubInterface*, grpc::ClientContext*, const Req*, Resp*,
                                   std::function<void(grpc::Status)>)>;
  using Convert = std::function<Result<Out>(const Resp&)>;

  AsyncCall(Client::Impl* impl, Key key, Req req, Policy policy, Replica replica, Issue issue,
            Convert convert, std::function<void(Result<Out>)> done)
      : impl_(impl),
        key_(std::move(key)),
        req_(std::move(req)),
        policy_(policy),
        replica_(replica),
        issue_(std::move(issue)),
        convert_(std::move(convert)),
        done_(std::move(done)) {
    std::lock_guard lock(impl_->async_mu);
    ++impl_->async_in_flight;
  }

  void Start() {
    const std::string address = impl_->Route(key_, replica_, attempt_);
    if (address.empty()) {
      Complete(Status(result::kNoNode, "no node for partition"));
      return;
    }
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + policy_.timeout);
    resp_.Clear();
    issue_(impl_->Stub(address).get(), ctx_.get(), &req_, &resp_,
           [this](grpc::Status s) { OnDone(s); });
  }

 private:
  void OnDone(const grpc::Status& gs) {
    Status s = StatusFromGrpc(gs, *ctx_);
    if (!s.ok() && IsRetryable(s.code()) && attempt_ < policy_.max_retries) {
      ++attempt_;
      // Runs on a gRPC callback thread; the refresh is a short blocking call.
      if (NeedsMapRefresh(s.code())) impl_->Refresh();
      Start();
      return;
    }
    if (!s.ok()) {
      Complete(s);
    } else {
      Complete(convert_(resp_));
    }
  }

  void Complete(Result<Out> r) {
    done_(std::move(r));
    Client::Impl* impl = impl_;
    delete this;
    std::lock_guard lock(impl->async_mu);
    if (--impl->async_in_flight == 0) impl->async_cv.notify_all();
  }

  Client::Impl* impl_;
  Key key_;
  Req req_;
  Resp resp_;
  Policy policy_;
  Replica replica_;
  Issue issue_;
  Convert convert_;
  std::function<void(Result<Out>)> done_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  int attempt_ = 0;
};

}  // namespace

void Client::GetAsync(const Key& key, std::vector<std::string> bins, const ReadPolicy* policy,
                      std::function<void(Result<Record>)> done) {
  const ReadPolicy& p = policy ? *policy : impl_->config.read;
  v1::GetRequest req;
  KeyToProto(key, req.mutable_key());
  for (const auto& b : bins) req.add_bins(b);
  req.mutable_policy()->set_read_touch_ttl_percent(p.read_touch_ttl_percent);
  auto* call = new AsyncCall<v1::GetRequest, v1::Record, Record>(
      impl_.get(), key, std::move(req), p, p.replica,
      [](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx, const v1::GetRequest* rq,
         v1::Record* rs,
         std::function<void(grpc::Status)> cb) { stub->async()->Get(ctx, rq, rs, std::move(cb)); },
      RecordOf(key), std::move(done));
  call->Start();
}

void Client::PutAsync(const Key& key, std::vector<Bin> bins, const WritePolicy* policy,
                      std::function<void(Result<WriteResult>)> done) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  v1::PutRequest req;
  KeyToProto(key, req.mutable_key());
  for (const Bin& b : bins) {
    v1::Bin* pb = req.add_bins();
    pb->set_name(b.name);
    ValueToProto(b.value, pb->mutable_value());
  }
  WritePolicyToProto(p, req.mutable_policy());
  auto* call = new AsyncCall<v1::PutRequest, v1::WriteResponse, WriteResult>(
      impl_.get(), key, std::move(req), p, Replica::kMaster,
      [](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx, const v1::PutRequest* rq,
         v1::WriteResponse* rs,
         std::function<void(grpc::Status)> cb) { stub->async()->Put(ctx, rq, rs, std::move(cb)); },
      [](const v1::WriteResponse& rs) -> Result<WriteResult> {
        return WriteResult{rs.generation(), rs.ttl()};
      },
      std::move(done));
  call->Start();
}

void Client::OperateAsync(const Key& key, std::vector<Operation> ops, const WritePolicy* policy,
                          std::function<void(Result<Record>)> done) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  auto* call = new AsyncCall<v1::OperateRequest, v1::Record, Record>(
      impl_.get(), key, OperateRequestOf(key, ops, p), p, Replica::kMaster,
      [](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx, const v1::OperateRequest* rq,
         v1::Record* rs, std::function<void(grpc::Status)> cb) {
        stub->async()->Operate(ctx, rq, rs, std::move(cb));
      },
      RecordOf(key), std::move(done));
  call->Start();
}

void Client::DeleteAsync(const Key& key, const WritePolicy* policy,
                         std::function<void(Result<bool>)> done) {
  const WritePolicy& p = policy ? *policy : impl_->config.write;
  v1::DeleteRequest req;
  KeyToProto(key, req.mutable_key());
  WritePolicyToProto(p, req.mutable_policy());
  auto* call = new AsyncCall<v1::DeleteRequest, v1::DeleteResponse, bool>(
      impl_.get(), key, std::move(req), p, Replica::kMaster,
      [](v1::Kv::StubInterface* stub, grpc::ClientContext* ctx, const v1::DeleteRequest* rq,
         v1::DeleteResponse* rs, std::function<void(grpc::Status)> cb) {
        stub->async()->Delete(ctx, rq, rs, std::move(cb));
      },
      [](const v1::DeleteResponse& rs) -> Result<bool> { return rs.existed(); }, std::move(done));
  call->Start();
}

}  // namespace tern
