// Test helper for flash_durability_test: opens the namespaces of a tern.yaml exactly as ternd
// does and writes keys 0..N-1 of namespace `bar` from several threads, each key twice (bin
// v = i, then v = -i), printing "<key> <generation>" after every acknowledged write. The
// test kills it with SIGKILL mid-stream and checks every acknowledged write survived.
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/config.h"
#include "base/digest.h"
#include "ns/catalog.h"
#include "txn/engine.h"

int main(int argc, char** argv) {
  using namespace tern;
  if (argc != 4) {
    std::fprintf(stderr, "usage: flash_writer CONFIG KEYS THREADS\n");
    return 2;
  }
  auto config = base::LoadConfigFile(argv[1]);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  const int keys = std::stoi(argv[2]);
  const int threads = std::stoi(argv[3]);
  auto catalog = ns::Catalog::Open(*config);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", std::string(catalog.status().message()).c_str());
    return 1;
  }
  txn::Engine engine(**catalog, nullptr);
  std::mutex out_mu;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::string line;
      for (int round = 0; round < 2; ++round) {
        for (int i = t; i < keys; i += threads) {
          txn::Request r;
          r.command = txn::Command::kWrite;
          r.ns = "bar";
          r.set = "durable";
          r.digest = base::ComputeDigest("durable", int64_t{i});
          r.ops.push_back(
              txn::Op{txn::OpType::kWrite, "v", record::Value::Integer(round ? -i : i)});
          txn::Response resp = engine.Execute(r);
          if (resp.result != base::ResultCode::kOk) {
            std::fprintf(stderr, "write %d failed: %s\n", i, resp.message.c_str());
            std::_Exit(1);
          }
          std::lock_guard lock(out_mu);
          std::fprintf(stdout, "%d %u\n", i, resp.generation);
          std::fflush(stdout);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  return 0;
}
