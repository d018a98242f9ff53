// `tern bench`: a YCSB-style closed-loop benchmark. N workers each keep one request in flight
// against one node, over the gRPC API (libternclient) or the Aerospike wire protocol
// (client/wire), so ternd and Aerospike itself are measured by the same program. Prints ops/s
// and latency percentiles every second and a summary at the end.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace tern::bench {

struct Options {
  std::string protocol = "grpc";  // grpc | aerospike
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = 3100 for grpc, 3000 for aerospike
  std::string ns = "test";
  std::string set = "bench";
  std::string workload = "50-50";  // read | update | 50-50 | 95-5 | insert
  uint64_t keys = 100000;
  uint32_t value_size = 100;
  uint32_t concurrency = 32;
  double duration = 10;  // seconds
  bool load = true;      // write every key first (not for insert)
  bool json = false;
};

void AddOptions(CLI::App* app, Options* o);

// Runs the benchmark; returns the process exit code (1 when it could not run).
int Run(const Options& o);

}  // namespace tern::bench
