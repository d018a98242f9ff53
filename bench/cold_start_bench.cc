// Cold start: how fast a flash namespace's primary index is rebuilt from RocksDB.
//   cold_start_bench [--records N] [--value-bytes B] [--dir DIR]
// Writes N records, closes the namespace, reopens it (what ternd does at start) and prints the
// rebuild rate.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "base/config.h"
#include "base/digest.h"
#include "ns/catalog.h"
#include "txn/engine.h"

int main(int argc, char** argv) {
  using namespace tern;
  int64_t records = 1000000;
  size_t value_bytes = 100;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "tern-cold-start-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records")) records = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--value-bytes")) value_bytes = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  base::Config config;
  config.node.data_dir = dir.string();
  base::NamespaceConfig flash;
  flash.name = "flash";
  flash.storage = base::StorageKind::kFlash;
  flash.memory_size = uint64_t{8} << 30;
  flash.disk_size = uint64_t{64} << 30;
  config.namespaces = {flash};
  {
    auto catalog = ns::Catalog::Open(config);
    if (!catalog.ok()) return 1;
    txn::Engine engine(**catalog, nullptr);
    const std::string payload(value_bytes, 'x');
    for (int64_t k = 0; k < records; ++k) {
      txn::Request r;
      r.command = txn::Command::kWrite;
      r.ns = "flash";
      r.set = "bench";
      r.digest = base::ComputeDigest("bench", k);
      r.ops.push_back(txn::Op{txn::OpType::kWrite, "v", record::Value::String(payload)});
      if (engine.Execute(r).result != base::ResultCode::kOk) return 1;
    }
  }
  auto start = std::chrono::steady_clock::now();
  auto catalog = ns::Catalog::Open(config);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!catalog.ok()) return 1;
  uint64_t loaded = (*catalog)->Find("flash")->index().size();
  std::printf("records=%llu value_bytes=%zu rebuild_seconds=%.3f rate=%.0f records/s\n",
              static_cast<unsigned long long>(loaded), value_bytes, secs, loaded / secs);
  catalog->reset();
  std::filesystem::remove_all(dir);
  return loaded == static_cast<uint64_t>(records) ? 0 : 1;
}
