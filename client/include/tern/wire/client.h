// tern::wire::Client: one blocking connection to one node that speaks the Aerospike wire
// protocol (ternd on port 3000, or Aerospike itself): info commands, get / exists / put /
// delete / operate and batch reads. Requests go out one at a time and each waits for its
// whole reply, as the official clients use a pooled socket. Not thread-safe: one Client per
// thread. It talks to one node; tern/wire/cluster_client.h routes each key to its master.
//
// Errors: an absl::Status for what kept a reply from arriving or being understood —
// kUnavailable (cannot connect, connection lost), kDeadlineExceeded (no reply within the
// timeout), kDataLoss (malformed reply), kInvalidArgument (the request cannot be encoded).
// After kUnavailable, kDeadlineExceeded or kDataLoss the connection is closed and the next
// call connects again. A server's result code (not found, generation mismatch, ...) is not an
// error here: it is RecordReply::result.
//
//   auto c = tern::wire::Client::Connect({.host = "127.0.0.1", .port = 3000});
//   auto key = tern::wire::Key::String("test", "demo", "k1");
//   (*c)->Put(key, {{"name", tern::record::Value::String("ada")}});
//   auto r = (*c)->Get(key);  // r->result == 0, r->Find("name")->bytes() == "ada"
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tern/wire/command.h"

namespace tern::wire {

struct ClientOptions {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 address, or a name to resolve
  uint16_t port = 3000;
  uint32_t connect_timeout_ms = 1000;
  // Per command: the whole exchange (send and the complete reply) must fit; also sent as the
  // server-side timeout.
  uint32_t timeout_ms = 1000;
};

class Client {
 public:
  // Connects now, so that a wrong address fails here with a clear message.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Info commands (type 1): one request, one (request line, value) pair per command.
  absl::StatusOr<InfoReply> Info(const std::vector<std::string>& commands);
  // One command's value, or the server's "ERROR:<code>:<message>" as a status carrying that
  // result code.
  absl::StatusOr<std::string> InfoValue(std::string_view command);

  // All bins, or the named bins.
  absl::StatusOr<RecordReply> Get(const Key& key, std::span<const std::string> bins = {});
  // Generation and void time only.
  absl::StatusOr<RecordReply> Exists(const Key& key);
  absl::StatusOr<RecordReply> Put(const Key& key, const std::vector<record::Bin>& bins,
                                  const WritePolicy& policy = {});
  absl::StatusOr<RecordReply> Delete(const Key& key, const WritePolicy& policy = {});
  absl::StatusOr<RecordReply> Operate(const Key& key, const std::vector<Op>& ops,
                                      const WritePolicy& policy = {});
  // One request for all `keys` (field 41); every key must be owned by this node.
  absl::StatusOr<BatchReply> BatchGet(std::span<const Key> keys,
                                      BatchReadMode mode = BatchReadMode::kAllBins,
                                      std::span<const std::string> bins = {});

  // "host:port" this client talks to.
  const std::string& address() const { return address_; }
  // From the next command on (the send side from the next connection on).
  void set_timeout_ms(uint32_t ms) { options_.timeout_ms = ms; }

 private:
  explicit Client(ClientOptions options);
  absl::Status Open();
  void Close();
  // Sends out_ and reads frames of `type` until `on_body` says the reply is complete.
  template <typename OnBody>
  absl::Status Exchange(uint8_t type, OnBody on_body);
  absl::StatusOr<RecordReply> RecordCommand();
  // Reads one frame; its body stays valid until the next ReadFrame.
  absl::Status ReadFrame(uint8_t type, int64_t deadline_ns, std::string_view* body);
  absl::Status Fill(size_t need, int64_t deadline_ns);
  absl::Status SetRecvTimeout(int64_t ns);
  absl::Status Fail(absl::Status s);

  ClientOptions options_;
  std::string address_;
  int fd_ = -1;
  int64_t recv_timeout_ns_ = -1;  // what SO_RCVTIMEO is set to
  std::string out_;               // the request being sent
  std::string in_;                // received bytes; [in_begin_, in_end_) not yet consumed
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
};

}  // namespace tern::wire
