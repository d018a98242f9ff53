#include "api/admin_server.h"

#include <cpprest/http_listener.h>
#include <cpprest/uri.h>
// cpprestsdk defines a macro U(x), which breaks fmt's templates (spdlog) included below.
#undef U

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/strings.h"
#include "base/version.h"

namespace tern::api {

namespace http = web::http;
using nlohmann::json;

namespace {

json NamespaceJson(const ns::Namespace& n) {
  const auto& p = n.policy();
  json sets = json::array();
  for (const ns::SetInfo* s : n.sets().All()) {
    sets.push_back({{"name", s->name},
                    {"objects", s->objects.load()},
                    {"data_bytes", s->data_bytes.load()},
                    {"default_ttl", s->default_ttl.load()},
                    {"stop_writes_count", s->stop_writes_count.load()},
                    {"disable_eviction", s->disable_eviction.load()},
                    {"truncate_lut_ms", s->truncate_lut_ms.load()}});
  }
  return {
      {"name", n.name()},
      {"storage", n.config().storage == base::StorageKind::kFlash ? "flash" : "memory"},
      {"replication_factor", n.config().replication_factor},
      {"consistency", "available"},  // the only mode this version runs
      {"objects", n.index().size()},
      {"memory_used_bytes", n.memory_used_bytes()},
      {"index_used_bytes", n.index().ArenaBytesInUse()},
      {"disk_used_bytes", n.disk_used_bytes()},
      {"stop_writes", n.StopWrites()},
      {"policy",
       {{"default_ttl", p.default_ttl.load()},
        {"max_record_size", p.max_record_size.load()},
        {"memory_size", p.memory_size.load()},
        {"disk_size", p.disk_size.load()},
        {"stop_writes_pct", p.stop_writes_pct.load()},
        {"evict_pct", p.evict_pct.load()},
        {"nsup_period_sec", p.nsup_period_sec.load()}}},
      {"sets", sets},
  };
}

void Reply(const http::http_request& req, http::status_code code, const json& body) {
  http::http_response resp(code);
  resp.headers().set_content_type("application/json");
  resp.set_body(body.dump());
  req.reply(resp);
}

void ReplyError(const http::http_request& req, http::status_code code, std::string_view msg) {
  Reply(req, code, json{{"error", std::string(msg)}});
}

// A JSON scalar as the text SetPolicy parses.
std::string PolicyText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

}  // namespace

class AdminServer::Impl {
 public:
  Impl(AdminServer& owner, txn::Engine& engine, InfoCommands& info, NodeIdentity node,
       udf::ModuleRegistry* modules)
      : owner_(owner), engine_(engine), info_(info), node_(std::move(node)), modules_(modules) {}

  void Handle(http::http_request req) {
    try {
      Route(req);
    } catch (const std::exception& e) {
      // cpprestsdk reports malformed bodies and closed sockets as exceptions: answer, never die.
      try {
        ReplyError(req, http::status_codes::BadRequest, e.what());
      } catch (...) {
      }
    }
  }

  void Route(http::http_request& req) {
    const std::string path = web::uri::decode(req.relative_uri().path());
    const auto& method = req.method();
    std::vector<std::string> parts;
    for (const auto& seg : web::uri::split_path(req.relative_uri().path())) {
      parts.push_back(web::uri::decode(seg));
    }
    if (parts.size() < 2 || parts[0] != "v1") {
      return ReplyError(req, http::status_codes::NotFound, absl::StrCat("no route for ", path));
    }
    const std::string& what = parts[1];
    auto only = [&](const http::method& m) {
      if (method == m) return true;
      ReplyError(req, http::status_codes::MethodNotAllowed,
                 absl::StrCat(method, " not allowed on ", path));
      return false;
    };
    if (what == "health" && parts.size() == 2) {
      if (only(http::methods::GET)) {
        Reply(req, http::status_codes::OK,
              {{"status", "ok"}, {"node", node_.name}, {"version", base::kTernVersion}});
      }
      return;
    }
    if (what == "ready" && parts.size() == 2) {
      if (!only(http::methods::GET)) return;
      bool ready = owner_.ready_.load();
      Reply(req, ready ? http::status_codes::OK : http::status_codes::ServiceUnavailable,
            {{"ready", ready}});
      return;
    }
    if (what == "namespaces") return Namespaces(req, parts);
    if (what == "udf") return Udf(req, parts);
    if (what == "info" && parts.size() == 3) {
      if (!only(http::methods::GET)) return;
      http::http_response resp(http::status_codes::OK);
      resp.headers().set_content_type("text/plain");
      resp.set_body(info_.Answer(parts[2]));
      req.reply(resp);
      return;
    }
    ReplyError(req, http::status_codes::NotFound, absl::StrCat("no route for ", path));
  }

  void Namespaces(http::http_request& req, const std::vector<std::string>& parts) {
    const auto& method = req.method();
    if (parts.size() == 2) {
      if (method != http::methods::GET) {
        return ReplyError(req, http::status_codes::MethodNotAllowed, "GET only");
      }
      json all = json::array();
      for (const auto& n : engine_.catalog().namespaces()) all.push_back(NamespaceJson(*n));
      return Reply(req, http::status_codes::OK, all);
    }
    ns::Namespace* n = engine_.catalog().Find(parts[2]);
    if (!n) {
      return ReplyError(req, http::status_codes::NotFound,
                        absl::StrCat("namespace '", parts[2], "' not found"));
    }
    if (parts.size() == 3) {
      if (method != http::methods::GET)
        return ReplyError(req, http::status_codes::MethodNotAllowed, "GET only");
      return Reply(req, http::status_codes::OK, NamespaceJson(*n));
    }
    if (parts.size() == 4 && parts[3] == "policy") {
      if (method == http::methods::GET)
        return Reply(req, http::status_codes::OK, NamespaceJson(*n)["policy"]);
      if (method != http::methods::PATCH && method != http::methods::PUT) {
        return ReplyError(req, http::status_codes::MethodNotAllowed, "GET, PUT or PATCH");
      }
      std::string body = req.extract_string().get();
      json patch = json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (!patch.is_object())
        return ReplyError(req, http::status_codes::BadRequest, "body must be a JSON object");
      return ApplyPolicy(req, *n, patch);
    }
    ReplyError(req, http::status_codes::NotFound, "no such namespace resource");
  }

