#include "api/sql_executor.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/proto_value.h"
#include "base/digest.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "index/secondary_index.h"
#include "query/background_apply.h"
#include "query/index_query.h"
#include "sql/explain.h"
#include "sql/parser.h"

namespace tern::api {

using base::MakeError;
using base::ResultCode;
namespace v1 = tern::v1;

namespace {

absl::Status DigestOf(const std::string& set, const record::Value& key, base::Digest* out) {
  switch (key.type()) {
    case record::ParticleType::kInteger:
      *out = base::ComputeDigest(set, key.integer());
      return absl::OkStatus();
    case record::ParticleType::kString:
      *out = base::ComputeStringKeyDigest(set, key.bytes());
      return absl::OkStatus();
    case record::ParticleType::kBlob:
      *out = base::ComputeDigest(set, base::KeyType::kBlob, key.bytes());
      return absl::OkStatus();
    default:
      return MakeError(ResultCode::kParameterError, "a PK is an integer, a string or a blob");
  }
}

absl::Status KeyRequest(const sql::Target& t, const record::Value& key, txn::Request* req) {
  if (t.ns.empty()) return MakeError(ResultCode::kNamespaceNotFound, "no namespace");
  req->ns = t.ns;
  req->set = t.set;
  req->key = key;
  return DigestOf(t.set, key, &req->digest);
}

absl::Status ErrorOf(const txn::Response& resp) {
  if (resp.result == ResultCode::kOk) return absl::OkStatus();
  return MakeError(resp.result, resp.message.empty()
                                    ? std::string_view(base::ResultCodeName(resp.result))
                                    : std::string_view(resp.message));
}

// An answer is one gRPC message: a SELECT without a LIMIT over a large namespace must fail
// with a clear message, not build an answer the node cannot hold or the client cannot take.
constexpr size_t kMaxAnswerBytes = 64 << 20;

absl::Status AnswerTooLarge() {
  return MakeError(ResultCode::kParameterError,
                   "the answer passes 64 MiB: add a LIMIT, or read the records with "
                   "`tern scan` / `tern query` (streamed)");
}

// Collects rows whose columns are PK then the bins, in first-seen order (or the projection).
class RowBuilder {
 public:
  explicit RowBuilder(const std::vector<std::string>& projection) : projection_(projection) {}

  void Add(const std::optional<record::Value>& key, const record::Record& rec) {
    std::map<std::string, record::Value> row;
    if (projection_.empty()) {
      for (const record::Bin& b : rec.bins) {
        if (std::find(bins_.begin(), bins_.end(), b.name) == bins_.end()) bins_.push_back(b.name);
        row[b.name] = b.value;
        bytes_ += b.name.size() + b.value.StoredSize();
      }
    } else {
      for (const std::string& name : projection_) {
        if (const record::Bin* b = rec.Find(name)) {
          row[name] = b->value;
          bytes_ += name.size() + b->value.StoredSize();
        }
      }
    }
    rows_.push_back({key.value_or(record::Value()), std::move(row)});
  }

  size_t size() const { return rows_.size(); }
  bool too_large() const { return bytes_ > kMaxAnswerBytes; }

  absl::Status Fill(v1::SqlResponse* out) const {
    const std::vector<std::string>& bins = projection_.empty() ? bins_ : projection_;
    out->add_columns("PK");
    for (const std::string& b : bins) out->add_columns(b);
    for (const auto& [key, row] : rows_) {
      v1::SqlRow* r = out->add_rows();
      if (absl::Status s = ValueToProto(key, r->add_values()); !s.ok()) return s;
      for (const std::string& b : bins) {
        auto it = row.find(b);
        v1::Value* v = r->add_values();
        if (it == row.end()) continue;  // null
        if (absl::Status s = ValueToProto(it->second, v); !s.ok()) return s;
      }
    }
    out->set_message(absl::StrCat(rows_.size(), rows_.size() == 1 ? " row" : " rows"));
    return absl::OkStatus();
  }

