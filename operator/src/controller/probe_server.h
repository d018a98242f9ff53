// /healthz and /readyz on the health address (kubelet probes).
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace tern::op {

class ProbeServer {
 public:
  // address: "host:port" or ":port" (all interfaces).
  ProbeServer(const std::string& address, std::function<bool()> ready);
  ~ProbeServer();
  void Start();  // throws when the address cannot be bound
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ":8080" -> "0.0.0.0:8080"; "host:port" unchanged.
std::string ListenAddress(const std::string& address);

}  // namespace tern::op
