#include "base/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"

namespace tern::base {
namespace {

using ::testing::HasSubstr;

// A minimal valid file: one namespace, everything else defaulted.
constexpr char kMinimal[] = R"(namespaces:
  - name: test
)";

// The error message of parsing `yaml`, or "" if it parsed.
std::string ErrorOf(std::string_view yaml) {
  absl::StatusOr<Config> c = ParseConfig(yaml, "tern.yaml");
  if (c.ok()) return "";
  EXPECT_EQ(ResultCodeOf(c.status()), ResultCode::kParameterError);
  return std::string(c.status().message());
}

// Parses a file with one namespace whose body is `ns_body` (indented by 4).
absl::StatusOr<Config> ParseNamespace(const std::string& ns_body) {
  return ParseConfig("namespaces:\n  - name: ns\n" + ns_body, "tern.yaml");
}

std::string NamespaceError(const std::string& ns_body) {
  return ErrorOf("namespaces:\n  - name: ns\n" + ns_body);
}

TEST(ConfigTest, EmbeddedDefaultParses) {
  ASSERT_FALSE(DefaultConfigYaml().empty());
  absl::StatusOr<Config> c = ParseConfig(DefaultConfigYaml(), "tern.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node.address, "127.0.0.1");
  EXPECT_EQ(c->node.data_dir, "./data");
  EXPECT_EQ(c->ports.service, 3000);
  EXPECT_EQ(c->ports.fabric, 3001);
  EXPECT_EQ(c->ports.grpc, 3100);
  EXPECT_EQ(c->ports.admin, 8080);
  EXPECT_EQ(c->ports.metrics, 9145);
  ASSERT_EQ(c->namespaces.size(), 2u);

  const NamespaceConfig* test = c->FindNamespace("test");
  ASSERT_NE(test, nullptr);
  EXPECT_EQ(test->storage, StorageKind::kMemory);
  EXPECT_EQ(test->replication_factor, 2u);
  EXPECT_EQ(test->default_ttl, 0);
  EXPECT_EQ(test->memory_size, uint64_t{1} << 30);
  EXPECT_EQ(test->nsup_period_sec, 10u);

  const NamespaceConfig* bar = c->FindNamespace("bar");
  ASSERT_NE(bar, nullptr);
  EXPECT_EQ(bar->storage, StorageKind::kFlash);
  EXPECT_TRUE(bar->data_dir.empty());  // defaults to <node.data_dir>/bar
  EXPECT_FALSE(bar->commit_to_device);
  EXPECT_EQ(bar->memory_size, uint64_t{1} << 30);
  EXPECT_EQ(bar->disk_size, uint64_t{4} << 30);

  EXPECT_EQ(c->FindNamespace("nope"), nullptr);
}

TEST(ConfigTest, DefaultsApplyToOmittedKeys) {
  absl::StatusOr<Config> c = ParseConfig(kMinimal, "tern.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  const NamespaceConfig defaults;
  const NamespaceConfig& ns = c->namespaces[0];
  EXPECT_EQ(ns.name, "test");
  EXPECT_EQ(ns.replication_factor, defaults.replication_factor);
  EXPECT_EQ(ns.max_record_size, defaults.max_record_size);
  EXPECT_EQ(ns.sprigs_per_partition, defaults.sprigs_per_partition);
  EXPECT_EQ(c->ports.service, 3000);
  EXPECT_EQ(c->logging.level, "info");
  EXPECT_EQ(c->node.cluster_name, "tern");
}

TEST(ConfigTest, EveryKeyIsRead) {
  absl::StatusOr<Config> c = ParseConfig(R"(
node:
  id: A1B2
  address: 10.0.0.5
  data_dir: /var/lib/tern
  cluster_name: prod
  rack_id: 3
ports: {service: 4000, fabric: 4001, grpc: 4100, admin: 9080, metrics: 9999}
logging:
  level: debug
namespaces:
  - name: users
    storage: flash
    data_dir: /mnt/users
    commit_to_device: true
    replication_factor: 3
    default_ttl: 12h
    max_record_size: 8M
    memory_size: 2G
    disk_size: 1T
    stop_writes_pct: 80
    evict_pct: 70
    nsup_period_sec: 0
    sprigs_per_partition: 256
    consistency: available
)",
                                         "tern.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node.id, "A1B2");
  EXPECT_EQ(c->node.address, "10.0.0.5");
  EXPECT_EQ(c->node.data_dir, "/var/lib/tern");
  EXPECT_EQ(c->node.cluster_name, "prod");
  EXPECT_EQ(c->node.rack_id, 3u);
  EXPECT_EQ(c->ports.service, 4000);
  EXPECT_EQ(c->ports.fabric, 4001);
  EXPECT_EQ(c->ports.grpc, 4100);
  EXPECT_EQ(c->ports.admin, 9080);
  EXPECT_EQ(c->ports.metrics, 9999);
  EXPECT_EQ(c->logging.level, "debug");
  const NamespaceConfig& ns = c->namespaces.at(0);
  EXPECT_EQ(ns.name, "users");
  EXPECT_EQ(ns.storage, StorageKind::kFlash);
  EXPECT_EQ(ns.data_dir, "/mnt/users");
  EXPECT_TRUE(ns.commit_to_device);
  EXPECT_EQ(ns.replication_factor, 3u);
  EXPECT_EQ(ns.default_ttl, 12 * 3600);
  EXPECT_EQ(ns.max_record_size, uint64_t{8} << 20);
  EXPECT_EQ(ns.memory_size, uint64_t{2} << 30);
  EXPECT_EQ(ns.disk_size, uint64_t{1} << 40);
  EXPECT_EQ(ns.stop_writes_pct, 80u);
  EXPECT_EQ(ns.evict_pct, 70u);
  EXPECT_EQ(ns.nsup_period_sec, 0u);
  EXPECT_EQ(ns.sprigs_per_partition, 256u);
}

TEST(ConfigTest, UnknownKeyNamesLineAndPath) {
  EXPECT_EQ(ErrorOf("node:\n  address: 127.0.0.1\n  bogus: 1\nnamespaces:\n  - name: t\n"),
            "tern.yaml:3: node.bogus: unknown key");
  EXPECT_EQ(ErrorOf("namespaces:\n  - name: a\n  - name: b\n    replication: 2\n"),
            "tern.yaml:4: namespaces[1].replication: unknown key");
  EXPECT_EQ(ErrorOf("namespaces:\n  - name: a\n    sets:\n      - name: s\n        ttl: 5\n"),
            "tern.yaml:5: namespaces[0].sets[0].ttl: unknown key");
  EXPECT_EQ(ErrorOf("extra: 1\nnamespaces:\n  - name: a\n"), "tern.yaml:1: extra: unknown key");
}

TEST(ConfigTest, InvalidValueNamesLineAndPath) {
  EXPECT_EQ(ErrorOf("namespaces:\n  - name: a\n  - name: b\n    replication_factor: 12\n"),
            "tern.yaml:4: namespaces[1].replication_factor: must be between 1 and 8 (got 12)");
}

TEST(ConfigTest, WrongTypes) {
  EXPECT_THAT(NamespaceError("    replication_factor: two\n"),
              HasSubstr("tern.yaml:3: namespaces[0].replication_factor: expected an integer"));
  EXPECT_THAT(NamespaceError("    replication_factor: \"2\"\n"),
              HasSubstr("expected an integer, got the quoted string"));
  EXPECT_THAT(NamespaceError("    replication_factor:\n    memory_size: 1G\n"),
              HasSubstr("tern.yaml:3: namespaces[0].replication_factor: expected an integer, "
                        "got nothing"));
  EXPECT_THAT(NamespaceError("    replication_factor: [2]\n"),
              HasSubstr("expected an integer, got a list"));
  EXPECT_THAT(NamespaceError("    sets: {name: x}\n"),
              HasSubstr("tern.yaml:3: namespaces[0].sets: expected a list, got a map"));
  EXPECT_THAT(NamespaceError("    commit_to_device: maybe\n"),
              HasSubstr("namespaces[0].commit_to_device: expected true or false"));
  EXPECT_THAT(ErrorOf("namespaces:\n  - name: [a, b]\n"),
              HasSubstr("tern.yaml:2: namespaces[0].name: expected a string, got a list"));
  EXPECT_THAT(ErrorOf("namespaces: {name: a}\n"),
              HasSubstr("tern.yaml:1: namespaces: expected a list, got a map"));
  EXPECT_THAT(ErrorOf("node: 5\nnamespaces:\n  - name: a\n"),
              HasSubstr("tern.yaml:1: node: expected a map, got '5'"));
  EXPECT_THAT(ErrorOf("namespaces:\n  - test\n"),
              HasSubstr("tern.yaml:2: namespaces[0]: expected a map, got 'test'"));
  EXPECT_THAT(ErrorOf("ports:\n  service: 3000.5\nnamespaces:\n  - name: a\n"),
              HasSubstr("tern.yaml:2: ports.service: expected an integer"));
  EXPECT_THAT(ErrorOf("- a\n- b\n"), HasSubstr("expected a map at the top, got a list"));
}

TEST(ConfigTest, SyntaxErrorGivesLine) {
  std::string e = ErrorOf("namespaces:\n  - name: a\n    storage: [memory\n");
  EXPECT_THAT(e, HasSubstr("tern.yaml:"));
  EXPECT_THAT(e, HasSubstr("invalid YAML"));
  EXPECT_THAT(ErrorOf("node:\n  address: a\n   bad: indent\nnamespaces: []\n"),
              HasSubstr("tern.yaml:3: invalid YAML"));
}

TEST(ConfigTest, InvalidValues) {
  EXPECT_THAT(NamespaceError("    replication_factor: 0\n"),
              HasSubstr("replication_factor: must be between 1 and 8 (got 0)"));
  EXPECT_THAT(ErrorOf("namespaces:\n  - name: a\n  - name: b\n  - name: a\n"),
              HasSubstr("tern.yaml:4: namespaces[2].name: duplicate namespace 'a'"));
  EXPECT_THAT(
      NamespaceError("    storage: disk\n"),
      HasSubstr("tern.yaml:3: namespaces[0].storage: must be memory or flash (got 'disk')"));
  EXPECT_THAT(NamespaceError("    consistency: eventual\n"),
              HasSubstr("consistency: must be available (got 'eventual')"));
  EXPECT_THAT(NamespaceError("    consistency: strong\n"),
              HasSubstr("consistency: strong is not available yet: namespaces run AP"));
  EXPECT_THAT(NamespaceError("    memory_size: 4X\n"),
              HasSubstr("tern.yaml:3: namespaces[0].memory_size: expected a size"));
  EXPECT_THAT(NamespaceError("    memory_size: -1G\n"), HasSubstr("expected a size"));
  EXPECT_THAT(NamespaceError("    memory_size: 0\n"),
              HasSubstr("memory_size: must be at least 1 (got 0)"));
  EXPECT_THAT(NamespaceError("    disk_size: 99999999999T\n"), HasSubstr("size is too large"));
  EXPECT_THAT(NamespaceError("    max_record_size: 512\n"),
              HasSubstr("max_record_size: must be between 1K and 128M (got 512)"));
  EXPECT_THAT(NamespaceError("    max_record_size: 256M\n"), HasSubstr("must be between"));
  EXPECT_THAT(
      NamespaceError("    stop_writes_pct: 80\n    evict_pct: 80\n"),
      HasSubstr("tern.yaml:4: namespaces[0].evict_pct: must be below stop_writes_pct (80)"));
  EXPECT_THAT(
      NamespaceError("    evict_pct: 95\n"),
      HasSubstr("tern.yaml:3: namespaces[0].evict_pct: must be below stop_writes_pct (90)"));
  EXPECT_THAT(NamespaceError("    stop_writes_pct: 101\n"),
              HasSubstr("stop_writes_pct: must be between 0 and 100 (got 101)"));
  EXPECT_THAT(NamespaceError("    sprigs_per_partition: 12\n"),
              HasSubstr("sprigs_per_partition: must be a power of two"));
  EXPECT_THAT(NamespaceError("    sprigs_per_partition: 512\n"),
              HasSubstr("sprigs_per_partition: must be between 1 and 256"));
  EXPECT_THAT(NamespaceError("    default_ttl: -1\n"), HasSubstr("default_ttl: must be between 0"));
  EXPECT_THAT(NamespaceError("    default_ttl: 3651d\n"), HasSubstr("at most 315360000"));
  EXPECT_THAT(NamespaceError("    default_ttl: 5w\n"), HasSubstr("expected seconds or a duration"));
  EXPECT_THAT(NamespaceError("    sets:\n      - name: s\n      - name: s\n"),
              HasSubstr("tern.yaml:5: namespaces[0].sets[1].name: duplicate set 's'"));
  EXPECT_THAT(NamespaceError(absl::StrCat("    sets:\n      - name: ", std::string(64, 's'), "\n")),
              HasSubstr("set names are at most 63 bytes"));
  EXPECT_THAT(NamespaceError("    sets:\n      - default_ttl: 5\n"),
              HasSubstr("tern.yaml:4: namespaces[0].sets[0].name: is required"));
  EXPECT_THAT(NamespaceError("    name: again\n"),
              HasSubstr("tern.yaml:3: namespaces[0].name: duplicate key"));
}

TEST(ConfigTest, Geo2dsphereWithin) {
  absl::StatusOr<Config> c = ParseNamespace(R"(    geo2dsphere_within:
      min_level: 4
      max_level: 12
      max_cells: 40
      level_mod: 2
      earth_radius_meters: 6378137
)");
  ASSERT_TRUE(c.ok()) << c.status();
  const GeoConfig& g = c->namespaces[0].geo2dsphere_within;
  EXPECT_EQ(g.min_level, 4u);
  EXPECT_EQ(g.max_level, 12u);
  EXPECT_EQ(g.max_cells, 40u);
  EXPECT_EQ(g.level_mod, 2u);
  EXPECT_EQ(g.earth_radius_meters, 6378137u);
  // Aerospike's defaults when omitted.
  c = ParseNamespace("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->namespaces[0].geo2dsphere_within.max_cells, 12u);
  EXPECT_EQ(c->namespaces[0].geo2dsphere_within.max_level, 20u);
  EXPECT_THAT(NamespaceError("    geo2dsphere_within:\n      min_level: 10\n      max_level: 5\n"),
              HasSubstr("geo2dsphere_within.max_level: must not be below min_level (10)"));
  EXPECT_THAT(NamespaceError("    geo2dsphere_within:\n      level_mod: 4\n"),
              HasSubstr("geo2dsphere_within.level_mod: must be between 1 and 3"));
  EXPECT_THAT(NamespaceError("    geo2dsphere_within:\n      cells: 4\n"),
              HasSubstr("geo2dsphere_within.cells: unknown key"));
}

TEST(ConfigTest, NamespaceNames) {
  EXPECT_THAT(ErrorOf("namespaces:\n  - storage: memory\n"),
              HasSubstr("tern.yaml:2: namespaces[0].name: is required"));
  EXPECT_THAT(ErrorOf("namespaces:\n  - name: \"\"\n"), HasSubstr("must not be empty"));
  EXPECT_THAT(ErrorOf("namespaces:\n  - name: \"a b\"\n"),
              HasSubstr("must not contain ':', ';' or whitespace"));
  EXPECT_THAT(ErrorOf("namespaces:\n  - name: \"a:b\"\n"), HasSubstr("must not contain"));
  EXPECT_THAT(ErrorOf(absl::StrCat("namespaces:\n  - name: ", std::string(32, 'n'), "\n")),
              HasSubstr("at most 31 characters"));
  EXPECT_EQ(ErrorOf(absl::StrCat("namespaces:\n  - name: ", std::string(31, 'n'), "\n")), "");
}

TEST(ConfigTest, NeedsANamespace) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("namespaces: at least one namespace is required"));
  EXPECT_THAT(ErrorOf("node:\n  address: 1.2.3.4\n"),
              HasSubstr("namespaces: at least one namespace is required"));
  EXPECT_THAT(ErrorOf("node: {}\nnamespaces: []\n"),
              HasSubstr("tern.yaml:2: namespaces: at least one namespace is required"));
}

TEST(ConfigTest, NodePortsAndLogging) {
  EXPECT_THAT(ErrorOf(absl::StrCat("node:\n  id: XYZ\n", kMinimal)),
              HasSubstr("tern.yaml:2: node.id: must be 1-16 hex digits"));
  EXPECT_THAT(ErrorOf(absl::StrCat("node:\n  id: 11112222333344445\n", kMinimal)),
              HasSubstr("node.id: must be 1-16 hex digits"));
  EXPECT_EQ(ErrorOf(absl::StrCat("node:\n  id: 1234\n", kMinimal)), "");
  EXPECT_THAT(ErrorOf(absl::StrCat("ports:\n  service: 0\n", kMinimal)),
              HasSubstr("tern.yaml:2: ports.service: must be between 1 and 65535 (got 0)"));
  EXPECT_THAT(ErrorOf(absl::StrCat("ports:\n  admin: 70000\n", kMinimal)),
              HasSubstr("ports.admin: must be between 1 and 65535"));
  EXPECT_THAT(ErrorOf(absl::StrCat("ports:\n  metrics: 3000\n", kMinimal)),
              HasSubstr("tern.yaml:2: ports.metrics: port 3000 is also used by ports.service"));
  EXPECT_THAT(ErrorOf(absl::StrCat("ports:\n  grpc: 5000\n  admin: 5000\n", kMinimal)),
              HasSubstr("tern.yaml:3: ports.admin: port 5000 is also used by ports.grpc"));
  EXPECT_THAT(ErrorOf(absl::StrCat("logging:\n  level: verbose\n", kMinimal)),
              HasSubstr("tern.yaml:2: logging.level: must be one of"));
  EXPECT_EQ(ErrorOf(absl::StrCat("logging:\n  level: off\n", kMinimal)), "");
}

TEST(ConfigTest, SizeSuffixes) {
  struct Case {
    std::string text;
    uint64_t bytes;
  };
  for (const Case& c : std::vector<Case>{{"1024", 1024},
                                         {"4096K", uint64_t{4} << 20},
                                         {"\"512K\"", uint64_t{512} << 10},
                                         {"64M", uint64_t{64} << 20},
                                         {"64m", uint64_t{64} << 20},
                                         {"'4G'", uint64_t{4} << 30},
                                         {"2T", uint64_t{2} << 40}}) {
    absl::StatusOr<Config> cfg = ParseNamespace(absl::StrCat("    memory_size: ", c.text, "\n"));
    ASSERT_TRUE(cfg.ok()) << c.text << ": " << cfg.status();
    EXPECT_EQ(cfg->namespaces[0].memory_size, c.bytes) << c.text;
  }
}

TEST(ConfigTest, TtlSuffixes) {
  struct Case {
    std::string text;
    int64_t seconds;
  };
  for (const Case& c : std::vector<Case>{{"0", 0},
                                         {"3600", 3600},
                                         {"90s", 90},
                                         {"10m", 600},
                                         {"12h", 43200},
                                         {"\"30d\"", 30 * 86400},
                                         {"3650d", 315360000}}) {
    absl::StatusOr<Config> cfg = ParseNamespace(absl::StrCat("    default_ttl: ", c.text, "\n"));
    ASSERT_TRUE(cfg.ok()) << c.text << ": " << cfg.status();
    EXPECT_EQ(cfg->namespaces[0].default_ttl, c.seconds) << c.text;
  }
}

TEST(ConfigTest, SetsParsed) {
  absl::StatusOr<Config> c = ParseNamespace(R"(    sets:
      - name: sessions
        default_ttl: 30d
        stop_writes_count: 1000000
        disable_eviction: true
      - name: users
)");
  ASSERT_TRUE(c.ok()) << c.status();
  const std::vector<SetConfig>& sets = c->namespaces[0].sets;
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].name, "sessions");
  EXPECT_EQ(sets[0].default_ttl, 30 * 86400);
  EXPECT_EQ(sets[0].stop_writes_count, 1000000u);
  EXPECT_TRUE(sets[0].disable_eviction);
  EXPECT_EQ(sets[1].name, "users");
  EXPECT_FALSE(sets[1].default_ttl.has_value());
  EXPECT_EQ(sets[1].stop_writes_count, 0u);
  EXPECT_FALSE(sets[1].disable_eviction);
}

TEST(ConfigTest, LoadConfigFile) {
  std::string path = ::testing::TempDir() + "/config_test_tern.yaml";
  {
    std::ofstream out(path);
    out << "namespaces:\n  - name: a\n    bogus: 1\n";
  }
  absl::StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), absl::StrCat(path, ":3: namespaces[0].bogus: unknown key"));
  {
    std::ofstream out(path);
    out << kMinimal;
  }
  c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->namespaces[0].name, "test");
  std::remove(path.c_str());

  c = LoadConfigFile(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(ResultCodeOf(c.status()), ResultCode::kParameterError);
  EXPECT_THAT(c.status().message(), HasSubstr(path));
}

}  // namespace
}  // namespace tern::base
