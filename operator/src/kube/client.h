// A small Kubernetes API client: typed errors, retries with backoff, paths for any resource.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kube/transport.h"

namespace tern::kube {

using nlohmann::json;

struct Resource {
  std::string group;  // "" = core (api/v1)
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

namespace resources {
extern const Resource kPods, kConfigMaps, kServices, kEvents, kPvcs, kStatefulSets, kPdbs, kLeases,
    kTernClusters, kTernUdfs;
}

// /api/v1/namespaces/<ns>/pods/<name>/status, /apis/<g>/<v>/<plural> (ns empty = all).
std::string ResourcePath(const Resource& r, std::string_view ns, std::string_view name = "",
                         std::string_view subresource = "");
std::string UrlEncode(std::string_view s);

// An answer with an HTTP error status, with the Status object's reason and message.
class ApiError : public std::runtime_error {
 public:
  ApiError(int code, std::string reason, const std::string& message, int retry_after = 0)
      : std::runtime_error(message),
        code_(code),
        reason_(std::move(reason)),
        retry_after_(retry_after) {}
  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  int retry_after_seconds() const { return retry_after_; }

 private:
  int code_;
  std::string reason_;
  int retry_after_;
};
struct NotFoundError : ApiError {
  using ApiError::ApiError;
};  // 404
struct ConflictError : ApiError {
  using ApiError::ApiError;
};  // 409
struct GoneError : ApiError {
  using ApiError::ApiError;
};  // 410
struct InvalidError : ApiError {
  using ApiError::ApiError;
};  // 422
struct TooManyRequestsError : ApiError {
  using ApiError::ApiError;
};  // 429

// Throws the typed error for `status` (>= 400) with `body` (a Status object or text).
[[noreturn]] void ThrowApiError(int status, const std::string& body, int retry_after = 0);

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 500;  // pages are followed with `continue`
};

struct WatchOptions {
  std::string resource_version;
  std::string label_selector;
  int timeout_seconds = 300;
  bool bookmarks = true;
};

struct RetryPolicy {
  int attempts = 5;                           // for 429, 5xx and connection failures
  std::chrono::milliseconds base_delay{200};  // doubled per attempt
  std::chrono::milliseconds max_delay{5000};
};

class Client {
 public:
  explicit Client(std::shared_ptr<Transport> transport, RetryPolicy retry = {});

  json Get(const Resource& r, std::string_view ns, std::string_view name,
           std::string_view sub = "");
  std::optional<json> GetIfExists(const Resource& r, std::string_view ns, std::string_view name);
  // The whole list (all pages); items carry kind/apiVersion.
  json List(const Resource& r, std::string_view ns, const ListOptions& opt = {});
  json Create(const Resource& r, std::string_view ns, const json& obj);
  json Update(const Resource& r, std::string_view ns, std::string_view name, const json& obj,
              std::string_view sub = "");
  json MergePatch(const Resource& r, std::string_view ns, std::string_view name, const json& patch,
                  std::string_view sub = "");
  json JsonPatch(const Resource& r, std::string_view ns, std::string_view name, const json& ops,
                 std::string_view sub = "");
  void Delete(const Resource& r, std::string_view ns, std::string_view name,
              const std::string& propagation = "Background");
  // Streams watch events to on_event(type, object) until the server ends the watch or
  // on_event returns false. An ERROR event or HTTP answer of 410 throws GoneError; other
  // ERROR events throw ApiError.
  void Watch(const Resource& r, std::string_view ns, const WatchOptions& opt,
             const std::function<bool(const std::string&, const json&)>& on_event);

  Transport& transport() { return *transport_; }

 private:
  json Call(const std::string& method, const std::string& path, const std::string& body = "",
            const std::string& content_type = "");

  std::shared_ptr<Transport> transport_;
  RetryPolicy retry_;
};

}  // namespace tern::kube
