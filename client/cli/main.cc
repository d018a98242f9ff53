// tern: the command line of a Tern cluster, over the gRPC API (libternclient).
//   tern info [command ...]          tern get ns set key [bins ...]
//   tern put ns set key bin=value    tern delete ns set key
//   tern operate ns set key OPS_JSON (list/map/bit/HLL/expression and simple ops; docs/cli.md)
//   tern scan ns [set] [--limit N]   tern bench ...
//   tern query ns[.set] --where 'bin = v | bin BETWEEN a AND b | bin WITHIN GEOJSON(...)'
//   tern udf register FILE | list | remove NAME | apply ns set key module function [args ...]
//   tern sql [-e STMT ...] [-f FILE]   (neither: an interactive shell; docs/sql.md)
// Tables for people by default, --json for programs. Exit codes: 0 ok, 1 the operation
// failed (not found, unknown namespace, no connection), 2 bad arguments.
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/bench.h"
#include "cli_values.h"
#include "operation_json.h"
#include "query_where.h"
#include "sql_shell.h"
#include "table.h"
#include "tern/client.h"

namespace {

using nlohmann::json;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct Globals {
  std::string host = "127.0.0.1";
  uint16_t port = 3100;
  bool json = false;
  int timeout_ms = 2000;
  bool int_key = false;
};

int Fail(const std::string& what, const tern::Status& s) {
  std::fprintf(stderr, "tern: %s: %s\n", what.c_str(), s.ToString().c_str());
  return kExitFailed;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "tern: %s (see tern --help)\n", message.c_str());
  return kExitUsage;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string TtlText(uint32_t ttl) { return ttl == 0 ? "never" : std::to_string(ttl) + "s"; }

json KeyJson(const tern::Key& k) {
  json j = {{"namespace", k.ns()}, {"set", k.set()}, {"digest", k.DigestHex()}};
  if (auto* s = std::get_if<std::string>(&k.user_key())) j["key"] = *s;
  if (auto* i = std::get_if<int64_t>(&k.user_key())) j["key"] = *i;
  if (auto* b = std::get_if<tern::Bytes>(&k.user_key())) j["key"] = tern::cli::ToJson(*b);
  return j;
}

std::string KeyText(const tern::Key& k) {
  if (auto* s = std::get_if<std::string>(&k.user_key())) return *s;
  if (auto* i = std::get_if<int64_t>(&k.user_key())) return std::to_string(*i);
  if (auto* b = std::get_if<tern::Bytes>(&k.user_key())) return tern::cli::Display(*b);
  return "digest:" + k.DigestHex();
}

json RecordJson(const tern::Record& r) {
  json bins = json::object();
  for (const auto& b : r.bins) bins[b.name] = tern::cli::ToJson(b.value);
  json j = {{"generation", r.generation}, {"ttl", r.ttl}, {"bins", bins}};
  if (r.key) j["key"] = KeyJson(*r.key);
  return j;
}

tern::Result<tern::Key> MakeKey(const Globals& g, const std::string& ns, const std::string& set,
                                const std::string& key) {
  if (!g.int_key) return tern::Key(ns, set, key);
  auto v = tern::cli::ParseValueArg(key);
  if (!v.ok() || !v->is_int()) {
    return tern::Status(tern::result::kInvalidArgument,
                        "--int-key: '" + key + "' is not an integer");
  }
  return tern::Key(ns, set, v->as_int());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tern: the command line of a Tern database (gRPC API, port 3100)"};
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  app.add_option("--host", g.host, "node address")->capture_default_str();
  app.add_option("--port", g.port, "gRPC port")->capture_default_str();
  app.add_flag("--json", g.json, "machine-readable output (JSON)");
  app.add_option("--timeout", g.timeout_ms, "per-request timeout, milliseconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("-i,--int-key", g.int_key, "the key is an integer (default: a string)");

  std::vector<std::string> info_cmds;
  CLI::App* info = app.add_subcommand("info", "run info commands (none: the node summary)");
  info->add_option("command", info_cmds, "info command, e.g. namespaces or namespace/test");

  std::string ns, set, key;
  std::vector<std::string> bins;
  CLI::App* get = app.add_subcommand("get", "read a record");
  get->add_option("ns", ns, "namespace")->required();
  get->add_option("set", set, "set")->required();
  get->add_option("key", key, "user key")->required();
  get->add_option("bins", bins, "bins to read (default: all)");

  std::vector<std::string> bin_args;
  int64_t ttl = 0;
  bool create_only = false, update_only = false, replace = false, no_send_key = false;
  CLI::App* put = app.add_subcommand("put", "write bins of a record");
  put->add_option("ns", ns, "namespace")->required();
  put->add_option("set", set, "set")->required();
  put->add_option("key", key, "user key")->required();
  put->add_option("bins", bin_args,
                  "bin=value ...: integers, doubles, true/false, JSON lists/maps, else strings")
      ->required();
  put->add_option("--ttl", ttl, "seconds; 0 namespace default, -1 never, -2 keep");
  auto* co = put->add_flag("--create-only", create_only, "fail if the record exists");
  auto* uo = put->add_flag("--update-only", update_only, "fail if the record does not exist");
  auto* rp = put->add_flag("--replace", replace, "replace every bin");
  co->excludes(uo)->excludes(rp);
  uo->excludes(rp);
  put->add_flag("--no-send-key", no_send_key, "do not store the user key with the record");

  std::string ops_json;
  CLI::App* operate = app.add_subcommand("operate", "run operations on one record");
  operate->add_option("ns", ns, "namespace")->required();
  operate->add_option("set", set, "set")->required();
  operate->add_option("key", key, "user key")->required();
  operate
      ->add_option("ops", ops_json,
                   "JSON array of operations, e.g. "
                   "'[{\"op\":\"list_append\",\"bin\":\"tags\",\"value\":\"x\"}]'")
      ->required();

  CLI::App* del = app.add_subcommand("delete", "delete a record");
  del->add_option("ns", ns, "namespace")->required();
  del->add_option("set", set, "set")->required();
  del->add_option("key", key, "user key")->required();

  uint64_t limit = 0;
  std::vector<std::string> scan_bins;
  CLI::App* scan = app.add_subcommand("scan", "list the records of a namespace or set");
  scan->add_option("ns", ns, "namespace")->required();
  scan->add_option("set", set, "set (default: every set)");
  scan->add_option("--limit", limit, "at most this many records (0 = all)");
  scan->add_option("--bins", scan_bins, "bins to return (default: all)")->delimiter(',');

  std::string query_target, query_where, query_in;
  CLI::App* query =
      app.add_subcommand("query", "list the records a secondary index matches (docs/cli.md)");
  query->add_option("target", query_target, "ns or ns.set")->required();
  query
      ->add_option("--where", query_where,
                   "bin = v | bin BETWEEN a AND b | bin WITHIN GEOJSON('region') | "
                   "bin CONTAINS GEOJSON('point')")
      ->required();
  query->add_option("--in", query_in, "list | mapkeys | mapvalues: the bin's collection index");
  query->add_option("--limit", limit, "at most this many records (0 = all)");
  query->add_option("--bins", scan_bins, "bins to return (default: all)")->delimiter(',');

  CLI::App* udf = app.add_subcommand("udf", "manage and run Lua UDF modules");
  udf->require_subcommand(1);
  udf->fallthrough();
  std::string udf_file;
  CLI::App* udf_register = udf->add_subcommand("register", "register (or replace) a module");
  udf_register->add_option("file", udf_file, "the Lua file; registered under its base name")
      ->required();
  udf->add_subcommand("list", "the registered modules");
  CLI::App* udf_remove = udf->add_subcommand("remove", "remove a module");
  udf_remove->add_option("name", udf_file, "module file name (mod.lua, or mod)")->required();
  std::string udf_module, udf_function;
  CLI::App* udf_apply = udf->add_subcommand("apply", "run a record UDF on one record");
  udf_apply->add_option("ns", ns, "namespace")->required();
  udf_apply->add_option("set", set, "set")->required();
  udf_apply->add_option("key", key, "user key")->required();
  udf_apply->add_option("module", udf_module, "module name (mod)")->required();
  udf_apply->add_option("function", udf_function, "function name")->required();
  // The UDF arguments are the words left over after `function` (see below).

  CLI::App* index = app.add_subcommand("index", "manage secondary indexes (docs/indexes.md)");
  index->require_subcommand(1);
  index->fallthrough();
  std::string index_name, index_target, index_bin, index_type, index_in = "default";
  CLI::App* index_create =
      index->add_subcommand("create", "create an index; every node builds it in the background");
  index_create->add_option("name", index_name, "index name")->required();
  index_create->add_option("target", index_target, "ns or ns.set")->required();
  index_create->add_option("bin", index_bin, "bin")->required();
  index_create->add_option("type", index_type, "numeric, string, blob or geo2dsphere")
      ->required()
      ->transform(CLI::IsMember({"numeric", "string", "blob", "geo2dsphere"}, CLI::ignore_case));
  index_create
      ->add_option("--in", index_in,
                   "index a collection's items: list (elements), mapkeys, mapvalues")
      ->transform(CLI::IsMember({"default", "list", "mapkeys", "mapvalues"}, CLI::ignore_case));
  CLI::App* index_drop = index->add_subcommand("drop", "drop an index");
  index_drop->add_option("ns", ns, "namespace")->required();
  index_drop->add_option("name", index_name, "index name")->required();
  CLI::App* index_list = index->add_subcommand("list", "the indexes and their build progress");
  index_list->add_option("ns", ns, "namespace (default: all)");

  tern::cli::SqlOptions sql_opts;
  CLI::App* sql = app.add_subcommand("sql", "run SQL-like statements (docs/sql.md)");
  sql->add_option("-e,--execute", sql_opts.statements,
                  "statement(s) to run, ';'-separated; repeatable")
      ->allow_extra_args(false);
  sql->add_option("-f,--file", sql_opts.file, "run the statements of this file");

  tern::bench::Options bench_opts;
  CLI::App* bench = app.add_subcommand("bench", "YCSB-style closed-loop benchmark");
  tern::bench::AddOptions(bench, &bench_opts);

  // Left-over words reach the top level (fallthrough) and are kept there, in order: they are
  // udf apply's arguments, an error for every other command. Not a vector option: CLI11 would
  // split an argument like [1,2] into two. Set last, so that no subcommand inherits it.
  app.allow_extras();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return Usage(e.what());
  }

  const std::vector<std::string> extras = app.remaining();
  if (!udf_apply->parsed() && !extras.empty()) {
    std::string words;
    for (const auto& e : extras) words += (words.empty() ? "" : " ") + e;
    return Usage("unexpected arguments: " + words);
  }
  // udf apply's key and arguments are checked before connecting.
  std::optional<tern::Key> udf_key;
  std::vector<tern::Value> udf_args;
  if (udf_apply->parsed()) {
    auto k = MakeKey(g, ns, set, key);
    if (!k.ok()) return Usage(k.status().message());
    udf_key = std::move(*k);
    for (const auto& a : extras) {
      if (a.size() > 2 && a.starts_with("--") && !std::isdigit(static_cast<unsigned char>(a[2]))) {
        return Usage("udf apply: unknown option " + a);
      }
      auto v = tern::cli::ParseValueArg(a);
      if (!v.ok()) return Usage(v.status().message());
      udf_args.push_back(std::move(*v));
    }
  }

  // Operations are checked before connecting: a bad one sends nothing.
  std::vector<tern::Operation> operations;
  if (operate->parsed()) {
    auto ops = tern::cli::ParseOperations(ops_json);
    if (!ops.ok()) return Usage(ops.status().message());
    operations = std::move(*ops);
  }

  // A query's arguments are checked before connecting too.
  std::optional<tern::QuerySpec> query_spec;
  if (query->parsed()) {
    auto spec = tern::cli::ParseQuery(query_target, query_where, query_in);
    if (!spec.ok()) return Usage(spec.status().message());
    query_spec = std::move(*spec);
  }

  if (bench->parsed()) {
    bench_opts.host = g.host;
    if (!bench->count("--port")) bench_opts.port = 0;  // protocol default
    if (app.count("--port")) bench_opts.port = g.port;
    bench_opts.json = g.json;
    return tern::bench::Run(bench_opts);
  }

  // SQL is parsed before connecting: a parse error needs no server.
  std::vector<tern::sql::Statement> sql_statements;
  if (sql->parsed()) {
    sql_opts.json = g.json;
    if (int rc = tern::cli::PrepareSql(sql_opts, &sql_statements); rc != 0) return rc;
  }

  const std::string seed = g.host + ":" + std::to_string(g.port);
  tern::ClientConfig cfg;
  cfg.seeds = {seed};
  cfg.connect_timeout = std::chrono::milliseconds(g.timeout_ms);
  cfg.read.timeout = cfg.write.timeout = std::chrono::milliseconds(g.timeout_ms);
  auto client = tern::Client::Connect(cfg);
  if (!client.ok()) return Fail("cannot connect to " + seed, client.status());
  tern::Client& c = **client;

  if (info->parsed()) {
    auto r = c.Info(info_cmds);
    if (!r.ok()) return Fail("info", r.status());
    for (const auto& [k, v] : *r) {
      if (v.rfind("ERROR:", 0) == 0) {
        std::fprintf(stderr, "tern: info %s: %s\n", k.c_str(), v.c_str());
        return kExitFailed;
      }
    }
    if (g.json) {
      std::cout << Dump(json(*r)) << "\n";
    } else if (info_cmds.size() == 1) {
      std::cout << r->begin()->second << "\n";
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const auto& [k, v] : *r) rows.push_back({k, v});
      tern::cli::PrintTable({"command", "value"}, rows);
    }
    return 0;
  }

