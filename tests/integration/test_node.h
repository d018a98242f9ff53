// Test support: runs a real `ternd` process on a loopback address with a config the test
// writes, waits until it is healthy, and stops it (SIGTERM or kill -9) by pid. Also a tiny
// blocking HTTP/1.1 client for the admin and metrics ports.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tern::testing {

struct HttpResponse {
  int status = 0;  // 0 = no connection
  std::string body;
};

HttpResponse HttpRequest(const std::string& address, uint16_t port, const std::string& method,
                         const std::string& path, const std::string& body = "");

// Path of the ternd binary under test (set by CMake).
std::string TerndPath();

// A finished command: exit code (-1 if it did not exit) and what it wrote.
struct CommandRun {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command line with stdin from /dev/null, capturing stdout and stderr through
// files in `dir`.
CommandRun RunCommand(const std::string& command, const std::filesystem::path& dir);
// `arg` single-quoted for the shell.
std::string ShellQuote(const std::string& arg);
std::string ReadFile(const std::filesystem::path& path);

class TestNode {
 public:
  // `address` is a 127.x.y.z address of this test's own; ports are the standard ones.
  TestNode(std::string address, std::filesystem::path dir);
  ~TestNode();  // kills the process if still running, removes nothing

  // Writes tern.yaml with `namespaces_yaml` (a YAML list) and starts ternd.
  void Start(const std::string& namespaces_yaml);
  // Starts on an existing config file (or with none: the embedded default).
  void StartWithArgs(const std::vector<std::string>& args);
  // Polls /v1/ready (every front door up, cluster view adopted) until 200; false after `timeout_ms`.
  bool WaitReady(int timeout_ms = 20000);
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();
  void Kill9();
  // Waits for the process to exit by itself; its exit code, or -1 on timeout or signal.
  int WaitExit(int timeout_ms = 20000);

  HttpResponse Get(const std::string& path, uint16_t port = 8080) const {
    return HttpRequest(address_, port, "GET", path);
  }
  const std::string& address() const { return address_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config_path() const { return dir_ / "tern.yaml"; }
  std::string log() const;  // what the process wrote to stdout/stderr
  pid_t pid() const { return pid_; }

 private:
  std::string address_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace tern::testing