 private:
  const std::vector<std::string>& projection_;
  std::vector<std::string> bins_;
  std::vector<std::pair<record::Value, std::map<std::string, record::Value>>> rows_;
  size_t bytes_ = 0;
};

// The index layer's collection for CREATE ... INDEX and IN LIST|MAPKEYS|MAPVALUES.
index::SindexCollection CollectionOf(sql::IndexCollection in) {
  switch (in) {
    case sql::IndexCollection::kNone:
      break;
    case sql::IndexCollection::kList:
      return index::SindexCollection::kList;
    case sql::IndexCollection::kMapKeys:
      return index::SindexCollection::kMapKeys;
    case sql::IndexCollection::kMapValues:
      return index::SindexCollection::kMapValues;
  }
  return index::SindexCollection::kDefault;
}

// The records a bin predicate's index names: `in` picks the bin's collection index (IN LIST |
// MAPKEYS | MAPVALUES) over its plain one.
absl::StatusOr<txn::QueryMatches> IndexMatches(txn::Engine& engine, const sql::Target& target,
                                               sql::IndexCollection in,
                                               const sql::Predicate& where) {
  query::IndexQuery q{target.ns, target.set, {}, CollectionOf(in), {}};
  if (const auto* eq = std::get_if<sql::BinEquals>(&where)) {
    q.bin = eq->bin;
    q.predicate = query::IndexEqual{eq->value};
  } else if (const auto* between = std::get_if<sql::BinBetween>(&where)) {
    if (between->low.type() != record::ParticleType::kInteger ||
        between->high.type() != record::ParticleType::kInteger) {
      return MakeError(ResultCode::kParameterError, "BETWEEN takes integers");
    }
    q.bin = between->bin;
    q.predicate = query::IndexRange{between->low.integer(), between->high.integer()};
  } else if (const auto* geo = std::get_if<sql::BinGeo>(&where)) {
    q.bin = geo->bin;
    std::string text(geo->shape.bytes());
    if (geo->contains) {
      q.predicate = query::GeoContains{std::move(text)};
    } else {
      q.predicate = query::GeoWithin{std::move(text)};
    }
  } else {
    return MakeError(ResultCode::kParameterError, "not an index predicate");
  }
  return query::IndexMatches(engine.catalog(), q);
}

void Message(v1::SqlResponse* out, std::string text) { out->set_message(std::move(text)); }

// Turns `a=1:b=2;a=3:b=4;` (or ',' between fields) into rows, columns in first-seen order.
void InfoRows(std::string_view text, char field_sep, v1::SqlResponse* out,
              std::string_view ns_filter = {}) {
  std::vector<std::string> columns;
  std::vector<std::map<std::string, std::string>> rows;
  for (absl::string_view rec : absl::StrSplit(base::Absl(text), ';', absl::SkipEmpty())) {
    std::map<std::string, std::string> row;
    for (absl::string_view field : absl::StrSplit(rec, field_sep, absl::SkipEmpty())) {
      const size_t eq = field.find('=');
      if (eq == absl::string_view::npos) continue;
      std::string k(field.substr(0, eq));
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
      row[k] = std::string(field.substr(eq + 1));
    }
    if (!ns_filter.empty() && row.count("ns") && row["ns"] != std::string(ns_filter)) continue;
    rows.push_back(std::move(row));
  }
  for (const std::string& c : columns) out->add_columns(c);
  for (auto& row : rows) {
    v1::SqlRow* r = out->add_rows();
    for (const std::string& c : columns) {
      auto it = row.find(c);
      v1::Value* v = r->add_values();
      if (it != row.end()) v->set_string_value(it->second);
    }
  }
}

// Whether the statement covers many records and so runs on every node of the cluster.
bool RunsOnEveryNode(const sql::Statement& st) {
  if (const auto* sel = std::get_if<sql::Select>(&st.body)) {
    return !sel->where || !std::holds_alternative<sql::PrimaryKeyEquals>(*sel->where);
  }
  if (const auto* exec = std::get_if<sql::Execute>(&st.body)) return !exec->key;
  return std::holds_alternative<sql::Aggregate>(st.body);
}

// Appends another node's rows to `out`, matching columns by name: a column only `part` has is
// added (null in the rows already there). Stops at `limit` rows.
void MergeRows(const v1::SqlResponse& part, uint64_t limit, v1::SqlResponse* out) {
  std::vector<int> to(part.columns_size());
  for (int c = 0; c < part.columns_size(); ++c) {
    auto it = std::find(out->columns().begin(), out->columns().end(), part.columns(c));
    if (it == out->columns().end()) {
      out->add_columns(part.columns(c));
      for (v1::SqlRow& row : *out->mutable_rows()) row.add_values();
      to[c] = out->columns_size() - 1;
    } else {
      to[c] = static_cast<int>(it - out->columns().begin());
    }
  }
  for (const v1::SqlRow& row : part.rows()) {
    if (static_cast<uint64_t>(out->rows_size()) >= limit) break;
    v1::SqlRow* merged = out->add_rows();
    for (int c = 0; c < out->columns_size(); ++c) merged->add_values();
    for (int c = 0; c < row.values_size() && c < static_cast<int>(to.size()); ++c) {
      *merged->mutable_values(to[c]) = row.values(c);
    }
  }
}

// Random, as the clients' task ids: ids from different coordinators must not meet.
uint64_t NewJobId() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  uint64_t id = 0;
  while (id == 0) id = gen();
  return id;
}

std::string RowCount(int rows) { return absl::StrCat(rows, rows == 1 ? " row" : " rows"); }

}  // namespace