  if (get->parsed() || put->parsed() || del->parsed() || operate->parsed()) {
    auto k = MakeKey(g, ns, set, key);
    if (!k.ok()) return Usage(k.status().message());
    const std::string what = std::string(get->parsed()       ? "get"
                                         : put->parsed()     ? "put"
                                         : operate->parsed() ? "operate"
                                                             : "delete") +
                             " " + ns + "/" + set + "/" + key;
    if (get->parsed() || operate->parsed()) {
      auto r = get->parsed() ? c.Get(*k, bins) : c.Operate(*k, operations);
      if (!r.ok()) return Fail(what, r.status());
      if (g.json && operate->parsed()) {
        // In answer order: several operations may answer under one bin name.
        json results = json::array();
        for (const auto& b : r->bins) {
          results.push_back({{"bin", b.name}, {"value", tern::cli::ToJson(b.value)}});
        }
        std::cout << Dump({{"generation", r->generation}, {"ttl", r->ttl}, {"results", results}})
                  << "\n";
        return 0;
      }
      if (g.json) {
        std::cout << Dump(RecordJson(*r)) << "\n";
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& b : r->bins) rows.push_back({b.name, tern::cli::Display(b.value)});
      tern::cli::PrintTable({"bin", "value"}, rows);
      std::cout << "(generation " << r->generation << ", ttl " << TtlText(r->ttl) << ")\n";
      return 0;
    }
    if (put->parsed()) {
      std::vector<tern::Bin> parsed;
      for (const auto& a : bin_args) {
        auto b = tern::cli::ParseBinArg(a);
        if (!b.ok()) return Usage(b.status().message());
        parsed.push_back(std::move(*b));
      }
      tern::WritePolicy p = cfg.write;
      p.ttl = ttl;
      p.send_key = !no_send_key;
      if (create_only) p.exists = tern::ExistsAction::kCreateOnly;
      if (update_only) p.exists = tern::ExistsAction::kUpdateOnly;
      if (replace) p.exists = tern::ExistsAction::kReplace;
      auto r = c.Put(*k, parsed, &p);
      if (!r.ok()) return Fail(what, r.status());
      if (g.json) {
        std::cout << Dump({{"generation", r->generation}, {"ttl", r->ttl}}) << "\n";
      } else {
        std::cout << "ok (generation " << r->generation << ", ttl " << TtlText(r->ttl) << ")\n";
      }
      return 0;
    }
    auto r = c.Delete(*k);
    if (!r.ok()) return Fail(what, r.status());
    if (!*r) return Fail(what, tern::Status(tern::result::kRecordNotFound, "record not found"));
    std::cout << (g.json ? Dump({{"deleted", true}}) : std::string("deleted")) << "\n";
    return 0;
  }

