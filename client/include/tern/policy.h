// Per-call policies. Every call takes one (or uses the client's defaults from ClientConfig):
// how long to wait, how often to retry, which copy to read, and the write rules.
#pragma once

#include <chrono>
#include <cstdint>

namespace tern {

enum class Replica { kMaster, kPreferReplica };

struct Policy {
  std::chrono::milliseconds timeout{1000};  // per attempt
  int max_retries = 2;                      // further attempts after a retryable failure
  std::chrono::milliseconds retry_delay{0};
};

struct ReadPolicy : Policy {
  Replica replica = Replica::kMaster;  // kPreferReplica reads a replica when there is one
  int read_touch_ttl_percent = 0;      // touch on read within this % of TTL (0 = default)
};

enum class ExistsAction { kUpdate, kUpdateOnly, kReplace, kReplaceOnly, kCreateOnly };
enum class GenerationPolicy { kNone, kEqual, kGreater };

struct WritePolicy : Policy {
  // TTL in seconds: 0 = the namespace/set default, -1 = never expire, -2 = keep the current.
  int64_t ttl = 0;
  ExistsAction exists = ExistsAction::kUpdate;
  GenerationPolicy generation_policy = GenerationPolicy::kNone;
  uint16_t generation = 0;
  bool send_key = false;  // store the user key with the record (scans then return it)
  bool durable_delete = false;
};

}  // namespace tern
