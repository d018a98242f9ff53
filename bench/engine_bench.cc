// In-process engine throughput: 1 KiB records through txn::Engine, memory and flash
// namespaces, 1 and 2 threads. Prints one line per (storage, threads, mix).
//   engine_bench [--records N] [--seconds S] [--dir DIR]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/config.h"
#include "base/digest.h"
#include "ns/catalog.h"
#include "txn/engine.h"

namespace {

using namespace tern;

txn::Request WriteReq(const std::string& ns, int64_t key, const std::string& payload) {
  txn::Request r;
  r.command = txn::Command::kWrite;
  r.ns = ns;
  r.set = "bench";
  r.digest = base::ComputeDigest("bench", key);
  r.ops.push_back(txn::Op{txn::OpType::kWrite, "payload", record::Value::String(payload)});
  return r;
}

txn::Request ReadReq(const std::string& ns, int64_t key) {
  txn::Request r;
  r.ns = ns;
  r.digest = base::ComputeDigest("bench", key);
  r.read_all_bins = true;
  return r;
}

// Runs `threads` workers for `seconds`; each op is a read with probability read_pct.
double Run(txn::Engine& engine, const std::string& ns, int64_t records, int threads, double seconds,
           int read_pct) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0};
  std::vector<std::thread> workers;
  const std::string payload(1024, 'x');
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(t + 1);
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        int64_t key = static_cast<int64_t>(rng() % records);
        txn::Response r = static_cast<int>(rng() % 100) < read_pct
                              ? engine.Execute(ReadReq(ns, key))
                              : engine.Execute(WriteReq(ns, key, payload));
        if (r.result != base::ResultCode::kOk) std::abort();
        ++n;
      }
      ops += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  return ops.load() / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t records = 200000;
  double seconds = 5;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "tern-engine-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records")) records = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::stod(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  base::Config config;
  config.node.data_dir = dir.string();
  base::NamespaceConfig mem;
  mem.name = "mem";
  mem.memory_size = uint64_t{8} << 30;
  base::NamespaceConfig flash = mem;
  flash.name = "flash";
  flash.storage = base::StorageKind::kFlash;
  config.namespaces = {mem, flash};
  auto catalog = ns::Catalog::Open(config);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", std::string(catalog.status().message()).c_str());
    return 1;
  }
  txn::Engine engine(**catalog, nullptr);
  std::printf("records=%lld value=1KiB seconds=%.0f\n", static_cast<long long>(records), seconds);
  std::printf("%-6s %-7s %-12s %12s\n", "store", "threads", "mix", "ops/s");
  const std::string payload(1024, 'x');
  for (const char* ns : {"mem", "flash"}) {
    auto start = std::chrono::steady_clock::now();
    for (int64_t k = 0; k < records; ++k) {
      if (engine.Execute(WriteReq(ns, k, payload)).result != base::ResultCode::kOk) return 1;
    }
    double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-6s %-7d %-12s %12.0f\n", ns, 1, "load", records / load);
    for (int threads : {1, 2}) {
      for (auto [name, pct] :
           {std::pair{"read", 100}, std::pair{"50/50", 50}, std::pair{"write", 0}}) {
        std::printf("%-6s %-7d %-12s %12.0f\n", ns, threads, name,
                    Run(engine, ns, records, threads, seconds, pct));
        std::fflush(stdout);
      }
    }
  }
  catalog->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
