#include "kube/leader_election.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <thread>

namespace tern::kube {

namespace {

std::string Format(bool micro) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (micro) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
              std::chrono::seconds(1);
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us.count()));
    out += frac;
  }
  return out + "Z";
}

}  // namespace

std::string MicroTimeNow() { return Format(true); }
std::string TimeNow() { return Format(false); }

LeaderElector::LeaderElector(Client& client, Options opt) : client_(client), opt_(std::move(opt)) {}

bool LeaderElector::TryAcquireOrRenew() {
  const auto now = std::chrono::steady_clock::now();
  const int duration = static_cast<int>(opt_.lease_duration.count());
  try {
    auto lease = client_.GetIfExists(resources::kLeases, opt_.ns, opt_.name);
    if (!lease) {
      json obj = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", opt_.name}, {"namespace", opt_.ns}}},
                  {"spec",
                   {{"holderIdentity", opt_.identity},
                    {"leaseDurationSeconds", duration},
                    {"acquireTime", MicroTimeNow()},
                    {"renewTime", MicroTimeNow()},
                    {"leaseTransitions", 0}}}};
      client_.Create(resources::kLeases, opt_.ns, obj);
      observed_record_ = opt_.identity;
      observed_at_ = now;
      return true;
    }
    json& spec = (*lease)["spec"];
    if (!spec.is_object()) spec = json::object();
    const std::string holder = spec.value("holderIdentity", "");
    const std::string record = holder + "|" + spec.value("renewTime", "");
    if (record != observed_record_) {
      observed_record_ = record;
      observed_at_ = now;
    }
    const int held_for = spec.value("leaseDurationSeconds", duration);
    if (!holder.empty() && holder != opt_.identity &&
        now < observed_at_ + std::chrono::seconds(held_for)) {
      return false;  // someone else holds a live lease
    }
    if (holder != opt_.identity) {
      spec["acquireTime"] = MicroTimeNow();
      spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
    }
    spec["holderIdentity"] = opt_.identity;
    spec["leaseDurationSeconds"] = duration;
    spec["renewTime"] = MicroTimeNow();
    json updated = client_.Update(resources::kLeases, opt_.ns, opt_.name, *lease);
    observed_record_ = opt_.identity + "|" + updated["spec"].value("renewTime", "");
    observed_at_ = now;
    return true;
  } catch (const std::exception& e) {
    // A 409 means another candidate wrote first; anything else is a failed attempt too.
    spdlog::debug("lease {}/{}: {}", opt_.ns, opt_.name, e.what());
    return false;
  }
}

void LeaderElector::Release() {
  leader_ = false;
  try {
    auto lease = client_.GetIfExists(resources::kLeases, opt_.ns, opt_.name);
    if (lease && (*lease)["spec"].value("holderIdentity", "") == opt_.identity) {
      (*lease)["spec"]["holderIdentity"] = "";
      (*lease)["spec"]["leaseDurationSeconds"] = 1;
      client_.Update(resources::kLeases, opt_.ns, opt_.name, *lease);
    }
  } catch (const std::exception& e) {
    spdlog::warn("releasing lease: {}", e.what());
  }
}

void LeaderElector::Run(const std::atomic<bool>& stop, const std::function<void()>& on_started,
                        const std::function<void()>& on_stopped) {
  auto last_renew = std::chrono::steady_clock::now();
  while (!stop) {
    bool ok = TryAcquireOrRenew();
    auto now = std::chrono::steady_clock::now();
    if (ok) {
      last_renew = now;
      if (!leader_.exchange(true)) {
        spdlog::info("became leader ({}/{} as {})", opt_.ns, opt_.name, opt_.identity);
        on_started();
      }
    } else if (leader_ && now - last_renew > opt_.renew_deadline) {
      leader_ = false;
      spdlog::warn("lost the leader lease {}/{}", opt_.ns, opt_.name);
      on_stopped();
    }
    for (auto waited = std::chrono::milliseconds(0); waited < opt_.retry_period && !stop;
         waited += std::chrono::milliseconds(100)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (leader_) {
    on_stopped();
    Release();
  }
}

}  // namespace tern::kube