  if (udf->parsed()) {
    if (udf_register->parsed()) {
      const std::string what = "udf register " + udf_file;
      auto r = c.RegisterUdfFile(udf_file);
      if (!r.ok() && r.status().code() == tern::result::kInvalidArgument) {
        return Usage(what + ": " + r.status().message());
      }
      if (!r.ok()) return Fail(what, r.status());
      const std::string filename = std::filesystem::path(udf_file).filename().string();
      if (g.json) {
        std::cout << Dump({{"filename", filename}, {"hash", *r}}) << "\n";
      } else {
        std::cout << "registered " << filename << " (hash " << *r << ")\n";
      }
      return 0;
    }
    if (udf_remove->parsed()) {
      // "mod" names mod.lua, as apply names it.
      if (udf_file.find('.') == std::string::npos) udf_file += ".lua";
      const std::string what = "udf remove " + udf_file;
      auto r = c.RemoveUdf(udf_file);
      if (!r.ok()) return Fail(what, r.status());
      if (!*r) {
        return Fail(what, tern::Status(tern::result::kUdfError, "module not registered"));
      }
      std::cout << (g.json ? Dump({{"removed", udf_file}}) : "removed " + udf_file) << "\n";
      return 0;
    }
    if (udf_apply->parsed()) {
      tern::WritePolicy p = cfg.write;
      p.send_key = true;  // as put: a record the UDF creates keeps its key
      const std::string what =
          "udf apply " + ns + "/" + set + "/" + key + " " + udf_module + "." + udf_function;
      auto r = c.ApplyUdf(*udf_key, udf_module, udf_function, udf_args, &p);
      if (!r.ok()) return Fail(what, r.status());
      if (g.json) {
        std::cout << Dump({{"result", tern::cli::ToJson(*r)}}) << "\n";
      } else {
        std::cout << tern::cli::Display(*r) << "\n";
      }
      return 0;
    }
    auto r = c.ListUdfs();
    if (!r.ok()) return Fail("udf list", r.status());
    if (g.json) {
      json all = json::array();
      for (const auto& m : *r) {
        all.push_back({{"filename", m.filename}, {"name", m.name}, {"hash", m.hash}});
      }
      std::cout << Dump(all) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : *r) rows.push_back({m.filename, m.name, m.hash});
    tern::cli::PrintTable({"filename", "module", "hash"}, rows);
    return 0;
  }

