#include "api/sql_executor.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
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
#include "record/geo_shape.h"
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
      }
    } else {
      for (const std::string& name : projection_) {
        if (const record::Bin* b = rec.Find(name)) row[name] = b->value;
      }
    }
    rows_.push_back({key.value_or(record::Value()), std::move(row)});
  }

  size_t size() const { return rows_.size(); }

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
};

// The records a bin predicate's index names (each once), and the test a record read again
// must still pass: `WHERE bin = v | bin BETWEEN a AND b` walk one key range; `bin WITHIN |
// CONTAINS GEOJSON(...)` the geo query's cell ranges, then the exact geometric test.
absl::StatusOr<txn::QueryMatches> IndexMatches(txn::Engine& engine, const sql::Target& target,
                                               const sql::Predicate& where) {
  const ns::Namespace* ns = engine.catalog().Find(target.ns);
  if (!ns) return MakeError(ResultCode::kNamespaceNotFound, "no namespace " + target.ns);
  std::string bin;
  record::Value low, high;
  const auto* geo = std::get_if<sql::BinGeo>(&where);
  if (const auto* eq = std::get_if<sql::BinEquals>(&where)) {
    bin = eq->bin;
    low = high = eq->value;
  } else if (const auto* between = std::get_if<sql::BinBetween>(&where)) {
    bin = between->bin;
    low = between->low;
    high = between->high;
    if (low.type() != record::ParticleType::kInteger ||
        high.type() != record::ParticleType::kInteger) {
      return MakeError(ResultCode::kParameterError, "BETWEEN takes integers");
    }
  } else if (geo) {
    bin = geo->bin;
    low = high = geo->shape;
  } else {
    return MakeError(ResultCode::kParameterError, "not an index predicate");
  }
  index::SindexType type;
  switch (low.type()) {
    case record::ParticleType::kInteger:
      type = index::SindexType::kNumeric;
      break;
    case record::ParticleType::kString:
      type = index::SindexType::kString;
      break;
    case record::ParticleType::kBlob:
      type = index::SindexType::kBlob;
      break;
    case record::ParticleType::kGeoJson:
      if (!geo) return MakeError(ResultCode::kParameterError, "GeoJSON takes WITHIN or CONTAINS");
      type = index::SindexType::kGeo2dSphere;
      break;
    default:
      return MakeError(ResultCode::kParameterError, "an index matches integers, strings, blobs");
  }
  std::shared_ptr<index::SecondaryIndex> idx;
  if (auto all = ns->sindexes()) {
    for (const auto& i : *all) {
      const index::SindexDef& d = i->def();
      if (d.bin == bin && d.type == type && d.collection == index::SindexCollection::kDefault &&
          d.context.empty() && (d.set.empty() || d.set == target.set) && !i->dropped()) {
        idx = i;
        break;
      }
    }
  }
  if (!idx) {
    return MakeError(ResultCode::kIndexNotFound,
                     absl::StrCat("no index on bin '", bin, "' of ", target.ns,
                                  target.set.empty() ? "" : ".", target.set));
  }
  std::vector<std::pair<std::string, std::string>> ranges;
  txn::QueryMatches m;
  if (geo) {
    std::shared_ptr<const record::GeoShape> shape =
        record::GeoShape::Parse(geo->shape.bytes(), idx->geo_options());
    if (!shape) return MakeError(ResultCode::kGeoInvalidGeoJson, "not a valid GeoJSON shape");
    if (shape->is_point() != geo->contains) {
      return MakeError(ResultCode::kParameterError, "WITHIN takes a region, CONTAINS a point");
    }
    for (auto [lo, hi] : shape->QueryRanges()) {
      ranges.emplace_back(index::SecondaryIndex::CellKey(lo), index::SecondaryIndex::CellKey(hi));
    }
    m.still_matches = [idx, shape](const record::Record& rec) {
      return idx->GeoMatches(rec, *shape);
    };
  } else {
    std::string lo, hi;
    if (!idx->KeyOf(low, &lo) || !idx->KeyOf(high, &hi) || lo > hi) {
      return MakeError(ResultCode::kParameterError, "bad index range");
    }
    m.still_matches = [idx, lo, hi](const record::Record& rec) {
      for (const std::string& k : idx->KeysOf(rec)) {
        if (k >= lo && k <= hi) return true;
      }
      return false;
    };
    ranges.emplace_back(std::move(lo), std::move(hi));
  }
  for (const auto& [lo, hi] : ranges) {
    idx->Range(lo, hi, [&](std::string_view, const base::Digest& d) {
      m.digests.push_back(d);
      return true;
    });
  }
  // A record with several matching values (or cells) is read once.
  std::sort(m.digests.begin(), m.digests.end());
  m.digests.erase(std::unique(m.digests.begin(), m.digests.end()), m.digests.end());
  return m;
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

}  // namespace

