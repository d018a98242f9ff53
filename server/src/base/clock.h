// Time as records see it. Aerospike counts record void times and last-update times from its
// own epoch (2010-01-01 UTC); keeping the same origin lets us return TTLs and LUTs verbatim.
#pragma once

#include <cstdint>

namespace tern::base {

// Seconds between the Unix epoch and 2010-01-01T00:00:00Z.
inline constexpr int64_t kCitrusleafEpochSeconds = 1262304000;

// Wall-clock milliseconds since the Unix epoch.
int64_t NowUnixMs();

// Seconds since 2010-01-01: the unit of record void times.
uint32_t NowEpochSeconds();

// Nanoseconds on a monotonic clock, for latencies.
int64_t MonotonicNs();

}  // namespace tern::base
