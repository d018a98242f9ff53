// Memory per entry of a secondary index: fills a numeric and then a string SecondaryIndex with
// N entries (one per record digest) and reports RSS growth and the index's own estimate
// (`used_bytes` in sindex-stat) per entry, and the insert rate.
// One index per run (memory one index frees would be reused by the next and hide it).
// Usage: sindex_bytes_bench [--entries N] [--type numeric|string]
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/digest.h"
#include "index/secondary_index.h"

namespace {

using tern::base::Digest;
using tern::index::SecondaryIndex;
using tern::index::SindexDef;

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0, resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return resident_pages * sysconf(_SC_PAGESIZE);
}

void Measure(const char* name, SindexDef def, const std::vector<Digest>& digests,
             const std::vector<std::string>& keys) {
  const int64_t rss_before = RssBytes();
  SecondaryIndex index(std::move(def));
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < digests.size(); ++i) index.Update(digests[i], {}, {keys[i]});
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double n = static_cast<double>(digests.size());
  std::printf(
      "%-7s entries %zu: RSS %.1f B/entry, estimate (used_bytes) %.1f B/entry, "
      "%.2f M inserts/s\n",
      name, digests.size(), (RssBytes() - rss_before) / n, index.memory_bytes() / n,
      n / secs / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1'000'000;
  std::string type = "numeric";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--entries") == 0 && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
      type = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--entries N] [--type numeric|string]\n", argv[0]);
      return 2;
    }
  }
  if (type != "numeric" && type != "string") {
    std::fprintf(stderr, "--type is numeric or string\n");
    return 2;
  }
  // Inputs are made before the first RSS sample so that only the index is measured.
  std::mt19937_64 rng(7);
  std::vector<Digest> digests(n);
  for (Digest& d : digests) {
    for (auto& b : d.bytes) b = static_cast<uint8_t>(rng());
  }
  std::vector<std::string> keys(n);
  for (size_t i = 0; i < n; ++i) {
    keys[i] = type == "numeric"
                  ? SecondaryIndex::IntegerKey(static_cast<int64_t>(rng() % 1'000'000))
                  : "user-" + std::to_string(rng() % 100'000'000);  // 10-13 bytes, in SSO
  }
  SindexDef def;
  def.ns = "test";
  def.name = "by_" + type;
  def.bin = "v";
  def.type =
      type == "numeric" ? tern::index::SindexType::kNumeric : tern::index::SindexType::kString;
  Measure(type.c_str(), def, digests, keys);
  return 0;
}
