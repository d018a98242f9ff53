#include "wire/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/result_code.h"
#include "wire/proto.h"

namespace tern::wire {

namespace {

constexpr size_t kReadChunk = 64 << 10;
constexpr size_t kOutputHighWater = 1 << 20;  // stop taking requests / producing above this
constexpr size_t kJobBudget = 256 << 10;

struct Connection {
  int fd = -1;
  std::string in;
  size_t in_pos = 0;
  std::string out;
  size_t out_pos = 0;
  std::unique_ptr<StreamJob> job;
  int64_t last_active_ns = 0;
  bool writing = false;  // EPOLLOUT armed
  bool closing = false;  // flush then close
};

}  // namespace

class Server::Loop {
 public:
  Loop(Server& server, int listen_fd) : server_(server), listen_fd_(listen_fd) {}
  ~Loop() {
    for (auto& [fd, c] : conns_) ::close(fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }

  absl::Status Init() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      return base::MakeError(base::ResultCode::kServerError, "epoll/eventfd failed");
    }
    Watch(listen_fd_, EPOLLIN);
    Watch(wake_fd_, EPOLLIN);
    return absl::OkStatus();
  }

  void Start() {
    thread_ = std::jthread([this](std::stop_token st) { Run(st); });
  }

  void Stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }

 private:
  void Watch(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }

  void Rearm(Connection& c, bool want_write) {
    if (c.writing == want_write) return;
    c.writing = want_write;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want_write ? uint32_t{EPOLLOUT} : uint32_t{0});
    ev.data.fd = c.fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void Run(std::stop_token stop) {
    epoll_event events[128];
    int64_t last_reap = base::MonotonicNs();
    while (!stop.stop_requested()) {
      int timeout_ms = NextTimeoutMs();
      int n = ::epoll_wait(epoll_fd_, events, 128, timeout_ms);
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listen_fd_) {
          Accept();
        } else if (fd == wake_fd_) {
          uint64_t v;
          (void)!::read(wake_fd_, &v, sizeof v);
        } else {
          auto it = conns_.find(fd);
          if (it == conns_.end()) continue;
          Connection& c = it->second;
          if (events[i].events & (EPOLLERR | EPOLLHUP)) {
            Close(c);
            continue;
          }
          if (events[i].events & (EPOLLIN | EPOLLRDHUP)) {
            if (!ReadInput(c)) {
              Close(c);
              continue;
            }
          }
          Drive(c);
        }
      }
      RunThrottledJobs();
      const int64_t now = base::MonotonicNs();
      if (now - last_reap > 1'000'000'000) {
        last_reap = now;
        ReapIdle(now);
      }
    }
  }

  int NextTimeoutMs() {
    int64_t soonest = INT64_MAX;
    for (auto& [fd, c] : conns_) {
      if (c.job && c.out.size() == c.out_pos) soonest = std::min(soonest, c.job->not_before_ns());
    }
    if (soonest == INT64_MAX) return 1000;
    int64_t wait = (soonest - base::MonotonicNs()) / 1'000'000;
    return static_cast<int>(std::clamp<int64_t>(wait, 0, 1000));
  }

  void RunThrottledJobs() {
    std::vector<int> ready;
    const int64_t now = base::MonotonicNs();
    for (auto& [fd, c] : conns_) {
      if (c.job && c.job->not_before_ns() != 0 && c.job->not_before_ns() <= now &&
          c.out.size() == c.out_pos) {
        ready.push_back(fd);
      }
    }
    for (int fd : ready) {
      auto it = conns_.find(fd);
      if (it != conns_.end()) Drive(it->second);
    }
  }

  void Accept() {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or a transient error: try at the next event
      if (server_.open_connections_.load() >= server_.config_.max_connections) {
        ::close(fd);
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      server_.open_connections_++;
      server_.total_connections_++;
      Connection& c = conns_[fd];
      c.fd = fd;
      c.last_active_ns = base::MonotonicNs();
      Watch(fd, EPOLLIN | EPOLLRDHUP);
    }
  }

  void Close(Connection& c) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    server_.open_connections_--;
    conns_.erase(c.fd);
  }

  // False when the peer closed or the socket failed.
  bool ReadInput(Connection& c) {
    char buf[kReadChunk];
    while (true) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        c.last_active_ns = base::MonotonicNs();
        if (static_cast<size_t>(n) < sizeof buf) return true;
        continue;
      }
      if (n == 0) return false;
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
  }

  // Answers buffered requests in order, drives a streaming job, writes what the socket takes.
  void Drive(Connection& c) {
    while (true) {
      bool high_water = false;
      while (!c.closing) {
        if (c.out.size() - c.out_pos >= kOutputHighWater) {
          high_water = true;
          break;
        }
        if (c.job) {
          if (c.job->not_before_ns() > base::MonotonicNs()) break;  // the timer resumes it
          if (!c.job->Produce(&c.out, kJobBudget)) c.job.reset();
          continue;
        }
        if (!NextRequest(c)) break;
      }
      if (!Flush(c)) {
        Close(c);
        return;
      }
      if (c.closing) {
        if (c.out_pos == c.out.size()) Close(c);
        return;
      }
      // Stopped at the high-water mark and the socket took it all: nothing else will wake
      // this connection (EPOLLOUT is armed only for unsent bytes), so produce more now.
      if (!high_water || c.out_pos != c.out.size()) return;
    }
  }

  // Takes one complete frame off the input and answers it. False when none is complete.
  bool NextRequest(Connection& c) {
    const size_t avail = c.in.size() - c.in_pos;
    if (avail < kProtoHeaderSize) return false;
    ProtoHeader h = ParseProtoHeader(reinterpret_cast<const uint8_t*>(c.in.data() + c.in_pos));
    const bool admin = h.type == static_cast<uint8_t>(MessageType::kAdmin);
    // Version 2 only (0 is tolerated for admin, as Aerospike); types 1-4; bounded size. A TLS
    // ClientHello (0x16 0x03 ...) fails the version check. Anything else cannot be answered in
    // a way the peer would understand: close.
    if ((h.version != kProtoVersion && !(admin && h.version == 0)) || h.type == 0 || h.type > 4 ||
        h.size > server_.config_.max_message_size) {
      base::Logger("wire")->debug(
          "closing connection: bad frame header (version {}, type {}, size {})", h.version, h.type,
          h.size);
      c.closing = true;
      c.in.clear();
      c.in_pos = 0;
      return false;
    }
    if (avail - kProtoHeaderSize < h.size) return false;
    std::string_view body(c.in.data() + c.in_pos + kProtoHeaderSize, h.size);
    c.job = server_.dispatcher_.Handle(h.type, body, &c.out);
    c.in_pos += kProtoHeaderSize + h.size;
    if (c.in_pos == c.in.size()) {
      c.in.clear();
      c.in_pos = 0;
    } else if (c.in_pos > (1 << 20)) {
      c.in.erase(0, c.in_pos);
      c.in_pos = 0;
    }
    return true;
  }

  // False when the socket failed.
  bool Flush(Connection& c) {
    while (c.out_pos < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_pos += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    if (c.out_pos == c.out.size()) {
      c.out.clear();
      c.out_pos = 0;
    } else if (c.out_pos > (4 << 20)) {
      c.out.erase(0, c.out_pos);
      c.out_pos = 0;
    }
    Rearm(c, c.out_pos < c.out.size());
    return true;
  }

  void ReapIdle(int64_t now) {
    const uint32_t idle = server_.config_.idle_timeout_sec;
    if (idle == 0) return;
    std::vector<int> stale;
    for (auto& [fd, c] : conns_) {
      if (!c.job && c.out_pos == c.out.size() &&
          now - c.last_active_ns > int64_t{idle} * 1'000'000'000) {
        stale.push_back(fd);
      }
    }
    for (int fd : stale) Close(conns_.at(fd));
  }

  Server& server_;
  int listen_fd_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::unordered_map<int, Connection> conns_;
  std::jthread thread_;
};