SqlExecutor::SqlExecutor(txn::Engine& engine, InfoCommands& info, query::IndexCatalog* indexes,
                         udf::ModuleRegistry* modules)
    : engine_(engine), info_(info), indexes_(indexes), modules_(modules) {
  if (cluster::Cluster* c = info_.cluster().get()) {
    c->SetSqlHandler([this](const fabric::v1::SqlShare& share, fabric::v1::SqlShareReply* reply) {
      OnShare(share, reply);
    });
  }
}

SqlExecutor::~SqlExecutor() {
  if (cluster::Cluster* c = info_.cluster().get()) c->SetSqlHandler(nullptr);
}

absl::Status SqlExecutor::Run(std::string_view text, v1::SqlResponse* out) {
  auto statement = sql::ParseOne(text);
  if (!statement.ok()) {
    return MakeError(ResultCode::kParameterError, base::Std(statement.status().message()));
  }
  const sql::Statement& st = *statement;
  // The same job id on every node, so query-show:trid=<id> finds it on each.
  const uint64_t job_id = std::holds_alternative<sql::Execute>(st.body) ? NewJobId() : 0;
  if (st.explain || !RunsOnEveryNode(st)) return RunShare(st, job_id, out);
  fabric::v1::SqlShare share;
  share.set_statement(std::string(text));
  share.set_job_id(job_id);
  // The other nodes run their shares while this one runs its own.
  using Answers = std::vector<cluster::Answer<fabric::v1::SqlShareReply>>;
  std::future<Answers> peers;
  if (cluster::Cluster* cluster = info_.cluster().get()) {
    peers = std::async(std::launch::async, [cluster, &share] {
      return cluster->ShareSql(share, std::chrono::minutes(10));
    });
  }
  absl::Status local = RunShare(st, job_id, out);
  Answers answers = peers.valid() ? peers.get() : Answers();
  if (!local.ok()) return local;
  uint64_t limit = UINT64_MAX;
  if (const auto* sel = std::get_if<sql::Select>(&st.body); sel && sel->limit) {
    limit = static_cast<uint64_t>(*sel->limit);
  }
  for (const auto& a : answers) {
    if (!a.status.ok()) {
      return MakeError(ResultCode::kTimeout,
                       absl::StrCat("a node did not run its share: ", a.status.error_message()));
    }
    if (a.reply.result() != 0) {
      return MakeError(static_cast<ResultCode>(a.reply.result()), a.reply.message());
    }
    MergeRows(a.reply.response(), limit, out);
    if (out->ByteSizeLong() > kMaxAnswerBytes) return AnswerTooLarge();
    out->set_affected(out->affected() + a.reply.response().affected());
  }
  if (const auto* agg = std::get_if<sql::Aggregate>(&st.body)) {
    if (absl::Status m = MergeAggregates(*agg, out); !m.ok()) return m;
  }
  if (job_id != 0) {
    Message(out, absl::StrCat("job ", job_id, " started on ", answers.size() + 1,
                              answers.empty() ? " node" : " nodes"));
  } else if (std::holds_alternative<sql::Select>(st.body)) {
    Message(out, RowCount(out->rows_size()));
  }
  return absl::OkStatus();
}

