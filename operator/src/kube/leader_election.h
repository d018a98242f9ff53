// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing rules: a lease
// is taken over only after it has not changed for leaseDuration as seen by our own clock.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "kube/client.h"

namespace tern::kube {

class LeaderElector {
 public:
  struct Options {
    std::string ns;
    std::string name;
    std::string identity;
    std::chrono::seconds lease_duration{15};
    std::chrono::seconds renew_deadline{10};
    std::chrono::seconds retry_period{2};
  };
  LeaderElector(Client& client, Options opt);

  // Campaigns until `stop`; calls on_started when it becomes leader and on_stopped when it
  // loses the lease (then campaigns again). Releases the lease on stop.
  void Run(const std::atomic<bool>& stop, const std::function<void()>& on_started,
           const std::function<void()>& on_stopped);
  // One acquire-or-renew attempt; true when we hold the lease afterwards.
  bool TryAcquireOrRenew();
  void Release();
  bool IsLeader() const { return leader_.load(); }

 private:
  Client& client_;
  Options opt_;
  std::atomic<bool> leader_{false};
  std::string observed_record_;  // holder + renewTime last seen
  std::chrono::steady_clock::time_point observed_at_{};
};

// RFC 3339 with microseconds (metav1.MicroTime) and with seconds (metav1.Time).
std::string MicroTimeNow();
std::string TimeNow();

}  // namespace tern::kube
