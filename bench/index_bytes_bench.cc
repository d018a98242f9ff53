// Memory per record and raw speed of the primary index: inserts N random digests into a
// 16-sprig PrimaryIndex and reports arena bytes, RSS growth and insert/lookup rates.
// Usage: index_bytes_bench [--records N]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <vector>

#include "base/digest.h"
#include "index/primary_index.h"
#include "index/sprig.h"

namespace {

using tern::base::Digest;
using tern::index::IndexEntry;
using tern::index::PrimaryIndex;

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return resident_pages * sysconf(_SC_PAGESIZE);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t records = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
      records = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--records N]\n", argv[0]);
      return 2;
    }
  }
  constexpr uint32_t kSprigs = 16;

  // Digests are generated before the first RSS sample so that only the index is measured.
  std::mt19937_64 rng(42);
  std::vector<Digest> digests(records);
  for (Digest& d : digests) {
    for (size_t b = 0; b < d.bytes.size(); b += 8) {
      const uint64_t r = rng();
      std::memcpy(d.bytes.data() + b, &r, std::min<size_t>(8, d.bytes.size() - b));
    }
  }
  std::vector<uint32_t> order(records);
  for (uint32_t i = 0; i < records; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);

  const int64_t rss_before = RssBytes();
  auto index = std::make_unique<PrimaryIndex>(kSprigs);

  const auto insert_start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < records; ++i) {
    index->Upsert(digests[i], [i](IndexEntry& e, bool) {
      e.generation = 1;
      e.storage_handle = i;
    });
  }
  const double insert_s = SecondsSince(insert_start);
  const int64_t rss_after = RssBytes();

  uint64_t found = 0;
  uint64_t checksum = 0;
  const auto lookup_start = std::chrono::steady_clock::now();
  for (uint32_t i : order) {
    found += index->Read(digests[i], [&](const IndexEntry& e) { checksum += e.storage_handle; });
  }
  const double lookup_s = SecondsSince(lookup_start);

  const uint64_t n = index->size();
  const size_t sprig_bytes =
      size_t{tern::base::kPartitionCount} * kSprigs * sizeof(tern::index::Sprig);
  const int64_t rss_delta = rss_after - rss_before;
  const double per = n == 0 ? 0.0 : 1.0 / static_cast<double>(n);

  std::printf("records                 %llu\n", static_cast<unsigned long long>(n));
  std::printf("arena bytes in use      %zu\n", index->ArenaBytesInUse());
  std::printf("arena bytes reserved    %zu\n", index->ArenaBytesReserved());
  std::printf("arena bytes/record      %.1f\n", index->ArenaBytesInUse() * per);
  std::printf("sprig overhead bytes    %zu (%u sprigs x %zu B)\n", sprig_bytes,
              tern::base::kPartitionCount * kSprigs, sizeof(tern::index::Sprig));
  std::printf("rss delta bytes         %lld\n", static_cast<long long>(rss_delta));
  std::printf("rss bytes/record        %.1f\n", static_cast<double>(rss_delta) * per);
  std::printf("insert rate             %.0f records/s\n", static_cast<double>(records) / insert_s);
  std::printf("lookup rate             %.0f lookups/s (%llu found, checksum %llu)\n",
              static_cast<double>(records) / lookup_s, static_cast<unsigned long long>(found),
              static_cast<unsigned long long>(checksum));
  return found == n && n == records ? 0 : 1;
}
