#include "tern/wire/client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "wire/proto.h"

namespace tern::wire {

namespace {

constexpr size_t kInitialBuffer = 64 * 1024;
constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();
// SO_RCVTIMEO is lowered to the time left only when that is this much shorter than the
// current setting: the common reply arrives in one recv and costs no extra setsockopt.
constexpr int64_t kTimeoutSlackNs = 1'000'000;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

timeval ToTimeval(int64_t ns) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>((ns % 1'000'000'000) / 1000);
  if (ns > 0 && tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;  // 0 would mean "forever"
  return tv;
}

std::string Errno(std::string_view what) {
  return absl::StrCat(base::Absl(what), ": ", std::strerror(errno));
}

// A connected, blocking socket, or why there is none.
absl::StatusOr<int> ConnectSocket(const std::string& host, uint16_t port, uint32_t timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &addrs); rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  std::string error = "no address";
  int fd = -1;
  for (addrinfo* a = addrs; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      error = Errno("socket");
      continue;
    }
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, timeout_ms == 0 ? -1 : static_cast<int>(timeout_ms));
      if (rc == 0) {
        error = absl::StrCat("connect timed out after ", timeout_ms, " ms");
        rc = -1;
      } else if (rc > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        errno = err;
        rc = err == 0 ? 0 : -1;
        if (rc != 0) error = Errno("connect");
      } else {
        error = Errno("poll");
      }
    } else if (rc != 0) {
      error = Errno("connect");
    }
    if (rc != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addrs);
  if (fd < 0) return absl::UnavailableError(error);
  // Blocking from here on: a closed loop of send then recv is two system calls per command.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

Client::Client(ClientOptions options)
    : options_(std::move(options)), address_(absl::StrCat(options_.host, ":", options_.port)) {}

Client::~Client() { Close(); }

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  std::unique_ptr<Client> c(new Client(std::move(options)));
  if (absl::Status s = c->Open(); !s.ok()) return s;
  return c;
}

absl::Status Client::Open() {
  absl::StatusOr<int> fd = ConnectSocket(options_.host, options_.port, options_.connect_timeout_ms);
  if (!fd.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", address_, ": ", fd.status().message()));
  }
  fd_ = *fd;
  const timeval send_timeout = ToTimeval(int64_t{options_.timeout_ms} * 1'000'000);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  recv_timeout_ns_ = -1;
  in_.resize(kInitialBuffer);
  in_begin_ = in_end_ = 0;
  return absl::OkStatus();
}

void Client::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::Status Client::Fail(absl::Status s) {
  Close();
  return s;
}

absl::Status Client::SetRecvTimeout(int64_t ns) {
  const timeval tv = ToTimeval(ns);
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    return absl::UnavailableError(Errno("setsockopt SO_RCVTIMEO"));
  }
  recv_timeout_ns_ = ns;
  return absl::OkStatus();
}

absl::Status Client::Fill(size_t need, int64_t deadline_ns) {
  while (in_end_ - in_begin_ < need) {
    if (in_begin_ + need > in_.size()) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
      if (need > in_.size()) in_.resize(need);
    }
    if (deadline_ns != kNoDeadline) {
      const int64_t left = deadline_ns - NowNs();
      if (left <= 0) {
        return absl::DeadlineExceededError(absl::StrCat("no complete reply from ", address_,
                                                        " within ", options_.timeout_ms, " ms"));
      }
      if (left < recv_timeout_ns_ - kTimeoutSlackNs) {
        if (absl::Status s = SetRecvTimeout(left); !s.ok()) return s;
      }
    }
    const ssize_t n = recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
    if (n > 0) {
      in_end_ += static_cast<size_t>(n);
    } else if (n == 0) {
      return absl::UnavailableError(absl::StrCat(address_, " closed the connection"));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return absl::DeadlineExceededError(
          absl::StrCat("no reply from ", address_, " within ", options_.timeout_ms, " ms"));
    } else if (errno != EINTR) {
      return absl::UnavailableError(Errno(absl::StrCat("recv from ", address_)));
    }
  }
  return absl::OkStatus();
}

absl::Status Client::ReadFrame(uint8_t type, int64_t deadline_ns, std::string_view* body) {
  if (absl::Status s = Fill(kProtoHeaderSize, deadline_ns); !s.ok()) return s;
  absl::StatusOr<uint64_t> size =
      CheckProtoHeader(std::string_view(in_.data() + in_begin_, kProtoHeaderSize), type);
  if (!size.ok()) {
    return absl::DataLossError(absl::StrCat("from ", address_, ": ", size.status().message()));
  }
  const size_t frame = kProtoHeaderSize + static_cast<size_t>(*size);
  if (absl::Status s = Fill(frame, deadline_ns); !s.ok()) return s;
  *body = std::string_view(in_.data() + in_begin_ + kProtoHeaderSize, *size);
  in_begin_ += frame;
  return absl::OkStatus();
}

