#include "kube/client.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace tern::kube {

namespace resources {
const Resource kPods{"", "v1", "pods", "Pod"};
const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap"};
const Resource kServices{"", "v1", "services", "Service"};
const Resource kEvents{"", "v1", "events", "Event"};
const Resource kPvcs{"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim"};
const Resource kStatefulSets{"apps", "v1", "statefulsets", "StatefulSet"};
const Resource kPdbs{"policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget"};
const Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease"};
const Resource kTernClusters{"tern.dev", "v1alpha1", "ternclusters", "TernCluster"};
const Resource kTernUdfs{"tern.dev", "v1alpha1", "ternudfs", "TernUDF"};
}  // namespace resources

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string ResourcePath(const Resource& r, std::string_view ns, std::string_view name,
                         std::string_view sub) {
  std::string p = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) p += "/namespaces/" + std::string(ns);
  p += "/" + r.plural;
  if (!name.empty()) p += "/" + std::string(name);
  if (!sub.empty()) p += "/" + std::string(sub);
  return p;
}

void ThrowApiError(int status, const std::string& body, int retry_after) {
  std::string reason, message = body;
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.value("kind", "") == "Status") {
    reason = j.value("reason", "");
    message = j.value("message", body);
  }
  message =
      "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason) + ": " + message;
  switch (status) {
    case 404:
      throw NotFoundError(status, reason, message);
    case 409:
      throw ConflictError(status, reason, message);
    case 410:
      throw GoneError(status, reason, message);
    case 422:
      throw InvalidError(status, reason, message);
    case 429:
      throw TooManyRequestsError(status, reason, message, retry_after);
    default:
      throw ApiError(status, reason, message, retry_after);
  }
}

namespace {

int RetryAfter(const HttpResponse& r) {
  auto it = r.headers.find("retry-after");
  if (it == r.headers.end()) return 0;
  try {
    return std::max(0, std::stoi(it->second));
  } catch (...) {
    return 0;
  }
}

bool Retryable(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::string Query(std::vector<std::pair<std::string, std::string>> q) {
  std::string out;
  for (const auto& [k, v] : q) {
    if (v.empty()) continue;
    out += (out.empty() ? "?" : "&") + k + "=" + UrlEncode(v);
  }
  return out;
}

}  // namespace

Client::Client(std::shared_ptr<Transport> transport, RetryPolicy retry)
    : transport_(std::move(transport)), retry_(retry) {}

json Client::Call(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& content_type) {
  HttpRequest req{method, path, body, content_type};
  auto delay = retry_.base_delay;
  for (int attempt = 1;; ++attempt) {
    HttpResponse resp;
    try {
      resp = transport_->Send(req);
    } catch (const TransportError& e) {
      if (attempt >= retry_.attempts) throw;
      spdlog::debug("{} {}: {}; retrying", method, path, e.what());
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, retry_.max_delay);
      continue;
    }
    if (resp.status >= 200 && resp.status < 300) {
      if (resp.body.empty()) return json::object();
      json j = json::parse(resp.body, nullptr, false);
      if (j.is_discarded()) throw ApiError(resp.status, "BadResponse", "not JSON: " + path);
      return j;
    }
    int after = RetryAfter(resp);
    if (Retryable(resp.status) && attempt < retry_.attempts) {
      // The server's Retry-After wins over our own backoff when it says to wait longer.
      auto wait = std::max<std::chrono::milliseconds>(delay, std::chrono::seconds(after));
      std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(30000)));
      delay = std::min(delay * 2, retry_.max_delay);
      continue;
    }
    ThrowApiError(resp.status, resp.body, after);
  }
}

json Client::Get(const Resource& r, std::string_view ns, std::string_view name,
                 std::string_view sub) {
  return Call("GET", ResourcePath(r, ns, name, sub));
}

std::optional<json> Client::GetIfExists(const Resource& r, std::string_view ns,
                                        std::string_view name) {
  try {
    return Get(r, ns, name);
  } catch (const NotFoundError&) {
    return std::nullopt;
  }
}

