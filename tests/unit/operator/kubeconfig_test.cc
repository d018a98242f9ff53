#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "kube/config.h"

namespace tern::kube {
namespace {

const char* kConfig = R"(
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: double
  cluster:
    server: http://127.0.1.1:6443/
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: Q0EgUEVN
    insecure-skip-tls-verify: true
users:
- name: tester
  user:
    token: abc
- name: filer
  user:
    tokenFile: tok
contexts:
- name: test
  context: {cluster: double, user: tester, namespace: ops}
- name: prod
  context: {cluster: prod, user: filer}
)";

TEST(Kubeconfig, UsesTheCurrentContext) {
  Config c = ParseKubeconfig(kConfig, "/nowhere");
  EXPECT_EQ(c.server, "http://127.0.1.1:6443");
  EXPECT_EQ(c.token, "abc");
  EXPECT_EQ(c.default_namespace, "ops");
  EXPECT_TRUE(c.ca_pem.empty());
  EXPECT_FALSE(c.insecure_skip_tls_verify);
}

TEST(Kubeconfig, NamedContextWithCaDataAndARelativeTokenFile) {
  auto dir = std::filesystem::temp_directory_path() / ("kc-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tok") << "file-token\n";
  Config c = ParseKubeconfig(kConfig, dir.string(), "prod");
  EXPECT_EQ(c.server, "https://10.0.0.1:6443");
  EXPECT_EQ(c.ca_pem, "CA PEM");
  EXPECT_TRUE(c.insecure_skip_tls_verify);
  EXPECT_EQ(c.token, "file-token");
  EXPECT_EQ(c.token_file, (dir / "tok").string());
  EXPECT_EQ(c.default_namespace, "default");

  // The token source re-reads the file (service-account tokens rotate).
  TokenSource ts(c, std::chrono::seconds(0));
  std::ofstream(dir / "tok") << "rotated";
  EXPECT_EQ(ts.Token(), "rotated");
  std::filesystem::remove_all(dir);
}

TEST(Kubeconfig, ErrorsNameWhatIsMissing) {
  EXPECT_THROW(ParseKubeconfig(kConfig, "/", "nope"), ConfigError);
  EXPECT_THROW(ParseKubeconfig("current-context: x\n", "/"), ConfigError);
  EXPECT_THROW(ParseKubeconfig("[1, 2", "/"), ConfigError);
  try {
    ParseKubeconfig(kConfig, "/", "nope");
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST(InCluster, ReadsTheServiceAccountFiles) {
  auto dir = std::filesystem::temp_directory_path() / ("sa-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "sa-token";
  std::ofstream(dir / "ca.crt") << "CERT";
  std::ofstream(dir / "namespace") << "tern-system";
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  Config c = InClusterConfig(dir.string());
  EXPECT_EQ(c.server, "https://10.96.0.1:443");
  EXPECT_EQ(c.token, "sa-token");
  EXPECT_EQ(c.ca_pem, "CERT");
  EXPECT_EQ(c.default_namespace, "tern-system");
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_THROW(InClusterConfig(dir.string()), ConfigError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tern::kube