Server::Server(Dispatcher& dispatcher, base::ServiceConfig config)
    : dispatcher_(dispatcher), config_(config) {}

Server::~Server() { Stop(); }

absl::Status Server::Start(const std::string& address, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &res);
      rc != 0) {
    return base::MakeError(base::ResultCode::kServerError,
                           absl::StrCat("cannot resolve ", address, ": ", gai_strerror(rc)));
  }
  unsigned threads =
      config_.threads ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
  absl::Status status;
  for (unsigned i = 0; i < threads && status.ok(); ++i) {
    int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // One listening socket per loop: the kernel spreads new connections across them.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      status = base::MakeError(
          base::ResultCode::kServerError,
          absl::StrCat("cannot listen on ", address, ":", port, ": ", std::strerror(errno)));
      if (fd >= 0) ::close(fd);
      break;
    }
    auto loop = std::make_unique<Loop>(*this, fd);
    status = loop->Init();
    loops_.push_back(std::move(loop));
  }
  ::freeaddrinfo(res);
  if (!status.ok()) {
    loops_.clear();
    return status;
  }
  for (auto& l : loops_) l->Start();
  base::Logger("wire")->info("Aerospike wire protocol on {}:{} ({} event loops)", address, port,
                             threads);
  return absl::OkStatus();
}

void Server::Stop() {
  for (auto& l : loops_) l->Stop();
  loops_.clear();
}

}  // namespace tern::wire