  if (index->parsed()) {
    if (index_create->parsed()) {
      tern::IndexInfo def;
      const size_t dot = index_target.find('.');
      def.ns = index_target.substr(0, dot);
      def.set = dot == std::string::npos ? "" : index_target.substr(dot + 1);
      def.name = index_name;
      def.bin = index_bin;
      static const std::map<std::string, tern::IndexInfo::Type> kTypes = {
          {"numeric", tern::IndexInfo::Type::kNumeric},
          {"string", tern::IndexInfo::Type::kString},
          {"blob", tern::IndexInfo::Type::kBlob},
          {"geo2dsphere", tern::IndexInfo::Type::kGeo2dSphere}};
      static const std::map<std::string, tern::IndexInfo::Collection> kCollections = {
          {"default", tern::IndexInfo::Collection::kDefault},
          {"list", tern::IndexInfo::Collection::kList},
          {"mapkeys", tern::IndexInfo::Collection::kMapKeys},
          {"mapvalues", tern::IndexInfo::Collection::kMapValues}};
      def.type = kTypes.at(index_type);
      def.collection = kCollections.at(index_in);
      tern::Status s = c.CreateIndex(def);
      if (!s.ok()) return Fail("index create " + index_name, s);
      std::cout << (g.json ? Dump({{"created", index_name}})
                           : "index " + index_name +
                                 " created (built in the background: tern index list)")
                << "\n";
      return 0;
    }
    if (index_drop->parsed()) {
      tern::Status s = c.DropIndex(ns, index_name);
      if (!s.ok()) return Fail("index drop " + index_name, s);
      std::cout << (g.json ? Dump({{"dropped", index_name}}) : "index " + index_name + " dropped")
                << "\n";
      return 0;
    }
    auto r = c.ListIndexes(ns);
    if (!r.ok()) return Fail("index list", r.status());
    static constexpr const char* kTypeNames[] = {"numeric", "string", "blob", "geo2dsphere"};
    static constexpr const char* kCollectionNames[] = {"default", "list", "mapkeys", "mapvalues"};
    if (g.json) {
      json all = json::array();
      for (const auto& i : *r) {
        all.push_back({{"ns", i.ns},
                       {"set", i.set},
                       {"name", i.name},
                       {"bin", i.bin},
                       {"type", kTypeNames[static_cast<int>(i.type)]},
                       {"collection", kCollectionNames[static_cast<int>(i.collection)]},
                       {"load_pct", i.load_pct},
                       {"entries", i.entries}});
      }
      std::cout << Dump(all) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& i : *r) {
      rows.push_back({i.ns, i.set, i.name, i.bin, kTypeNames[static_cast<int>(i.type)],
                      kCollectionNames[static_cast<int>(i.collection)],
                      std::to_string(i.load_pct) + "%", std::to_string(i.entries)});
    }
    tern::cli::PrintTable({"ns", "set", "name", "bin", "type", "collection", "built", "entries"},
                          rows);
    return 0;
  }

