// Connections to other nodes' fabric ports: one gRPC channel per address, made on first use
// and kept (gRPC reconnects by itself).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tern/fabric/v1/fabric.grpc.pb.h"

namespace tern::cluster {

// Keepalive ping interval (and timeout) of fabric connections; the server accepts pings
// this often.
inline constexpr int kFabricKeepaliveMs = 2000;

// A unary fabric call started on a completion queue, e.g. &Fabric::Stub::AsyncHeartbeat.
template <typename Req, typename Reply>
using AsyncUnary = std::unique_ptr<grpc::ClientAsyncResponseReader<Reply>> (
    fabric::v1::Fabric::Stub::*)(grpc::ClientContext*, const Req&, grpc::CompletionQueue*);

template <typename Reply>
struct Answer {
  grpc::Status status;
  Reply reply;
};

class FabricClient {
 public:
  std::shared_ptr<fabric::v1::Fabric::Stub> StubFor(const std::string& address);

  // Sends `req` to every address at once and waits for each answer or the timeout; answers
  // come back in the order of `addresses`. A completion queue of the caller's own, not gRPC's
  // callback threads: callers run on gRPC handler threads too, and waiting there for a
  // callback that needs one of them would deadlock.
  template <typename Req, typename Reply>
  std::vector<Answer<Reply>> CallAll(const std::vector<std::string>& addresses, const Req& req,
                                     AsyncUnary<Req, Reply> method,
                                     std::chrono::milliseconds timeout) {
    grpc::CompletionQueue cq;
    struct Call {
      grpc::ClientContext ctx;
      std::unique_ptr<grpc::ClientAsyncResponseReader<Reply>> reader;
    };
    std::vector<Call> calls(addresses.size());
    std::vector<Answer<Reply>> answers(addresses.size());
    const auto deadline = std::chrono::system_clock::now() + timeout;
    for (size_t i = 0; i < addresses.size(); ++i) {
      calls[i].ctx.set_deadline(deadline);
      calls[i].reader = ((*StubFor(addresses[i])).*method)(&calls[i].ctx, req, &cq);
      calls[i].reader->Finish(&answers[i].reply, &answers[i].status, reinterpret_cast<void*>(i));
    }
    for (size_t n = 0; n < addresses.size(); ++n) {
      void* tag = nullptr;
      bool ok = false;
      if (!cq.Next(&tag, &ok)) break;
    }
    cq.Shutdown();
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) {
    }
    return answers;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<fabric::v1::Fabric::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tern::cluster
