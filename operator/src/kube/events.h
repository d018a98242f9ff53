// Records core/v1 Events about an object; a repeat of the same reason and message within the
// process bumps the existing Event's count instead of creating another.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "kube/client.h"

namespace tern::kube {

class EventRecorder {
 public:
  EventRecorder(Client& client, std::string component);
  // type: "Normal" or "Warning". Never throws: events are best effort.
  void Record(const json& obj, const std::string& type, const std::string& reason,
              const std::string& message);

 private:
  Client& client_;
  std::string component_;
  std::string host_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, int>> seen_;  // dedupe key -> (name, count)
};

}  // namespace tern::kube
