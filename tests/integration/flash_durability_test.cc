// Acknowledged writes to a commit_to_device flash namespace survive kill -9.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "base/config.h"
#include "base/digest.h"
#include "ns/catalog.h"
#include "txn/engine.h"

namespace tern {
namespace {

TEST(FlashDurabilityTest, AcknowledgedWritesSurviveKill9) {
  auto dir =
      std::filesystem::temp_directory_path() / ("tern-durability-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto config_path = dir / "tern.yaml";
  std::ofstream(config_path)
      << "node:\n  address: 127.0.0.23\n  data_dir: " << (dir / "data").string()
      << "\nnamespaces:\n  - name: bar\n    storage: flash\n    commit_to_device: true\n";

  constexpr int kKeys = 100000;
  constexpr int kKillAfter = 130000;  // every key once, then 30% of them a second time
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execl(FLASH_WRITER_PATH, FLASH_WRITER_PATH, config_path.c_str(),
            std::to_string(kKeys).c_str(), "32", nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  FILE* acks = ::fdopen(fds[0], "r");
  std::unordered_map<int, unsigned> acked;  // key -> highest acknowledged generation
  int key;
  unsigned gen;
  int lines = 0;
  while (lines < kKillAfter && std::fscanf(acks, "%d %u", &key, &gen) == 2) {
    acked[key] = std::max(acked[key], gen);
    ++lines;
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ::waitpid(pid, nullptr, 0);
  std::fclose(acks);
  ASSERT_EQ(lines, kKillAfter) << "the writer stopped early";

  // Restart: cold start from the device, exactly as ternd does.
  auto config = base::LoadConfigFile(config_path.string());
  ASSERT_TRUE(config.ok()) << config.status();
  auto catalog = ns::Catalog::Open(*config);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  txn::Engine engine(**catalog, nullptr);
  int lost = 0, wrong = 0;
  for (const auto& [k, g] : acked) {
    txn::Request r;
    r.ns = "bar";
    r.digest = base::ComputeDigest("durable", int64_t{k});
    r.read_all_bins = true;
    txn::Response resp = engine.Execute(r);
    if (resp.result != base::ResultCode::kOk || resp.generation < g) {
      ++lost;
      continue;
    }
    // The value matches the generation found (a write may be durable before its ack was read).
    int64_t expect = resp.generation == 1 ? k : -k;
    if (resp.bins.size() != 1 || resp.bins[0].value.integer() != expect) ++wrong;
  }
  EXPECT_EQ(acked.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(wrong, 0);
  catalog->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tern
