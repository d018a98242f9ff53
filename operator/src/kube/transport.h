// The HTTP exchange the Kubernetes client needs; an interface so tests can script the API.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>

namespace tern::kube {

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // path and query, e.g. /api/v1/namespaces/a/pods?watch=1
  std::string body;
  std::string content_type;  // set when body is
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

// A connection-level failure (refused, reset, timed out): no HTTP status at all.
struct TransportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual HttpResponse Send(const HttpRequest& req) = 0;
  // Sends a request whose 2xx body is a stream of lines (a watch). Each complete line goes to
  // on_line until it returns false or the stream ends. A non-2xx answer is returned whole,
  // without calling on_line.
  virtual HttpResponse Stream(const HttpRequest& req,
                              const std::function<bool(const std::string&)>& on_line) = 0;
  // Ends every open stream (shutdown).
  virtual void Cancel() {}
};

}  // namespace tern::kube