void SqlExecutor::OnShare(const fabric::v1::SqlShare& share, fabric::v1::SqlShareReply* reply) {
  auto statement = sql::ParseOne(share.statement());
  absl::Status s = statement.ok() ? RunShare(*statement, share.job_id(), reply->mutable_response())
                                  : MakeError(ResultCode::kParameterError,
                                              base::Std(statement.status().message()));
  reply->set_result(static_cast<uint32_t>(base::ResultCodeOf(s)));
  if (!s.ok()) reply->set_message(std::string(s.message()));
}

absl::Status SqlExecutor::RunShare(const sql::Statement& st, uint64_t job_id,
                                   v1::SqlResponse* out) {
  if (st.explain) {
    out->set_plan(sql::DescribePlan(st));
    out->add_columns("plan");
    out->add_rows()->add_values()->set_string_value(out->plan());
    return absl::OkStatus();
  }
  return std::visit(
      [&](const auto& s) -> absl::Status {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, sql::Insert>) return Insert(s, out);
        if constexpr (std::is_same_v<T, sql::Select>) return Select(s, out);
        if constexpr (std::is_same_v<T, sql::Delete>) return Delete(s, out);
        if constexpr (std::is_same_v<T, sql::CreateIndex>) return CreateIndex(s, out);
        if constexpr (std::is_same_v<T, sql::DropIndex>) return DropIndex(s, out);
        if constexpr (std::is_same_v<T, sql::RegisterModule>) {
          return MakeError(ResultCode::kParameterError,
                           "REGISTER MODULE reads a client-side file: run it with `tern sql` "
                           "or call RegisterUdf");
        }
        if constexpr (std::is_same_v<T, sql::RemoveModule>) return RemoveModule(s, out);
        if constexpr (std::is_same_v<T, sql::Execute>) {
          return s.key ? Execute(s, out) : ExecuteAll(s, job_id, out);
        }
        if constexpr (std::is_same_v<T, sql::Aggregate>) return Aggregate(s, out);
        if constexpr (std::is_same_v<T, sql::Show>) return Show(s, out);
        if constexpr (std::is_same_v<T, sql::Truncate>) return Truncate(s, out);
      },
      st.body);
}

absl::Status SqlExecutor::Insert(const sql::Insert& s, v1::SqlResponse* out) {
  if (!s.key) return MakeError(ResultCode::kParameterError, "INSERT needs a PK column");
  txn::Request req;
  req.command = txn::Command::kWrite;
  req.send_key = true;
  if (absl::Status st = KeyRequest(s.target, *s.key, &req); !st.ok()) return st;
  for (const sql::BinValue& b : s.bins) {
    req.ops.push_back(txn::Op{txn::OpType::kWrite, b.name, b.value});
  }
  if (absl::Status st = ErrorOf(engine_.Execute(req)); !st.ok()) return st;
  out->set_affected(1);
  Message(out, "1 record inserted");
  return absl::OkStatus();
}

