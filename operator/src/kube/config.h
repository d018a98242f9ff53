// Where the Kubernetes API is and how to authenticate: in-cluster service account or kubeconfig.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace tern::kube {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Config {
  std::string server;      // https://host:port or http://host:port, no trailing slash
  std::string token;       // bearer token (static)
  std::string token_file;  // re-read periodically when set (service-account tokens rotate)
  std::string ca_pem;      // PEM bundle trusted for the server's certificate; empty = system
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_tls_verify = false;
  std::string default_namespace = "default";
};

// The in-cluster config: KUBERNETES_SERVICE_HOST/PORT and the service-account files under
// `sa_dir` (token, ca.crt, namespace). Throws ConfigError when not in a cluster.
Config InClusterConfig(const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Parses kubeconfig text; relative file paths are resolved against `base_dir`. `context` empty
// = current-context.
Config ParseKubeconfig(const std::string& yaml_text, const std::string& base_dir,
                       const std::string& context = "");
Config LoadKubeconfigFile(const std::string& path, const std::string& context = "");

// --kubeconfig, then $KUBECONFIG, then in-cluster, then ~/.kube/config.
Config LoadConfig(const std::string& kubeconfig_flag);

// Hands out the current bearer token, re-reading token_file at most every `refresh`.
class TokenSource {
 public:
  explicit TokenSource(const Config& c, std::chrono::seconds refresh = std::chrono::seconds(60));
  std::string Token();

 private:
  std::mutex mu_;
  std::string token_;
  std::string file_;
  std::chrono::seconds refresh_;
  std::chrono::steady_clock::time_point read_at_{};
};

std::string ReadFile(const std::string& path);

}  // namespace tern::kube
