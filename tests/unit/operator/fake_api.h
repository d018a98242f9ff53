// An in-memory Kubernetes API for reconcile tests: objects by path, CRUD, merge and JSON
// patch, status subresource, lists (label selectors ignored: tests use one cluster), and
// watches that end at once. Not a faithful server (tests/operator has that), just enough to
// observe what a reconcile writes.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/transport.h"

namespace tern::kube {

class FakeApi : public Transport {
 public:
  using json = nlohmann::json;
  std::map<std::string, json> objects;  // object path -> object
  std::vector<std::string> log;         // "METHOD path" of every write

  json* Find(const std::string& path) {
    auto it = objects.find(path);
    return it == objects.end() ? nullptr : &it->second;
  }
  void Put(const std::string& path, json obj) {
    obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
    if (!obj["metadata"].contains("uid")) obj["metadata"]["uid"] = "uid-" + std::to_string(rv_);
    if (!obj["metadata"].contains("generation")) obj["metadata"]["generation"] = 1;
    objects[path] = std::move(obj);
  }
  size_t Count(const std::string& prefix) {
    size_t n = 0;
    for (const auto& l : log) n += l.rfind(prefix, 0) == 0;
    return n;
  }

  HttpResponse Send(const HttpRequest& req) override {
    std::lock_guard l(mu_);
    std::string path = req.path.substr(0, req.path.find('?'));
    if (req.method != "GET") log.push_back(req.method + " " + path);
    json body = req.body.empty() ? json() : json::parse(req.body);
    if (req.method == "GET") {
      if (auto* o = Find(path)) return Ok(*o);
      json items = json::array();
      for (const auto& [p, o] : objects) {
        if (p.rfind(path + "/", 0) == 0 && p.find('/', path.size() + 1) == std::string::npos) {
          items.push_back(o);
        }
      }
      if (!items.empty() || IsCollection(path)) {
        return Ok({{"metadata", {{"resourceVersion", std::to_string(rv_)}}}, {"items", items}});
      }
      return NotFound();
    }
    if (req.method == "POST") {
      std::string p = path + "/" + body["metadata"]["name"].get<std::string>();
      if (Find(p)) return {409, R"({"kind":"Status","code":409,"reason":"AlreadyExists"})"};
      Put(p, body);
      return Ok(objects[p]);
    }
    const bool status = path.size() > 7 && path.substr(path.size() - 7) == "/status";
    const std::string target = status ? path.substr(0, path.size() - 7) : path;
    json* o = Find(target);
    if (!o) return NotFound();
    if (req.method == "DELETE") {
      objects.erase(target);
      return Ok({{"kind", "Status"}});
    }
    json next = *o;
    if (req.method == "PUT") {
      next = body;
    } else if (req.content_type == "application/merge-patch+json") {
      next.merge_patch(body);
    } else {
      try {
        next = next.patch(body);
      } catch (const std::exception& e) {
        return {422, R"({"kind":"Status","code":422,"reason":"Invalid"})"};
      }
    }
    if (status) {
      json keep = *o;
      keep["status"] = next["status"];
      next = keep;
    } else if (o->contains("status")) {
      next["status"] = (*o)["status"];
    }
    if (next.value("spec", json()) != o->value("spec", json())) {
      next["metadata"]["generation"] = o->at("metadata").value("generation", 1) + 1;
    }
    next["metadata"]["uid"] = (*o)["metadata"]["uid"];
    Put(target, next);
    return Ok(objects[target]);
  }

  HttpResponse Stream(const HttpRequest&, const std::function<bool(const std::string&)>&) override {
    return {200, ""};  // a watch the server ends at once: informers relist via Step
  }

 private:
  static HttpResponse Ok(const json& j) { return {200, j.dump()}; }
  static HttpResponse NotFound() {
    return {404, R"({"kind":"Status","code":404,"reason":"NotFound"})"};
  }
  static bool IsCollection(const std::string& path) {
    auto last = path.substr(path.rfind('/') + 1);
    return last == "pods" || last == "ternclusters" || last == "ternudfs" ||
           last == "statefulsets" || last == "configmaps" || last == "services" ||
           last == "poddisruptionbudgets" || last == "events";
  }
  std::mutex mu_;
  int rv_ = 100;
};

}  // namespace tern::kube