absl::Status SqlExecutor::Select(const sql::Select& s, v1::SqlResponse* out) {
  if (s.target.ns.empty()) return MakeError(ResultCode::kNamespaceNotFound, "no namespace");
  if (!engine_.catalog().Find(s.target.ns)) {
    return MakeError(ResultCode::kNamespaceNotFound, "no namespace " + s.target.ns);
  }
  const uint64_t limit = s.limit && *s.limit > 0 ? static_cast<uint64_t>(*s.limit) : UINT64_MAX;
  RowBuilder rows(s.bins);
  if (s.where) {
    if (const auto* pk = std::get_if<sql::PrimaryKeyEquals>(&*s.where)) {
      txn::Request req;
      req.command = txn::Command::kRead;
      req.read_all_bins = true;
      if (absl::Status st = KeyRequest(s.target, pk->key, &req); !st.ok()) return st;
      txn::Response resp = engine_.Execute(req);
      if (resp.result != ResultCode::kRecordNotFound) {
        if (absl::Status st = ErrorOf(resp); !st.ok()) return st;
        record::Record rec;
        rec.bins = std::move(resp.bins);
        if (limit > 0) rows.Add(pk->key, rec);
      }
      return rows.Fill(out);
    }
    absl::StatusOr<txn::QueryMatches> found = IndexMatches(engine_, s.target, s.in, *s.where);
    if (!found.ok()) return found.status();
    const txn::QueryMatches& m = *found;
    txn::ScanOptions opts;
    opts.ns = s.target.ns;
    opts.set = s.target.set;
    for (const base::Digest& d : m.digests) {
      if (rows.size() >= limit) break;
      if (rows.too_large()) return AnswerTooLarge();
      if (!engine_.Serves(s.target.ns, base::PartitionOf(d))) continue;  // its master's share
      engine_.ReadForQuery(opts, d, [&](const txn::ScannedRecord& r) {
        if (r.record && m.still_matches(*r.record)) rows.Add(r.record->key, *r.record);
      });
    }
    return rows.Fill(out);
  }
  txn::ScanOptions opts;
  opts.ns = s.target.ns;
  opts.set = s.target.set;
  opts.bins = s.bins;
  for (uint32_t p = 0; p < base::kPartitionCount && rows.size() < limit; ++p) {
    if (!engine_.Serves(s.target.ns, p)) continue;  // its master's share
    absl::Status st =
        engine_.ScanPartition(opts, p, std::nullopt, [&](const txn::ScannedRecord& r) {
          if (r.record) rows.Add(r.record->key, *r.record);
          return rows.size() < limit && !rows.too_large();
        });
    if (!st.ok()) return st;
    if (rows.too_large()) return AnswerTooLarge();
  }
  return rows.Fill(out);
}

absl::Status SqlExecutor::Delete(const sql::Delete& s, v1::SqlResponse* out) {
  txn::Request req;
  req.command = txn::Command::kDelete;
  if (absl::Status st = KeyRequest(s.target, s.key, &req); !st.ok()) return st;
  txn::Response resp = engine_.Execute(req);
  if (absl::Status st = ErrorOf(resp); !st.ok()) return st;
  out->set_affected(1);
  Message(out, "1 record deleted");
  return absl::OkStatus();
}

absl::Status SqlExecutor::CreateIndex(const sql::CreateIndex& s, v1::SqlResponse* out) {
  if (!indexes_) return MakeError(ResultCode::kUnsupportedFeature, "no secondary indexes here");
  index::SindexDef def;
  def.ns = s.target.ns;
  def.set = s.target.set;
  def.name = s.name;
  def.bin = s.bin;
  switch (s.type) {
    case sql::IndexType::kNumeric:
      def.type = index::SindexType::kNumeric;
      break;
    case sql::IndexType::kString:
      def.type = index::SindexType::kString;
      break;
    case sql::IndexType::kBlob:
      def.type = index::SindexType::kBlob;
      break;
    case sql::IndexType::kGeo2dSphere:
      def.type = index::SindexType::kGeo2dSphere;
      break;
  }
  def.collection = CollectionOf(s.collection);
  if (absl::Status st = indexes_->Create(def); !st.ok()) return st;
  Message(out, "index " + s.name + " created");
  return absl::OkStatus();
}

