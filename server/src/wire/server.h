// The wire-protocol front door: one epoll event loop per core (no thread per connection), each
// with its own SO_REUSEPORT listening socket. Requests on a connection are answered strictly in
// order (clients pipeline and match by order); scans stream as the socket drains.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/config.h"
#include "wire/dispatcher.h"

namespace tern::wire {

class Server {
 public:
  Server(Dispatcher& dispatcher, base::ServiceConfig config);
  ~Server();

  absl::Status Start(const std::string& address, uint16_t port);
  void Stop();

  uint32_t open_connections() const { return open_connections_.load(); }
  uint64_t total_connections() const { return total_connections_.load(); }

 private:
  class Loop;
  friend class Loop;

  Dispatcher& dispatcher_;
  base::ServiceConfig config_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<uint32_t> open_connections_{0};
  std::atomic<uint64_t> total_connections_{0};
};

}  // namespace tern::wire