  if (sql->parsed()) return tern::cli::RunSql(c, sql_opts, sql_statements);

  if (scan->parsed() || query->parsed()) {
    // Both print the same table (or one JSON object per record per line).
    std::vector<std::vector<std::string>> rows;
    uint64_t count = 0;
    auto show = [&](const tern::Record& r) {
      ++count;
      if (g.json) {
        std::cout << Dump(RecordJson(r)) << "\n";  // one JSON object per line
        return true;
      }
      json bins_obj = json::object();
      for (const auto& b : r.bins) bins_obj[b.name] = tern::cli::ToJson(b.value);
      rows.push_back({r.key->set(), KeyText(*r.key), std::to_string(r.generation), TtlText(r.ttl),
                      Dump(bins_obj)});
      return true;
    };
    tern::Status s;
    if (scan->parsed()) {
      tern::ScanSpec spec;
      spec.ns = ns;
      spec.set = set;
      spec.bins = scan_bins;
      spec.max_records = limit;
      s = c.Scan(spec, show);
      if (!s.ok()) return Fail("scan " + ns, s);
    } else {
      tern::QuerySpec& spec = *query_spec;
      spec.bins = scan_bins;
      spec.max_records = limit;
      s = c.Query(spec, show);
      if (!s.ok()) return Fail("query " + query_target, s);
    }
    if (!g.json) {
      tern::cli::PrintTable({"set", "key", "gen", "ttl", "bins"}, rows);
      std::cout << "(" << count << " record" << (count == 1 ? "" : "s") << ")\n";
    }
    return 0;
  }
  return Usage("no command");
}
