#include "controller/probe_server.h"

#include <cpprest/http_listener.h>
#undef U

namespace tern::op {

namespace http = web::http;

std::string ListenAddress(const std::string& address) {
  if (!address.empty() && address[0] == ':') return "0.0.0.0" + address;
  return address;
}

struct ProbeServer::Impl {
  std::string address;
  std::function<bool()> ready;
  std::unique_ptr<http::experimental::listener::http_listener> listener;
};

ProbeServer::ProbeServer(const std::string& address, std::function<bool()> ready)
    : impl_(std::make_unique<Impl>()) {
  impl_->address = ListenAddress(address);
  impl_->ready = std::move(ready);
}

ProbeServer::~ProbeServer() { Stop(); }

void ProbeServer::Start() {
  impl_->listener =
      std::make_unique<http::experimental::listener::http_listener>("http://" + impl_->address);
  impl_->listener->support([this](const http::http_request& req) {
    try {
      const std::string path = req.relative_uri().path();
      if (path == "/healthz" || path == "/livez") {
        req.reply(http::status_codes::OK, "ok");
      } else if (path == "/readyz") {
        bool ok = impl_->ready();
        req.reply(ok ? http::status_codes::OK : http::status_codes::ServiceUnavailable,
                  ok ? "ok" : "informers not synced");
      } else {
        req.reply(http::status_codes::NotFound, "not found");
      }
    } catch (...) {
      // a client that went away mid-reply: nothing to answer
    }
  });
  impl_->listener->open().wait();
}

void ProbeServer::Stop() {
  if (!impl_ || !impl_->listener) return;
  try {
    impl_->listener->close().wait();
  } catch (...) {
  }
  impl_->listener.reset();
}

}  // namespace tern::op