absl::Status SqlExecutor::DropIndex(const sql::DropIndex& s, v1::SqlResponse* out) {
  if (!indexes_) return MakeError(ResultCode::kUnsupportedFeature, "no secondary indexes here");
  if (absl::Status st = indexes_->Drop(s.target.ns, s.name); !st.ok()) return st;
  Message(out, "index " + s.name + " dropped");
  return absl::OkStatus();
}

absl::Status SqlExecutor::RemoveModule(const sql::RemoveModule& s, v1::SqlResponse* out) {
  if (!modules_) return MakeError(ResultCode::kUnsupportedFeature, "this node runs no UDFs");
  std::string filename = s.name;
  if (filename.find('.') == std::string::npos) filename += ".lua";
  if (!udf::ModuleRegistry::ValidFilename(filename)) {
    return MakeError(ResultCode::kParameterError, "invalid module file name");
  }
  if (absl::Status st = modules_->Remove(filename); !st.ok()) return st;
  Message(out, "module " + filename + " removed");
  return absl::OkStatus();
}

absl::Status SqlExecutor::Execute(const sql::Execute& s, v1::SqlResponse* out) {
  txn::Request req;
  req.command = txn::Command::kUdf;
  if (absl::Status st = KeyRequest(s.target, *s.key, &req); !st.ok()) return st;
  req.udf_module = s.module;
  req.udf_function = s.function;
  req.udf_args = s.args;
  txn::Response resp = engine_.Execute(req);
  if (absl::Status st = ErrorOf(resp); !st.ok()) return st;
  out->add_columns("result");
  v1::Value* v = out->add_rows()->add_values();
  for (const record::Bin& b : resp.bins) {
    if (b.name == "SUCCESS") {
      if (absl::Status st = ValueToProto(b.value, v); !st.ok()) return st;
    }
  }
  out->set_affected(1);
  Message(out, "1 row");
  return absl::OkStatus();
}

absl::Status SqlExecutor::ExecuteAll(const sql::Execute& s, uint64_t job_id, v1::SqlResponse* out) {
  if (!engine_.catalog().Find(s.target.ns)) {
    return MakeError(ResultCode::kNamespaceNotFound, "no namespace " + s.target.ns);
  }
  query::JobManager* jobs = info_.jobs();
  if (!jobs) return MakeError(ResultCode::kUnsupportedFeature, "this node runs no jobs");
  txn::Request tmpl;
  tmpl.command = txn::Command::kUdf;
  tmpl.ns = s.target.ns;
  tmpl.set = s.target.set;
  tmpl.udf_module = s.module;
  tmpl.udf_function = s.function;
  tmpl.udf_args = s.args;
  txn::ScanOptions opts;
  opts.ns = s.target.ns;
  opts.set = s.target.set;
  if (!jobs->Submit(job_id, s.target.ns, s.target.set,
                    query::BackgroundApply(engine_, std::move(opts), std::move(tmpl)))) {
    return MakeError(ResultCode::kParameterError, absl::StrCat("job ", job_id, " exists"));
  }
  out->set_job_id(job_id);
  Message(out, absl::StrCat("job ", job_id, " started"));
  return absl::OkStatus();
}

