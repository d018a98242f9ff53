#include "test_node.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace tern::testing {

std::string TerndPath() { return TERND_PATH; }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string ShellQuote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CommandRun RunCommand(const std::string& command, const std::filesystem::path& dir) {
  const auto out = dir / "out.txt";
  const auto err = dir / "err.txt";
  const std::string line = command + " </dev/null >" + out.string() + " 2>" + err.string();
  CommandRun r;
  const int status = std::system(line.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

HttpResponse HttpRequest(const std::string& address, uint16_t port, const std::string& method,
                         const std::string& path, const std::string& body) {
  HttpResponse out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return out;
  }
  std::ostringstream req;
  req << method << " " << path << " HTTP/1.1\r\nHost: " << address << "\r\nConnection: close\r\n";
  if (!body.empty() || method == "PATCH" || method == "PUT" || method == "POST") {
    req << "Content-Type: application/json\r\nContent-Length: " << body.size() << "\r\n";
  }
  req << "\r\n" << body;
  std::string data = req.str();
  if (::send(fd, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size())) {
    ::close(fd);
    return out;
  }
  std::string raw;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, n);
  ::close(fd);
  size_t sp = raw.find(' ');
  size_t hdr_end = raw.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos) return out;
  out.status = std::atoi(raw.c_str() + sp + 1);
  std::string headers = raw.substr(0, hdr_end);
  std::string rest = raw.substr(hdr_end + 4);
  // Both servers under test may answer chunked.
  if (headers.find("chunked") != std::string::npos) {
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) break;
      size_t len = std::stoul(rest.substr(pos, eol - pos), nullptr, 16);
      if (len == 0) break;
      out.body.append(rest, eol + 2, len);
      pos = eol + 2 + len + 2;
    }
  } else {
    out.body = rest;
  }
  return out;
}

TestNode::TestNode(std::string address, std::filesystem::path dir)
    : address_(std::move(address)), dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
}

TestNode::~TestNode() {
  if (pid_ > 0) Kill9();
}

void TestNode::Start(const std::string& namespaces_yaml) {
  std::ofstream f(config_path());
  f << "node:\n  address: " << address_ << "\n  data_dir: " << (dir_ / "data").string()
    << "\nlogging:\n  level: info\nnamespaces:\n"
    << namespaces_yaml;
  f.close();
  StartWithArgs({"--config", config_path().string()});
}

void TestNode::StartWithArgs(const std::vector<std::string>& args) {
  std::string log_path = (dir_ / "ternd.log").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    std::string bin = TerndPath();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
}

bool TestNode::WaitReady(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;  // it exited
      return false;
    }
    if (Get("/v1/ready").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int TestNode::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {  // 30 s, then give up and kill
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Kill9();
  return -1;
}

int TestNode::WaitExit(int timeout_ms) {
  int status = 0;
  for (int waited = 0; pid_ > 0 && waited < timeout_ms; waited += 50) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

void TestNode::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string TestNode::log() const { return ReadFile(dir_ / "ternd.log"); }

}  // namespace tern::testing
