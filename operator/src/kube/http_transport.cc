#include "kube/http_transport.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#undef U  // cpprestsdk's macro breaks fmt (spdlog)

#include <boost/asio/ssl.hpp>
#include <cctype>
#include <mutex>

namespace tern::kube {

namespace http = web::http;

namespace {

class HttpTransport : public Transport {
 public:
  explicit HttpTransport(const Config& c) : config_(c), tokens_(c) {
    http::client::http_client_config cfg;
    cfg.set_timeout(std::chrono::seconds(30));
    cfg.set_validate_certificates(!c.insecure_skip_tls_verify);
    if (!c.ca_pem.empty() || !c.client_cert_pem.empty()) {
      std::string ca = c.ca_pem, cert = c.client_cert_pem, key = c.client_key_pem;
      cfg.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
        if (!ca.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
        if (!cert.empty()) {
          ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
          ctx.use_private_key(boost::asio::buffer(key.data(), key.size()),
                              boost::asio::ssl::context::pem);
        }
      });
    }
    client_ = std::make_unique<http::client::http_client>(c.server, cfg);
    // Watches idle for minutes between events: their own client with a long timeout.
    cfg.set_timeout(std::chrono::seconds(900));
    stream_client_ = std::make_unique<http::client::http_client>(c.server, cfg);
  }

  HttpResponse Send(const HttpRequest& req) override {
    try {
      http::http_response resp = client_->request(Build(req), Token()).get();
      HttpResponse out = Head(resp);
      out.body = resp.extract_string(true).get();
      return out;
    } catch (const http::http_exception& e) {
      throw TransportError(e.what());
    } catch (const pplx::task_canceled&) {
      throw TransportError("canceled");
    }
  }

  HttpResponse Stream(const HttpRequest& req,
                      const std::function<bool(const std::string&)>& on_line) override {
    try {
      http::http_response resp = stream_client_->request(Build(req), Token()).get();
      HttpResponse out = Head(resp);
      if (out.status < 200 || out.status >= 300) {
        out.body = resp.extract_string(true).get();
        return out;
      }
      auto body = resp.body();
      for (;;) {
        concurrency::streams::container_buffer<std::string> line;
        body.read_line(line).get();
        if (!line.collection().empty() && !on_line(line.collection())) break;
        if (body.is_eof()) break;
      }
      return out;
    } catch (const http::http_exception& e) {
      throw TransportError(e.what());
    } catch (const pplx::task_canceled&) {
      throw TransportError("canceled");
    }
  }

  void Cancel() override {
    std::lock_guard lock(mu_);
    cancel_.cancel();
  }

 private:
  pplx::cancellation_token Token() {
    std::lock_guard lock(mu_);
    return cancel_.get_token();
  }

  http::http_request Build(const HttpRequest& req) {
    http::http_request r(http::method(req.method));
    r.set_request_uri(req.path);
    r.headers().add("Accept", "application/json");
    r.headers().add("User-Agent", "tern-operator/0.1.0");
    if (std::string t = tokens_.Token(); !t.empty()) {
      r.headers().add("Authorization", "Bearer " + t);
    }
    if (!req.body.empty() || !req.content_type.empty()) {
      r.set_body(req.body, req.content_type.empty() ? "application/json" : req.content_type);
    }
    return r;
  }

  static HttpResponse Head(const http::http_response& resp) {
    HttpResponse out;
    out.status = resp.status_code();
    for (const auto& [k, v] : resp.headers()) {
      std::string name = k;
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out.headers[name] = v;
    }
    return out;
  }

  Config config_;
  TokenSource tokens_;
  std::unique_ptr<http::client::http_client> client_;
  std::unique_ptr<http::client::http_client> stream_client_;
  std::mutex mu_;
  pplx::cancellation_token_source cancel_;
};

}  // namespace

std::shared_ptr<Transport> MakeHttpTransport(const Config& config) {
  return std::make_shared<HttpTransport>(config);
}

}  // namespace tern::kube