absl::Status SqlExecutor::Aggregate(const sql::Aggregate& s, v1::SqlResponse* out) {
  txn::ScanOptions opts;
  opts.ns = s.target.ns;
  opts.set = s.target.set;
  if (!engine_.catalog().Find(opts.ns)) {
    return MakeError(ResultCode::kNamespaceNotFound, "no namespace " + opts.ns);
  }
  std::optional<txn::QueryMatches> matches;
  if (s.where) {
    absl::StatusOr<txn::QueryMatches> found = IndexMatches(engine_, s.target, s.in, *s.where);
    if (!found.ok()) return found.status();
    matches = *std::move(found);
  }
  out->add_columns("result");
  absl::Status convert;
  absl::Status st = engine_.Aggregate(
      opts, s.module, s.function, s.args, matches ? &*matches : nullptr, [&](record::Value v) {
        absl::Status c = ValueToProto(v, out->add_rows()->add_values());
        if (!c.ok() && convert.ok()) convert = c;
      });
  if (!st.ok()) return st;
  if (!convert.ok()) return convert;
  Message(out, absl::StrCat(out->rows_size(), out->rows_size() == 1 ? " row" : " rows"));
  return absl::OkStatus();
}

absl::Status SqlExecutor::MergeAggregates(const sql::Aggregate& s, v1::SqlResponse* out) {
  std::vector<record::Value> partials;
  for (const v1::SqlRow& row : out->rows()) {
    if (row.values_size() != 1) continue;
    auto v = ValueFromProto(row.values(0));
    if (!v.ok()) return v.status();
    partials.push_back(*std::move(v));
  }
  out->clear_rows();
  absl::Status convert;
  absl::Status st =
      engine_.MergeAggregates(s.module, s.function, s.args, partials, [&](record::Value v) {
        absl::Status c = ValueToProto(v, out->add_rows()->add_values());
        if (!c.ok() && convert.ok()) convert = c;
      });
  if (!st.ok()) return st;
  if (!convert.ok()) return convert;
  Message(out, RowCount(out->rows_size()));
  return absl::OkStatus();
}

absl::Status SqlExecutor::Show(const sql::Show& s, v1::SqlResponse* out) {
  switch (s.what) {
    case sql::ShowWhat::kNamespaces: {
      out->add_columns("namespace");
      for (absl::string_view n :
           absl::StrSplit(base::Absl(info_.Answer("namespaces")), ';', absl::SkipEmpty())) {
        out->add_rows()->add_values()->set_string_value(std::string(n));
      }
      break;
    }
    case sql::ShowWhat::kSets:
      InfoRows(info_.Answer(s.target.ns.empty() ? "sets" : "sets/" + s.target.ns), ':', out);
      break;
    case sql::ShowWhat::kBins: {
      // "ns:bin_names=2,bin_names_quota=65535,a,b;"
      out->add_columns("namespace");
      out->add_columns("bin");
      std::string text = info_.Answer(s.target.ns.empty() ? "bins" : "bins/" + s.target.ns);
      for (absl::string_view rec : absl::StrSplit(base::Absl(text), ';', absl::SkipEmpty())) {
        const size_t colon = rec.find(':');
        if (colon == absl::string_view::npos) continue;
        absl::string_view ns = rec.substr(0, colon);
        for (absl::string_view f : absl::StrSplit(rec.substr(colon + 1), ',', absl::SkipEmpty())) {
          if (f.find('=') != absl::string_view::npos) continue;
          v1::SqlRow* r = out->add_rows();
          r->add_values()->set_string_value(std::string(ns));
          r->add_values()->set_string_value(std::string(f));
        }
      }
      break;
    }
    case sql::ShowWhat::kIndexes:
      InfoRows(info_.Answer(s.target.ns.empty() ? "sindex-list" : "sindex-list:ns=" + s.target.ns),
               ':', out, s.target.ns);
      break;
    case sql::ShowWhat::kModules:
      InfoRows(info_.Answer("udf-list"), ',', out);
      break;
  }
  Message(out, absl::StrCat(out->rows_size(), out->rows_size() == 1 ? " row" : " rows"));
  return absl::OkStatus();
}

absl::Status SqlExecutor::Truncate(const sql::Truncate& s, v1::SqlResponse* out) {
  if (absl::Status st = engine_.Truncate(s.target.ns, s.target.set, 0); !st.ok()) return st;
  Message(out, "truncated");
  return absl::OkStatus();
}

}  // namespace tern::api
