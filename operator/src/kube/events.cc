#include "kube/events.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <random>

#include "kube/leader_election.h"

namespace tern::kube {

EventRecorder::EventRecorder(Client& client, std::string component)
    : client_(client), component_(std::move(component)) {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  host_ = buf;
}

void EventRecorder::Record(const json& obj, const std::string& type, const std::string& reason,
                           const std::string& message) {
  const json& m = obj["metadata"];
  const std::string ns = m.value("namespace", "default");
  const std::string name = m.value("name", "");
  const std::string uid = m.value("uid", "");
  const std::string dedupe = uid + "|" + type + "|" + reason + "|" + message;
  spdlog::info("event {}/{} {} {}: {}", ns, name, type, reason, message);
  const std::string now = TimeNow();
  try {
    std::unique_lock lock(mu_);
    if (auto it = seen_.find(dedupe); it != seen_.end()) {
      auto [event_name, count] = it->second;
      it->second.second = count + 1;
      lock.unlock();
      try {
        client_.MergePatch(resources::kEvents, ns, event_name,
                           {{"count", count + 1}, {"lastTimestamp", now}});
        return;
      } catch (const NotFoundError&) {
        // expired: create a fresh one below
      }
      lock.lock();
    }
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char suffix[20];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
    const std::string event_name = name + "." + suffix;
    seen_[dedupe] = {event_name, 1};
    if (seen_.size() > 4096) seen_.clear();  // bounded memory beats perfect dedupe
    lock.unlock();
    json ev = {
        {"apiVersion", "v1"},
        {"kind", "Event"},
        {"metadata", {{"name", event_name}, {"namespace", ns}}},
        {"involvedObject",
         {{"apiVersion", obj.value("apiVersion", "")},
          {"kind", obj.value("kind", "")},
          {"name", name},
          {"namespace", ns},
          {"uid", uid},
          {"resourceVersion", m.value("resourceVersion", "")}}},
        {"reason", reason},
        {"message", message},
        {"type", type},
        {"count", 1},
        {"firstTimestamp", now},
        {"lastTimestamp", now},
        {"source", {{"component", component_}, {"host", host_}}},
        {"reportingComponent", component_},
        {"reportingInstance", host_},
    };
    client_.Create(resources::kEvents, ns, ev);
  } catch (const std::exception& e) {
    spdlog::warn("event {} on {}/{} not recorded: {}", reason, ns, name, e.what());
  }
}

}  // namespace tern::kube
