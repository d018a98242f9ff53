#include "base/clock.h"

#include <chrono>

namespace tern::base {

int64_t NowUnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

uint32_t NowEpochSeconds() {
  return static_cast<uint32_t>(NowUnixMs() / 1000 - kCitrusleafEpochSeconds);
}

int64_t MonotonicNs() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace tern::base