template <typename OnBody>
absl::Status Client::Exchange(uint8_t type, OnBody on_body) {
  if (fd_ < 0) {
    if (absl::Status s = Open(); !s.ok()) return s;
  }
  const int64_t timeout_ns = int64_t{options_.timeout_ms} * 1'000'000;
  const int64_t deadline = timeout_ns == 0 ? kNoDeadline : NowNs() + timeout_ns;
  if (recv_timeout_ns_ != timeout_ns) {
    if (absl::Status s = SetRecvTimeout(timeout_ns); !s.ok()) return Fail(s);
  }
  for (size_t sent = 0; sent < out_.size();) {
    const ssize_t n = send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return Fail(absl::DeadlineExceededError(
          absl::StrCat("cannot send to ", address_, " within ", options_.timeout_ms, " ms")));
    } else if (errno != EINTR) {
      return Fail(absl::UnavailableError(Errno(absl::StrCat("send to ", address_))));
    }
  }
  for (bool done = false; !done;) {
    std::string_view body;
    if (absl::Status s = ReadFrame(type, deadline, &body); !s.ok()) return Fail(s);
    absl::StatusOr<bool> complete = on_body(body);
    if (!complete.ok()) {
      return Fail(absl::Status(complete.status().code(),
                               absl::StrCat("from ", address_, ": ", complete.status().message())));
    }
    done = *complete;
  }
  if (in_begin_ != in_end_) {
    return Fail(absl::DataLossError(absl::StrCat(address_, " sent bytes after the reply")));
  }
  in_begin_ = in_end_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<InfoReply> Client::Info(const std::vector<std::string>& commands) {
  out_.clear();
  EncodeInfo(commands, &out_);
  InfoReply reply;
  absl::Status s = Exchange(static_cast<uint8_t>(MessageType::kInfo),
                            [&](std::string_view body) -> absl::StatusOr<bool> {
                              absl::StatusOr<InfoReply> r = DecodeInfo(body);
                              if (!r.ok()) return r.status();
                              reply = *std::move(r);
                              return true;
                            });
  if (!s.ok()) return s;
  return reply;
}

absl::StatusOr<std::string> Client::InfoValue(std::string_view command) {
  absl::StatusOr<InfoReply> r = Info({std::string(command)});
  if (!r.ok()) return r.status();
  if (r->size() != 1) {
    return absl::DataLossError(absl::StrCat("info '", base::Absl(command), "' from ", address_,
                                            ": expected one line, got ", r->size()));
  }
  std::string value = std::move((*r)[0].second);
  if (absl::Status s = InfoValueStatus(value); !s.ok()) return s;
  return value;
}

absl::StatusOr<RecordReply> Client::RecordCommand() {
  RecordReply reply;
  absl::Status s = Exchange(static_cast<uint8_t>(MessageType::kMessage),
                            [&](std::string_view body) -> absl::StatusOr<bool> {
                              absl::StatusOr<RecordReply> r = DecodeRecordReply(body);
                              if (!r.ok()) return r.status();
                              reply = *std::move(r);
                              return true;
                            });
  if (!s.ok()) return s;
  return reply;
}

absl::StatusOr<RecordReply> Client::Get(const Key& key, std::span<const std::string> bins) {
  out_.clear();
  if (absl::Status s = EncodeGet(key, bins, options_.timeout_ms, &out_); !s.ok()) return s;
  return RecordCommand();
}

absl::StatusOr<RecordReply> Client::Exists(const Key& key) {
  out_.clear();
  if (absl::Status s = EncodeExists(key, options_.timeout_ms, &out_); !s.ok()) return s;
  return RecordCommand();
}

absl::StatusOr<RecordReply> Client::Put(const Key& key, const std::vector<record::Bin>& bins,
                                        const WritePolicy& policy) {
  out_.clear();
  if (absl::Status s = EncodePut(key, bins, policy, options_.timeout_ms, &out_); !s.ok()) return s;
  return RecordCommand();
}

absl::StatusOr<RecordReply> Client::Delete(const Key& key, const WritePolicy& policy) {
  out_.clear();
  if (absl::Status s = EncodeDelete(key, policy, options_.timeout_ms, &out_); !s.ok()) return s;
  return RecordCommand();
}

absl::StatusOr<RecordReply> Client::Operate(const Key& key, const std::vector<Op>& ops,
                                            const WritePolicy& policy) {
  out_.clear();
  if (absl::Status s = EncodeOperate(key, ops, policy, options_.timeout_ms, &out_); !s.ok()) {
    return s;
  }
  return RecordCommand();
}

absl::StatusOr<BatchReply> Client::BatchGet(std::span<const Key> keys, BatchReadMode mode,
                                            std::span<const std::string> bins) {
  out_.clear();
  if (absl::Status s = EncodeBatchRead(keys, mode, bins, options_.timeout_ms, &out_); !s.ok()) {
    return s;
  }
  BatchDecoder decoder(keys.size());
  absl::Status s = Exchange(static_cast<uint8_t>(MessageType::kMessage),
                            [&](std::string_view body) -> absl::StatusOr<bool> {
                              if (absl::Status f = decoder.Feed(body); !f.ok()) return f;
                              return decoder.done();
                            });
  if (!s.ok()) return s;
  return std::move(decoder.reply());
}

}  // namespace tern::wire
