#include "tern/node_admin.h"

#include <cpprest/http_client.h>
#undef U

#include "kube/client.h"

namespace tern::op {

namespace http = web::http;

bool NodeAdmin::Ready(const std::string& host) { return Call(host, "GET", "/v1/ready").ok(); }

std::optional<std::string> NodeAdmin::Info(const std::string& host, const std::string& cmd) {
  // One path segment: '/' and the other reserved characters travel percent-encoded.
  NodeAnswer a = Call(host, "GET", "/v1/info/" + kube::UrlEncode(cmd));
  if (!a.ok()) return std::nullopt;
  std::string body = a.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body;
}

NodeAnswer HttpNodeAdmin::Call(const std::string& host, const std::string& method,
                               const std::string& path, const std::string& body) {
  try {
    http::client::http_client_config cfg;
    cfg.set_timeout(timeout_);
    http::client::http_client client("http://" + host, cfg);
    http::http_request req{http::method(method)};
    req.set_request_uri(path);
    if (!body.empty()) {
      req.set_body(body, body.front() == '{' ? "application/json" : "text/plain");
    }
    http::http_response resp = client.request(req).get();
    return {resp.status_code(), resp.extract_string(true).get()};
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace tern::op
