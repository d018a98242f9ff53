// A scripted Kubernetes API for unit tests: answers are queued per "METHOD path-prefix" and
// every request is recorded.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kube/transport.h"

namespace tern::kube {

class FakeTransport : public Transport {
 public:
  struct Answer {
    int status = 200;
    std::string body;
    std::vector<std::string> lines;  // watch stream lines
    std::map<std::string, std::string> headers;
  };
  // Answers requests whose "METHOD path" starts with `prefix`, in the order queued.
  void Queue(const std::string& prefix, Answer a) {
    std::lock_guard l(mu_);
    answers_[prefix].push_back(std::move(a));
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard l(mu_);
    return requests_;
  }

  HttpResponse Send(const HttpRequest& req) override {
    Answer a = Take(req);
    return {a.status, a.body, a.headers};
  }
  HttpResponse Stream(const HttpRequest& req,
                      const std::function<bool(const std::string&)>& on_line) override {
    Answer a = Take(req);
    if (a.status >= 200 && a.status < 300) {
      for (const auto& l : a.lines) {
        if (!on_line(l)) break;
      }
    }
    return {a.status, a.body, a.headers};
  }

 private:
  Answer Take(const HttpRequest& req) {
    std::lock_guard l(mu_);
    requests_.push_back(req);
    const std::string line = req.method + " " + req.path;
    std::string best;
    for (auto& [prefix, q] : answers_) {
      if (!q.empty() && line.rfind(prefix, 0) == 0 && prefix.size() > best.size()) best = prefix;
    }
    if (best.empty()) {
      throw TransportError("no scripted answer for " + line);
    }
    Answer a = answers_[best].front();
    answers_[best].pop_front();
    return a;
  }

  std::mutex mu_;
  std::map<std::string, std::deque<Answer>> answers_;
  std::vector<HttpRequest> requests_;
};

}  // namespace tern::kube