absl::Status SqlExecutor::Run(std::string_view text, v1::SqlResponse* out) {
  auto statement = sql::ParseOne(text);
  if (!statement.ok()) {
    return MakeError(ResultCode::kParameterError, base::Std(statement.status().message()));
  }
  return Run(*statement, out);
}

absl::Status SqlExecutor::Run(const sql::Statement& st, v1::SqlResponse* out) {
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
        if constexpr (std::is_same_v<T, sql::Execute>) return Execute(s, out);
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
    absl::StatusOr<txn::QueryMatches> found = IndexMatches(engine_, s.target, *s.where);
    if (!found.ok()) return found.status();
    const txn::QueryMatches& m = *found;
    txn::ScanOptions opts;
    opts.ns = s.target.ns;
    opts.set = s.target.set;
    for (const base::Digest& d : m.digests) {
      if (rows.size() >= limit) break;
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
    absl::Status st =
        engine_.ScanPartition(opts, p, std::nullopt, [&](const txn::ScannedRecord& r) {
          if (r.record) rows.Add(r.record->key, *r.record);
          return rows.size() < limit;
        });
    if (!st.ok()) return st;
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
  switch (s.collection) {
    case sql::IndexCollection::kNone:
      def.collection = index::SindexCollection::kDefault;
      break;
    case sql::IndexCollection::kList:
      def.collection = index::SindexCollection::kList;
      break;
    case sql::IndexCollection::kMapKeys:
      def.collection = index::SindexCollection::kMapKeys;
      break;
    case sql::IndexCollection::kMapValues:
      def.collection = index::SindexCollection::kMapValues;
      break;
  }
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
  if (!s.key) return ExecuteAll(s, out);
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

absl::Status SqlExecutor::ExecuteAll(const sql::Execute& s, v1::SqlResponse* out) {
  if (!engine_.catalog().Find(s.target.ns)) {
    return MakeError(ResultCode::kNamespaceNotFound, "no namespace " + s.target.ns);
  }
  txn::ScanOptions opts;
  opts.ns = s.target.ns;
  opts.set = s.target.set;
  opts.metadata_only = true;
  uint64_t done = 0, failed = 0;
  std::string first_error;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    // The partition's records first, then the calls: a scan never waits on a record lock.
    std::vector<std::pair<base::Digest, std::string>> records;
    absl::Status st =
        engine_.ScanPartition(opts, p, std::nullopt, [&](const txn::ScannedRecord& r) {
          records.emplace_back(r.digest, r.set);
          return true;
        });
    if (!st.ok()) return st;
    for (auto& [digest, set] : records) {
      txn::Request req;
      req.command = txn::Command::kUdf;
      req.ns = s.target.ns;
      req.set = std::move(set);
      req.digest = digest;
      req.udf_module = s.module;
      req.udf_function = s.function;
      req.udf_args = s.args;
      txn::Response resp = engine_.Execute(req);
      if (resp.result == ResultCode::kOk) {
        ++done;
      } else if (resp.result != ResultCode::kRecordNotFound) {  // gone since the scan
        if (failed++ == 0) first_error = std::string(ErrorOf(resp).message());
      }
    }
  }
  out->set_affected(done);
  Message(out, absl::StrCat(done, done == 1 ? " record" : " records", " processed",
                            failed ? absl::StrCat(", ", failed, " failed (", first_error, ")")
                                   : std::string()));
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
    absl::StatusOr<txn::QueryMatches> found = IndexMatches(engine_, s.target, *s.where);
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
