#include "kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"

namespace tern::kube {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string Resolve(const std::string& base, const std::string& p) {
  if (p.empty() || p[0] == '/' || base.empty()) return p;
  return (std::filesystem::path(base) / p).string();
}

std::string Base64(const std::string& what, const std::string& data) {
  std::string out;
  if (!absl::Base64Unescape(data, &out)) throw ConfigError("kubeconfig: bad base64 in " + what);
  return out;
}

YAML::Node Named(const YAML::Node& list, const std::string& name, const char* field,
                 const char* what) {
  if (list && list.IsSequence()) {
    for (const auto& e : list) {
      if (e["name"] && e["name"].as<std::string>() == name && e[field]) return e[field];
    }
  }
  throw ConfigError(std::string("kubeconfig: no ") + what + " named '" + name + "'");
}

std::string Str(const YAML::Node& n, const char* key) {
  return n && n[key] && n[key].IsScalar() ? n[key].as<std::string>() : "";
}

}  // namespace

Config InClusterConfig(const std::string& sa_dir) {
  const std::string host = Env("KUBERNETES_SERVICE_HOST");
  const std::string port = Env("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    throw ConfigError("not in a cluster: KUBERNETES_SERVICE_HOST/PORT unset");
  }
  Config c;
  // An IPv6 service address needs brackets in a URL.
  c.server =
      "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  c.token_file = sa_dir + "/token";
  c.token = Trim(ReadFile(c.token_file));
  if (std::filesystem::exists(sa_dir + "/ca.crt")) c.ca_pem = ReadFile(sa_dir + "/ca.crt");
  if (std::filesystem::exists(sa_dir + "/namespace")) {
    c.default_namespace = Trim(ReadFile(sa_dir + "/namespace"));
  }
  return c;
}

Config ParseKubeconfig(const std::string& yaml_text, const std::string& base_dir,
                       const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("kubeconfig: ") + e.what());
  }
  if (!root.IsMap()) throw ConfigError("kubeconfig: not a YAML mapping");
  std::string ctx_name = context.empty() ? Str(root, "current-context") : context;
  if (ctx_name.empty()) throw ConfigError("kubeconfig: no current-context");
  YAML::Node ctx = Named(root["contexts"], ctx_name, "context", "context");
  Config c;
  YAML::Node cluster = Named(root["clusters"], Str(ctx, "cluster"), "cluster", "cluster");
  c.server = Str(cluster, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.empty()) throw ConfigError("kubeconfig: cluster has no server");
  if (auto d = Str(cluster, "certificate-authority-data"); !d.empty()) {
    c.ca_pem = Base64("certificate-authority-data", d);
  } else if (auto f = Str(cluster, "certificate-authority"); !f.empty()) {
    c.ca_pem = ReadFile(Resolve(base_dir, f));
  }
  c.insecure_skip_tls_verify = Str(cluster, "insecure-skip-tls-verify") == "true";
  if (auto ns = Str(ctx, "namespace"); !ns.empty()) c.default_namespace = ns;
  if (auto user_name = Str(ctx, "user"); !user_name.empty()) {
    YAML::Node user = Named(root["users"], user_name, "user", "user");
    c.token = Str(user, "token");
    if (auto f = Str(user, "tokenFile"); !f.empty()) {
      c.token_file = Resolve(base_dir, f);
      c.token = Trim(ReadFile(c.token_file));
    }
    if (auto d = Str(user, "client-certificate-data"); !d.empty()) {
      c.client_cert_pem = Base64("client-certificate-data", d);
    } else if (auto f = Str(user, "client-certificate"); !f.empty()) {
      c.client_cert_pem = ReadFile(Resolve(base_dir, f));
    }
    if (auto d = Str(user, "client-key-data"); !d.empty()) {
      c.client_key_pem = Base64("client-key-data", d);
    } else if (auto f = Str(user, "client-key"); !f.empty()) {
      c.client_key_pem = ReadFile(Resolve(base_dir, f));
    }
  }
  return c;
}

Config LoadKubeconfigFile(const std::string& path, const std::string& context) {
  return ParseKubeconfig(ReadFile(path), std::filesystem::path(path).parent_path().string(),
                         context);
}

Config LoadConfig(const std::string& kubeconfig_flag) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfigFile(kubeconfig_flag);
  if (auto env = Env("KUBECONFIG"); !env.empty()) {
    // KUBECONFIG may list several files; the first one that exists wins here.
    std::stringstream ss(env);
    std::string p;
    while (std::getline(ss, p, ':')) {
      if (!p.empty() && std::filesystem::exists(p)) return LoadKubeconfigFile(p);
    }
  }
  if (!Env("KUBERNETES_SERVICE_HOST").empty()) return InClusterConfig();
  if (auto home = Env("HOME"); !home.empty() && std::filesystem::exists(home + "/.kube/config")) {
    return LoadKubeconfigFile(home + "/.kube/config");
  }
  throw ConfigError("no Kubernetes config: pass --kubeconfig, set KUBECONFIG or run in a pod");
}

TokenSource::TokenSource(const Config& c, std::chrono::seconds refresh)
    : token_(c.token),
      file_(c.token_file),
      refresh_(refresh),
      read_at_(std::chrono::steady_clock::now()) {}

std::string TokenSource::Token() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (!file_.empty() && now - read_at_ >= refresh_) {
    read_at_ = now;
    try {
      token_ = Trim(ReadFile(file_));
    } catch (const ConfigError&) {
      // Keep the last token: the kubelet replaces the file atomically, a miss is transient.
    }
  }
  return token_;
}

}  // namespace tern::kube
