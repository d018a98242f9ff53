// Calls to a ternd pod's admin REST API (http://<podIP>:8080): readiness, info commands,
// namespace policy, UDF modules. Virtual so reconcile tests can play the nodes.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tern::op {

struct NodeAnswer {
  int status = 0;  // 0 = no answer (refused, timed out)
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
};

class NodeAdmin {
 public:
  virtual ~NodeAdmin() = default;
  // host: "ip:port".
  virtual NodeAnswer Call(const std::string& host, const std::string& method,
                          const std::string& path, const std::string& body = "") = 0;

  bool Ready(const std::string& host);
  // The answer of info command `cmd` ("statistics", "quiesce:", "cluster-stable:size=3"),
  // nullopt when the node did not answer.
  std::optional<std::string> Info(const std::string& host, const std::string& cmd);
};

class HttpNodeAdmin : public NodeAdmin {
 public:
  explicit HttpNodeAdmin(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000))
      : timeout_(timeout) {}
  NodeAnswer Call(const std::string& host, const std::string& method, const std::string& path,
                  const std::string& body = "") override;

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace tern::op