  // UDF modules: GET /v1/udf, GET|PUT|DELETE /v1/udf/{file} (PUT body = the Lua source).
  void Udf(http::http_request& req, const std::vector<std::string>& parts) {
    if (!modules_)
      return ReplyError(req, http::status_codes::ServiceUnavailable, "UDFs are not enabled");
    const auto& method = req.method();
    if (parts.size() == 2) {
      if (method != http::methods::GET)
        return ReplyError(req, http::status_codes::MethodNotAllowed, "GET only");
      json all = json::array();
      for (const udf::Module& m : modules_->List()) {
        all.push_back(
            {{"filename", m.filename}, {"name", m.name}, {"hash", m.hash}, {"type", "LUA"}});
      }
      return Reply(req, http::status_codes::OK, all);
    }
    if (parts.size() != 3)
      return ReplyError(req, http::status_codes::NotFound, "no such UDF resource");
    const std::string& file = parts[2];
    if (method == http::methods::GET) {
      auto m = modules_->Get(file);
      if (!m)
        return ReplyError(req, http::status_codes::NotFound,
                          absl::StrCat("module ", file, " not found"));
      return Reply(
          req, http::status_codes::OK,
          {{"filename", m->filename}, {"hash", m->hash}, {"type", "LUA"}, {"source", m->source}});
    }
    if (method == http::methods::PUT) {
      std::string source = req.extract_string().get();
      udf::CompileError error;
      absl::Status s = modules_->Put(file, source, &error);
      if (base::ResultCodeOf(s) == base::ResultCode::kUdfError) {
        return Reply(req, http::status_codes::BadRequest,
                     {{"error", "compile_error"},
                      {"file", error.file},
                      {"line", error.line},
                      {"message", error.message}});
      }
      if (!s.ok()) return ReplyError(req, http::status_codes::BadRequest, base::Std(s.message()));
      return Reply(req, http::status_codes::OK,
                   {{"filename", file}, {"hash", modules_->Get(file)->hash}});
    }
    if (method == http::methods::DEL) {
      if (absl::Status s = modules_->Remove(file); !s.ok()) {
        return ReplyError(req, http::status_codes::InternalError, base::Std(s.message()));
      }
      return Reply(req, http::status_codes::OK, {{"removed", file}});
    }
    ReplyError(req, http::status_codes::MethodNotAllowed, "GET, PUT or DELETE");
  }

  // {"default_ttl": 60, "sets": {"demo": {"default_ttl": 10}}}. Every value is checked on a
  // copy first, so a bad value changes nothing.
  void ApplyPolicy(const http::http_request& req, ns::Namespace& n, const json& patch) {
    std::vector<std::tuple<std::string, std::string, std::string>> changes;  // set, key, value
    for (const auto& [k, v] : patch.items()) {
      if (k == "sets") {
        if (!v.is_object())
          return ReplyError(req, http::status_codes::BadRequest, "sets must be an object");
        for (const auto& [set, policy] : v.items()) {
          if (!policy.is_object())
            return ReplyError(req, http::status_codes::BadRequest, "set policy must be an object");
          for (const auto& [sk, sv] : policy.items()) changes.emplace_back(set, sk, PolicyText(sv));
        }
      } else {
        changes.emplace_back("", k, PolicyText(v));
      }
    }
    for (const auto& [set, key, value] : changes) {
      if (absl::Status s = n.SetPolicy(set, key, value, /*apply=*/false); !s.ok()) {
        return ReplyError(req, http::status_codes::BadRequest, base::Std(s.message()));
      }
    }
    for (const auto& [set, key, value] : changes) (void)n.SetPolicy(set, key, value);
    Reply(req, http::status_codes::OK, NamespaceJson(n)["policy"]);
  }

  AdminServer& owner_;
  txn::Engine& engine_;
  InfoCommands& info_;
  NodeIdentity node_;
  udf::ModuleRegistry* modules_;
  std::unique_ptr<http::experimental::listener::http_listener> listener_;
};

AdminServer::AdminServer(txn::Engine& engine, InfoCommands& info, NodeIdentity node,
                         udf::ModuleRegistry* modules)
    : impl_(std::make_unique<Impl>(*this, engine, info, std::move(node), modules)) {}

AdminServer::~AdminServer() { Stop(); }

absl::Status AdminServer::Start(const std::string& address, uint16_t port) {
  try {
    impl_->listener_ = std::make_unique<http::experimental::listener::http_listener>(
        absl::StrCat("http://", address, ":", port));
    impl_->listener_->support([this](const http::http_request& req) { impl_->Handle(req); });
    impl_->listener_->open().wait();
  } catch (const std::exception& e) {
    impl_->listener_.reset();
    return base::MakeError(
        base::ResultCode::kServerError,
        absl::StrCat("admin API cannot listen on ", address, ":", port, ": ", e.what()));
  }
  base::Logger("api")->info("admin REST API on http://{}:{}", address, port);
  return absl::OkStatus();
}

void AdminServer::Stop() {
  if (!impl_ || !impl_->listener_) return;
  try {
    impl_->listener_->close().wait();
  } catch (...) {
  }
  impl_->listener_.reset();
}

}  // namespace tern::api
