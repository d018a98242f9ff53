// The cpprestsdk transport against a small in-process HTTP server on 127.0.2.1: bearer token,
// content types, error statuses, and a chunked watch read line by line as it arrives.
#include "kube/http_transport.h"

#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>
#undef U
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "kube/client.h"
#include "kube/informer.h"

namespace tern::kube {
namespace {

namespace http = web::http;
using namespace std::chrono_literals;

class HttpTransportTest : public ::testing::Test {
 protected:
  const std::string url = "http://127.0.2.1:18571";
  std::unique_ptr<http::experimental::listener::http_listener> listener;
  std::mutex mu;
  std::vector<std::string> seen;  // "METHOD path auth content-type body"
  std::atomic<int> watches{0};

  void SetUp() override {
    listener = std::make_unique<http::experimental::listener::http_listener>(url);
    listener->support([this](http::http_request req) {
      const std::string path = req.relative_uri().to_string();
      std::string auth = req.headers().has("Authorization") ? req.headers()["Authorization"] : "";
      std::string body = req.extract_string(true).get();
      {
        std::lock_guard l(mu);
        seen.push_back(req.method() + " " + path + " " + auth + " " + req.headers().content_type() +
                       " " + body);
      }
      if (path.find("watch=1") != std::string::npos) {
        if (watches++ > 0) {
          req.reply(410, R"({"kind":"Status","code":410,"reason":"Expired"})", "application/json");
          return;
        }
        // A chunked body written in pieces, a line split across writes, over ~200 ms.
        concurrency::streams::producer_consumer_buffer<uint8_t> buf;
        http::http_response resp(200);
        resp.set_body(buf.create_istream(), "application/json");
        req.reply(resp);
        std::thread([buf]() mutable {
          auto put = [&](const std::string& s) {
            buf.putn_nocopy(reinterpret_cast<const uint8_t*>(s.data()), s.size()).wait();
            buf.sync().wait();
          };
          std::string a =
              R"({"type":"ADDED","object":{"metadata":{"name":"b","namespace":"n","resourceVersion":"6"}}})";
          put(a.substr(0, 20));
          std::this_thread::sleep_for(100ms);
          put(a.substr(20) + "\n");
          std::this_thread::sleep_for(100ms);
          put(R"({"type":"DELETED","object":{"metadata":{"name":"a","namespace":"n","resourceVersion":"7"}}})"
              "\n");
          buf.close(std::ios_base::out).wait();
        }).detach();
        return;
      }
      if (path.rfind("/api/v1/namespaces/n/pods?", 0) == 0) {
        req.reply(
            200,
            R"({"metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"a","namespace":"n"}}]})",
            "application/json");
        return;
      }
      if (path == "/api/v1/namespaces/n/pods/missing") {
        req.reply(404, R"({"kind":"Status","code":404,"reason":"NotFound","message":"gone"})",
                  "application/json");
        return;
      }
      req.reply(200, R"({"ok":true})", "application/json");
    });
    listener->open().wait();
  }
  void TearDown() override { listener->close().wait(); }
};

TEST_F(HttpTransportTest, SendsTheTokenAndContentTypesAndTypesErrors) {
  Config c;
  c.server = url;
  c.token = "secret";
  Client client(MakeHttpTransport(c), RetryPolicy{1, 1ms, 1ms});
  EXPECT_EQ(client.MergePatch(resources::kTernClusters, "n", "db", {{"x", 1}})["ok"], true);
  EXPECT_THROW(client.Get(resources::kPods, "n", "missing"), NotFoundError);
  std::lock_guard l(mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0],
            "PATCH /apis/tern.dev/v1alpha1/namespaces/n/ternclusters/db Bearer secret "
            "application/merge-patch+json {\"x\":1}");
}

TEST_F(HttpTransportTest, AnInformerReadsAChunkedWatchAndRelistsOnGone) {
  Config c;
  c.server = url;
  Client client(MakeHttpTransport(c), RetryPolicy{1, 1ms, 1ms});
  Informer inf(client, resources::kPods, "n", "", 30);
  std::vector<std::string> log;
  std::mutex log_mu;
  inf.AddHandlers({[&](const json& o) {
                     std::lock_guard l(log_mu);
                     log.push_back("add " + ObjectKey(o));
                   },
                   nullptr,
                   [&](const json& o) {
                     std::lock_guard l(log_mu);
                     log.push_back("delete " + ObjectKey(o));
                   }});
  inf.Step();  // list, then the whole streamed watch
  {
    std::lock_guard l(log_mu);
    EXPECT_EQ(log, (std::vector<std::string>{"add n/a", "add n/b", "delete n/a"}));
  }
  EXPECT_EQ(inf.resource_version(), "7");
  EXPECT_THROW(inf.Step(), GoneError);  // the second watch answers 410
  EXPECT_EQ(inf.resource_version(), "");
}

}  // namespace
}  // namespace tern::kube
