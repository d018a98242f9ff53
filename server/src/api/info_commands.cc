#include "api/info_commands.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "base/strings.h"
#include "base/version.h"
#include "record/expression.h"

namespace tern::api {

using base::ResultCode;

std::string InfoError(ResultCode code, std::string_view message) {
  return absl::StrCat("ERROR:", static_cast<int>(code), ":", base::Absl(message));
}

namespace {

// Advertised protocol features. `pscans`, `pquery`, `batch-any`, `query-show`, `peers` and
// `replicas` select the modern client code paths; collection, bit, UDF and index features are
// added as they are implemented.
constexpr const char* kFeatures =
    "batch-any;batch-index;blob-bits;cdt-list;cdt-map;cluster-stable;float;peers;pipelining;"
    "pquery;pscans;query-show;replicas;replicas-all;replicas-master;replicas-max;sindex-exists;"
    "truncate-namespace;udf";

}  // namespace

InfoCommands::InfoCommands(txn::Engine& engine, NodeIdentity node, udf::ModuleRegistry* modules,
                           query::JobManager* jobs, query::IndexCatalog* indexes)
    : engine_(engine),
      node_(std::move(node)),
      modules_(modules),
      jobs_(jobs),
      indexes_(indexes),
      cluster_(engine.catalog(), nullptr) {}

std::string InfoCommands::ServiceAddress() const {
  // A wildcard address is not something a client can dial; an empty answer means "unknown".
  const std::string& a = node_.service_address;
  if (a.empty() || a == "0.0.0.0" || a == "::") return "";
  if (a.find(':') != std::string::npos) return absl::StrCat("[", a, "]:", node_.service_port);
  return absl::StrCat(a, ":", node_.service_port);
}

InfoCommands::Params InfoCommands::ParseParams(std::string_view params) {
  Params out;
  for (absl::string_view kv : absl::StrSplit(base::Absl(params), ';', absl::SkipEmpty())) {
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) {
      out.emplace(std::string(kv), "");
    } else {
      out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  return out;
}

std::string InfoCommands::Answer(std::string_view line) {
  size_t cut = line.find_first_of("/:;");
  std::string_view name = line.substr(0, cut);
  std::string_view rest = cut == std::string_view::npos ? "" : line.substr(cut + 1);
  const bool slash = cut != std::string_view::npos && line[cut] == '/';

  if (name == "node") return node_.name;
  if (name == "features") return kFeatures;
  if (name == "partition-generation" || name == "peers-generation" ||
      name == "rebalance-generation") {
    return absl::StrCat(cluster_.Generation());
  }
  if (name == "peers-clear-std" || name == "peers-clear-alt") return cluster_.Peers();
  if (name == "peers-tls-std" || name == "peers-tls-alt") {
    return absl::StrCat(cluster_.Generation(), ",3000,[]");  // no TLS listener
  }
  if (name == "service-clear-std" || name == "service-clear-alt" || name == "service-tls-std" ||
      name == "service-tls-alt" || name == "service") {
    return ServiceAddress();
  }
  if (name == "services" || name == "services-alternate" || name == "services-alumni") {
    return cluster_.Services();
  }
  if (name == "replicas") {
    Params p = ParseParams(rest);
    uint32_t max = 255;
    if (auto it = p.find("max"); it != p.end() && !absl::SimpleAtoi(it->second, &max)) {
      return InfoError(ResultCode::kParameterError, "max must be a number");
    }
    return cluster_.Replicas(true, max);
  }
  if (name == "replicas-all") return cluster_.Replicas(false, 255);
  if (name == "replicas-master") return cluster_.ReplicasMaster();
  if (name == "cluster-stable") return cluster_.ClusterStable(ParseParams(rest));
  if (name == "quiesce") return cluster_.Quiesce(true);
  if (name == "quiesce-undo") return cluster_.Quiesce(false);
  if (name == "recluster") return cluster_.Recluster();
  if (name == "tip") return cluster_.Tip(ParseParams(rest));
  if (name == "tip-clear" || name == "services-alumni-reset") return cluster_.ForgetDeparted();
  if (name == "partitions") return absl::StrCat(base::kPartitionCount);
  if (name == "rack-ids") {
    std::vector<std::string> parts;
    for (const auto& n : engine_.catalog().namespaces())
      parts.push_back(absl::StrCat(n->name(), ":", node_.rack_id));
    return absl::StrJoin(parts, ";");
  }
  if (name == "user-agent-set") return "ok";
  if (name == "release") {
    return absl::StrCat("edition=", base::kEdition, ";version=", base::kCompatibleBuild,
                        ";os=linux;arch=x86_64;sha=tern-", base::kTernVersion);
  }
  if (name == "build") return base::kCompatibleBuild;
  if (name == "version") return absl::StrCat(base::kEdition, " build ", base::kCompatibleBuild);
  if (name == "edition") return base::kEdition;
  if (name == "tern-version") return base::kTernVersion;
  if (name == "status") return "ok";
  if (name == "cluster-name") return node_.cluster_name;
  if (name == "namespaces") return Namespaces();
  if (name == "statistics") return Statistics();
  if (name == "namespace" && slash) return NamespaceStats(rest);
  if (name == "sets") {
    std::vector<absl::string_view> parts = absl::StrSplit(base::Absl(rest), '/', absl::SkipEmpty());
    return Sets(parts.size() > 0 ? base::Std(parts[0]) : "",
                parts.size() > 1 ? base::Std(parts[1]) : "");
  }
  if (name == "bins") return Bins(rest);
  if (name == "query-show" || name == "scan-show") return JobShow(ParseParams(rest));
  if (name == "jobs") return JobShow(ParseParams(rest));  // jobs:module=..;cmd=get-job;trid=..
  if (name == "query-abort" || name == "scan-abort") return JobAbort(ParseParams(rest));
  if (name == "sindex-create") return SindexCreate(ParseParams(rest));
  if (name == "sindex-delete") return SindexDelete(ParseParams(rest));
  if (name == "sindex-list") {
    Params p = ParseParams(rest);
    auto ns = p.find("ns");
    if (ns == p.end()) ns = p.find("namespace");
    return SindexList(ns == p.end() ? "" : std::string_view(ns->second));
  }
  if (name == "sindex") {
    if (!slash) return SindexList("");
    std::vector<absl::string_view> parts = absl::StrSplit(base::Absl(rest), '/', absl::SkipEmpty());
    if (parts.size() == 1) return SindexList(base::Std(parts[0]));
    if (parts.size() == 2) return SindexStat(base::Std(parts[0]), base::Std(parts[1]));
    return InfoError(ResultCode::kParameterError, "sindex/<ns>/<index>");
  }
  if (name == "sindex-stat" || name == "sindex-exists") {
    Params p = ParseParams(rest);
    auto ns = p.find("namespace");
    if (ns == p.end()) ns = p.find("ns");
    auto idx = p.find("indexname");
    if (ns == p.end() || idx == p.end())
      return InfoError(ResultCode::kParameterError, "namespace and indexname");
    if (name == "sindex-exists") {
      const ns::Namespace* n = engine_.catalog().Find(ns->second);
      return n && n->FindSindex(idx->second) ? "true" : "false";
    }
    return SindexStat(ns->second, idx->second);
  }
  if (name == "udf-put") return UdfPut(ParseParams(rest));
  if (name == "udf-list") return UdfList();
  if (name == "udf-get") return UdfGet(ParseParams(rest));
  if (name == "udf-remove") return UdfRemove(ParseParams(rest));
  if (name == "get-config") return GetConfig(ParseParams(rest));
  if (name == "set-config") return SetConfig(ParseParams(rest));
  if (name == "truncate") return Truncate(ParseParams(rest), false);
  if (name == "truncate-namespace") return Truncate(ParseParams(rest), true);
  return InfoError(ResultCode::kParameterError, "unrecognized command");
}

std::string InfoCommands::Namespaces() const {
  std::vector<std::string> names;
  for (const auto& n : engine_.catalog().namespaces()) names.push_back(n->name());
  return absl::StrJoin(names, ";");
}

namespace {

std::string NamespaceConfigText(const ns::Namespace& n) {
  const auto& p = n.policy();
  const auto& c = n.config();
  return absl::StrCat(
      "storage-engine=", c.storage == base::StorageKind::kFlash ? "flash" : "memory",
      ";replication-factor=", c.replication_factor, ";default-ttl=", p.default_ttl.load(),
      ";max-record-size=", p.max_record_size.load(), ";memory-size=", p.memory_size.load(),
      ";disk-size=", p.disk_size.load(), ";stop-writes-pct=", p.stop_writes_pct.load(),
      ";evict-pct=", p.evict_pct.load(), ";nsup-period=", p.nsup_period_sec.load(),
      ";allow-ttl-without-nsup=false;commit-to-device=", c.commit_to_device ? "true" : "false",
      ";strong-consistency=false",  // config refuses strong: every namespace is AP
      ";partition-tree-sprigs=", c.sprigs_per_partition);
}

}  // namespace

std::string InfoCommands::NamespaceStats(std::string_view name) const {
  const ns::Namespace* n = engine_.catalog().Find(name);
  if (!n) return "type=unknown";
  return absl::StrCat(
      "ns_cluster_size=", cluster_.Size(), ";objects=", n->index().size(),
      ";data_used_bytes=", n->data_bytes(), ";memory_used_bytes=", n->memory_used_bytes(),
      ";index_used_bytes=", n->index().ArenaBytesInUse(), ";disk_used_bytes=", n->disk_used_bytes(),
      ";stop_writes=", n->StopWrites() ? "true" : "false", ";expired_objects=", n->expired_total(),
      ";evicted_objects=", n->evicted_total(), ";truncated_objects=", n->truncated_total(), ";",
      NamespaceConfigText(*n));
}

std::string InfoCommands::Sets(std::string_view ns_name, std::string_view set_name) const {
  std::string out;
  for (const auto& n : engine_.catalog().namespaces()) {
    if (!ns_name.empty() && n->name() != ns_name) continue;
    for (const ns::SetInfo* s : n->sets().All()) {
      if (!set_name.empty() && s->name != set_name) continue;
      const int64_t ttl = s->default_ttl.load();
      std::string stats = absl::StrCat(
          "objects=", s->objects.load(), ":tombstones=0:data_used_bytes=", s->data_bytes.load(),
          ":truncate_lut=", s->truncate_lut_ms.load(), ":sindexes=0:index_populating=false",
          ":truncating=false:default-ttl=", ttl < 0 ? n->policy().default_ttl.load() : ttl,
          ":disable-eviction=", s->disable_eviction.load() ? "true" : "false",
          ":stop-writes-count=", s->stop_writes_count.load());
      if (set_name.empty()) {
        absl::StrAppend(&out, "ns=", n->name(), ":set=", s->name, ":", stats, ";");
      } else {
        absl::StrAppend(&out, stats, ";");
      }
    }
  }
  return out;
}

std::string InfoCommands::Bins(std::string_view ns_name) const {
  // Legacy format: <ns>:bin_names=N,bin_names_quota=Q,<name>,<name>...;
  std::string out;
  for (const auto& n : engine_.catalog().namespaces()) {
    if (!ns_name.empty() && n->name() != ns_name) continue;
    std::vector<std::string> names = n->BinNames();
    absl::StrAppend(&out, n->name(), ":bin_names=", names.size(), ",bin_names_quota=65535");
    for (const auto& b : names) absl::StrAppend(&out, ",", b);
    absl::StrAppend(&out, ";");
  }
  return out;
}

// The udf-* commands answer errors as `error=<token>[;...]` (clients map that to ERR_UDF).
std::string InfoCommands::UdfPut(const Params& p) {
  if (!modules_) return "error=udf_not_available";
  auto filename = p.find("filename");
  auto content = p.find("content");
  auto len = p.find("content-len");
  auto type = p.find("udf-type");
  if (filename == p.end() || !udf::ModuleRegistry::ValidFilename(filename->second)) {
    return "error=invalid_filename";
  }
  if (type != p.end() && type->second != "LUA") return "error=invalid_udf_type";
  if (content == p.end()) return "error=invalid_content";
  size_t declared = 0;
  if (len == p.end() || !absl::SimpleAtoi(len->second, &declared) ||
      declared != content->second.size() || declared % 4 != 0) {
    return "error=invalid_content_len";
  }
  std::string source;
  if (!absl::Base64Unescape(content->second, &source)) return "error=invalid_base64_content";
  if (source.size() > (1 << 20)) return "error=invalid_content_len";
  udf::CompileError error;
  absl::Status s = modules_->Put(filename->second, source, &error);
  if (s.ok()) return "ok";
  if (base::ResultCodeOf(s) == ResultCode::kUdfError) {
    return absl::StrCat("error=compile_error;file=", error.file, ";line=", error.line,
                        ";message=", absl::Base64Escape(error.message));
  }
  return absl::StrCat("error=", s.message());
}

std::string InfoCommands::UdfList() const {
  if (!modules_) return "";
  std::string out;
  for (const udf::Module& m : modules_->List()) {
    absl::StrAppend(&out, "filename=", m.filename, ",hash=", m.hash, ",type=LUA;");
  }
  return out;
}

std::string InfoCommands::UdfGet(const Params& p) const {
  auto filename = p.find("filename");
  if (!modules_ || filename == p.end()) return "error=not_found";
  auto m = modules_->Get(filename->second);
  if (!m) return "error=not_found";
  return absl::StrCat("type=LUA;content=", absl::Base64Escape(m->source), ";");
}

std::string InfoCommands::UdfRemove(const Params& p) {
  auto filename = p.find("filename");
  if (!modules_ || filename == p.end()) return "error=invalid_filename";
  if (absl::Status s = modules_->Remove(filename->second); !s.ok()) {
    return absl::StrCat("error=", s.message());
  }
  return "ok";
}

namespace {

// The job id: `trid=` (before 8.1) or `id=`.
bool JobId(const std::map<std::string, std::string, std::less<>>& p, uint64_t* id) {
  auto it = p.find("trid");
  if (it == p.end()) it = p.find("id");
  return it != p.end() && absl::SimpleAtoi(it->second, id);
}

}  // namespace

std::string InfoCommands::JobShow(const Params& p) const {
  uint64_t id = 0;
  if (!JobId(p, &id)) return InfoError(ResultCode::kParameterError, "missing trid");
  auto info = jobs_ ? jobs_->Get(id) : std::nullopt;
  if (!info) return InfoError(ResultCode::kRecordNotFound, "job not found");
  using State = query::JobInfo::State;
  const char* status = info->state == State::kDone      ? "done(ok)"
                       : info->state == State::kAborted ? "done(abandoned-user-aborted)"
                                                        : "active(ok)";
  const double pct =
      info->state == State::kDone ? 100.0 : 100.0 * info->partitions_done / base::kPartitionCount;
  const int64_t end = info->end_ms ? info->end_ms : base::NowUnixMs();
  return absl::StrCat("trid=", id, ":ns=", info->ns, ":set=", info->set, ":module=", info->module,
                      ":status=", status, ":job-progress=", absl::StrFormat("%.2f", pct),
                      ":run-time=", end - info->start_ms, ":recs-read=", info->records_read,
                      ":recs-succeeded=", info->succeeded, ":recs-failed=", info->failed);
}

std::string InfoCommands::JobAbort(const Params& p) {
  uint64_t id = 0;
  if (!JobId(p, &id)) return InfoError(ResultCode::kParameterError, "missing trid");
  if (!jobs_ || !jobs_->Abort(id)) return InfoError(ResultCode::kRecordNotFound, "id not active");
  return "ok";
}

// Both dialects: ns=/indexdata=bin,TYPE (before 8.1) and namespace=/bin=/type= (8.1+).
std::string InfoCommands::SindexCreate(const Params& p) {
  if (!indexes_)
    return InfoError(ResultCode::kUnsupportedFeature, "secondary indexes are not available");
  auto get = [&](std::string_view a, std::string_view b = "") -> std::optional<std::string> {
    auto it = p.find(a);
    if (it == p.end() && !b.empty()) it = p.find(b);
    if (it == p.end()) return std::nullopt;
    return it->second;
  };
  index::SindexDef def;
  auto ns = get("ns", "namespace");
  auto name = get("indexname");
  if (!ns || !name) return InfoError(ResultCode::kParameterError, "missing namespace or indexname");
  def.ns = *ns;
  def.name = *name;
  def.set = get("set").value_or("");
  if (auto exp = get("exp")) {
    // An expression index: the value of a base64 packed expression instead of a bin.
    if (!absl::Base64Unescape(*exp, &def.expression) || def.expression.empty() ||
        !record::Expression::Decode(def.expression).ok()) {
      return InfoError(ResultCode::kParameterError, "exp must be a base64 packed expression");
    }
    if (get("context") || get("bin") || get("indexdata")) {
      return InfoError(ResultCode::kParameterError, "an expression index takes no bin or context");
    }
  }
  if (auto ctx = get("context")) {
    if (!absl::Base64Unescape(*ctx, &def.context) ||
        !index::SindexDef::SupportedContext(def.context)) {
      return InfoError(ResultCode::kParameterError,
                       "context must be base64 msgpack of map-key / list-index steps");
    }
  }
  std::string coll = get("indextype").value_or("DEFAULT");
  absl::AsciiStrToUpper(&coll);
  if (coll == "SET") {
    // A set index (8.1.2) indexes set membership: no bin, no value type.
    def.collection = index::SindexCollection::kSet;
    if (absl::Status s = indexes_->Create(def); !s.ok())
      return InfoError(base::ResultCodeOf(s), base::Std(s.message()));
    return "ok";
  }
  std::string type;
  if (auto data = get("indexdata")) {
    std::vector<std::string> parts = absl::StrSplit(*data, ',');
    if (parts.size() != 2) return InfoError(ResultCode::kParameterError, "indexdata=<bin>,<type>");
    def.bin = parts[0];
    type = parts[1];
  } else {
    def.bin = get("bin").value_or("");
    type = get("type").value_or("");
  }
  absl::AsciiStrToUpper(&type);
  if (type == "NUMERIC" || type == "INTEGER") {
    def.type = index::SindexType::kNumeric;
  } else if (type == "STRING") {
    def.type = index::SindexType::kString;
  } else if (type == "BLOB") {
    def.type = index::SindexType::kBlob;
  } else if (type == "GEO2DSPHERE") {
    def.type = index::SindexType::kGeo2dSphere;
  } else {
    return InfoError(ResultCode::kParameterError,
                     absl::StrCat("unsupported index type '", type, "'"));
  }
  if (coll == "DEFAULT") {
    def.collection = index::SindexCollection::kDefault;
  } else if (coll == "LIST") {
    def.collection = index::SindexCollection::kList;
  } else if (coll == "MAPKEYS") {
    def.collection = index::SindexCollection::kMapKeys;
  } else if (coll == "MAPVALUES") {
    def.collection = index::SindexCollection::kMapValues;
  } else {
    return InfoError(ResultCode::kParameterError,
                     absl::StrCat("unsupported indextype '", coll, "'"));
  }
  if (absl::Status s = indexes_->Create(def); !s.ok())
    return InfoError(base::ResultCodeOf(s), base::Std(s.message()));
  return "ok";
}

std::string InfoCommands::SindexDelete(const Params& p) {
  if (!indexes_)
    return InfoError(ResultCode::kUnsupportedFeature, "secondary indexes are not available");
  auto ns = p.find("ns");
  if (ns == p.end()) ns = p.find("namespace");
  auto name = p.find("indexname");
  if (ns == p.end() || name == p.end())
    return InfoError(ResultCode::kParameterError, "missing namespace or indexname");
  if (absl::Status s = indexes_->Drop(ns->second, name->second); !s.ok()) {
    return InfoError(base::ResultCodeOf(s), base::Std(s.message()));
  }
  return "ok";
}

std::string InfoCommands::SindexList(std::string_view ns_name) const {
  std::string out;
  for (const auto& n : engine_.catalog().namespaces()) {
    if (!ns_name.empty() && n->name() != ns_name) continue;
    auto all = n->sindexes();
    if (!all) continue;
    for (const auto& i : *all) {
      const index::SindexDef& d = i->def();
      absl::StrAppend(&out, "ns=", d.ns, ":indexname=", d.name,
                      ":set=", d.set.empty() ? "null" : d.set, ":bin=", d.bin,
                      ":type=", base::Absl(index::SindexTypeName(d.type)),
                      ":indextype=", base::Absl(index::SindexCollectionName(d.collection)),
                      ":context=", d.context.empty() ? "null" : absl::Base64Escape(d.context),
                      ":exp=", d.expression.empty() ? "null" : absl::Base64Escape(d.expression),
                      ":state=", i->load_pct() == 100 ? "RW" : "WO", ";");
    }
  }
  return out;
}

std::string InfoCommands::SindexStat(std::string_view ns_name, std::string_view name) const {
  const ns::Namespace* n = engine_.catalog().Find(ns_name);
  auto i = n ? n->FindSindex(name) : nullptr;
  if (!i) return InfoError(ResultCode::kIndexNotFound, "no index");
  return absl::StrCat("entries=", i->entries(), ";used_bytes=", i->memory_bytes(),
                      ";entries_per_bval=1;entries_per_rec=1;load_pct=", i->load_pct(),
                      ";load_time=0;stat_gc_recs=0");
}

std::string InfoCommands::Statistics() const {
  uint64_t objects = 0, memory = 0, disk = 0;
  for (const auto& n : engine_.catalog().namespaces()) {
    objects += n->index().size();
    memory += n->memory_used_bytes();
    disk += n->disk_used_bytes();
  }
  return absl::StrCat(cluster_.StatisticsFields(), ";cluster_name=", node_.cluster_name,
                      ";objects=", objects, ";memory_used_bytes=", memory,
                      ";disk_used_bytes=", disk,
                      ";namespaces=", engine_.catalog().namespaces().size());
}

std::string InfoCommands::GetConfig(const Params& p) const {
  auto ctx = p.find("context");
  if (ctx != p.end() && ctx->second == "service") return cluster_.ServiceConfig();
  if (ctx == p.end() || ctx->second != "namespace") {
    return InfoError(ResultCode::kParameterError,
                     "get-config supports context=namespace and context=service");
  }
  auto id = p.find("id");
  if (id == p.end()) id = p.find("namespace");
  if (id == p.end()) return InfoError(ResultCode::kParameterError, "missing id");
  const ns::Namespace* n = engine_.catalog().Find(id->second);
  if (!n) return InfoError(ResultCode::kNamespaceNotFound, "namespace not found");
  return NamespaceConfigText(*n);
}

std::string InfoCommands::SetConfig(const Params& p) {
  auto ctx = p.find("context");
  if (ctx != p.end() && ctx->second == "service") return cluster_.SetServiceConfig(p);
  if (ctx == p.end() || ctx->second != "namespace") {
    return InfoError(ResultCode::kParameterError,
                     "set-config supports context=namespace and context=service");
  }
  auto id = p.find("id");
  if (id == p.end()) id = p.find("namespace");
  if (id == p.end()) return InfoError(ResultCode::kParameterError, "missing id");
  ns::Namespace* n = engine_.catalog().Find(id->second);
  if (!n) return InfoError(ResultCode::kNamespaceNotFound, "namespace not found");
  auto set = p.find("set");
  std::string_view set_name = set == p.end() ? "" : std::string_view(set->second);
  // Check every value before applying any, so a bad one changes nothing.
  bool changed = false;
  for (bool apply : {false, true}) {
    for (const auto& [k, v] : p) {
      if (k == "context" || k == "id" || k == "namespace" || k == "set") continue;
      if (absl::Status s = n->SetPolicy(set_name, k, v, apply); !s.ok()) {
        return InfoError(base::ResultCodeOf(s), base::Std(s.message()));
      }
      changed = true;
    }
  }
  if (!changed) return InfoError(ResultCode::kParameterError, "nothing to set");
  return "ok";
}

std::string InfoCommands::Truncate(const Params& p, bool whole_namespace) {
  auto ns = p.find("namespace");
  if (ns == p.end()) return InfoError(ResultCode::kParameterError, "missing namespace");
  std::string set;
  if (!whole_namespace) {
    auto s = p.find("set");
    if (s == p.end()) return InfoError(ResultCode::kParameterError, "missing set");
    set = s->second;
  }
  int64_t before_ms = 0;
  if (auto lut = p.find("lut"); lut != p.end()) {
    int64_t nanos;
    if (!absl::SimpleAtoi(lut->second, &nanos) || nanos < 0) {
      return InfoError(ResultCode::kParameterError, "lut must be nanoseconds since the Unix epoch");
    }
    before_ms = nanos / 1'000'000;
  }
  if (absl::Status s = engine_.Truncate(ns->second, set, before_ms); !s.ok()) {
    return InfoError(base::ResultCodeOf(s), base::Std(s.message()));
  }
  return "ok";
}

}  // namespace tern::api