json Client::List(const Resource& r, std::string_view ns, const ListOptions& opt) {
  json all;
  std::string cont;
  do {
    json page = Call("GET", ResourcePath(r, ns) +
                                Query({{"labelSelector", opt.label_selector},
                                       {"fieldSelector", opt.field_selector},
                                       {"limit", opt.limit > 0 ? std::to_string(opt.limit) : ""},
                                       {"continue", cont}}));
    if (all.is_null()) {
      all = page;
      all["items"] = json::array();
    }
    for (auto& item : page.value("items", json::array())) {
      // Lists leave kind/apiVersion off their items; handlers and caches want them.
      item["kind"] = r.kind;
      item["apiVersion"] = r.ApiVersion();
      all["items"].push_back(std::move(item));
    }
    const json& meta = page.value("metadata", json::object());
    cont = meta.value("continue", "");
    all["metadata"]["resourceVersion"] = meta.value("resourceVersion", "");
  } while (!cont.empty());
  all["metadata"].erase("continue");
  return all;
}

json Client::Create(const Resource& r, std::string_view ns, const json& obj) {
  return Call("POST", ResourcePath(r, ns), obj.dump(), "application/json");
}

json Client::Update(const Resource& r, std::string_view ns, std::string_view name, const json& obj,
                    std::string_view sub) {
  return Call("PUT", ResourcePath(r, ns, name, sub), obj.dump(), "application/json");
}

json Client::MergePatch(const Resource& r, std::string_view ns, std::string_view name,
                        const json& patch, std::string_view sub) {
  return Call("PATCH", ResourcePath(r, ns, name, sub), patch.dump(),
              "application/merge-patch+json");
}

json Client::JsonPatch(const Resource& r, std::string_view ns, std::string_view name,
                       const json& ops, std::string_view sub) {
  return Call("PATCH", ResourcePath(r, ns, name, sub), ops.dump(), "application/json-patch+json");
}

void Client::Delete(const Resource& r, std::string_view ns, std::string_view name,
                    const std::string& propagation) {
  json opts = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", propagation}};
  Call("DELETE", ResourcePath(r, ns, name), opts.dump(), "application/json");
}

void Client::Watch(const Resource& r, std::string_view ns, const WatchOptions& opt,
                   const std::function<bool(const std::string&, const json&)>& on_event) {
  std::string path =
      ResourcePath(r, ns) + Query({{"watch", "1"},
                                   {"resourceVersion", opt.resource_version},
                                   {"labelSelector", opt.label_selector},
                                   {"allowWatchBookmarks", opt.bookmarks ? "true" : ""},
                                   {"timeoutSeconds", std::to_string(opt.timeout_seconds)}});
  HttpRequest req{"GET", path, "", ""};
  std::optional<ApiError> error;
  HttpResponse resp = transport_->Stream(req, [&](const std::string& line) {
    json ev = json::parse(line, nullptr, false);
    if (!ev.is_object() || !ev.contains("type")) {
      spdlog::warn("watch {}: skipping a malformed event line", r.plural);
      return true;
    }
    const std::string type = ev["type"].get<std::string>();
    const json& obj = ev.contains("object") ? ev["object"] : json::object();
    if (type == "ERROR") {
      int code = obj.value("code", 500);
      std::string msg = "watch " + r.plural + ": " + obj.value("message", "error event");
      if (code == 410) {
        error.emplace(GoneError(410, obj.value("reason", "Expired"), msg));
      } else {
        error.emplace(ApiError(code, obj.value("reason", ""), msg));
      }
      return false;
    }
    return on_event(type, obj);
  });
  if (resp.status < 200 || resp.status >= 300) ThrowApiError(resp.status, resp.body);
  if (error) {
    if (error->code() == 410) throw GoneError(410, error->reason(), error->what());
    throw *error;
  }
}

}  // namespace tern::kube
