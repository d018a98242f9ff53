// Request and response messages of a unary gRPC call on a protobuf arena whose first block is
// part of a pooled holder: parsing the request and building the response take no heap
// allocation for their messages and short strings (only strings longer than the inline
// std::string buffer still do). Without it every call allocated and freed a dozen small
// objects, about a tenth of a gRPC get's server CPU (docs/benchmarks.md).
#pragma once

#include <google/protobuf/arena.h>

#include <cstddef>
#include <mutex>
#include <vector>

#include "grpcpp/support/message_allocator.h"

namespace tern::api {

template <typename Request, typename Response>
class ArenaMessageAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  ArenaMessageAllocator() = default;
  ArenaMessageAllocator(const ArenaMessageAllocator&) = delete;
  ArenaMessageAllocator& operator=(const ArenaMessageAllocator&) = delete;
  // gRPC has released every holder by then (the server is shut down before the service).
  ~ArenaMessageAllocator() override {
    for (Holder* h : free_) delete h;
  }

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    Holder* h = nullptr;
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        h = free_.back();
        free_.pop_back();
      }
    }
    if (h == nullptr) h = new Holder(this);
    h->Create();
    return h;
  }

 private:
  static constexpr size_t kBlockSize = 4096;  // a record of a few small bins fits
  static constexpr size_t kMaxPooled = 1024;  // more than the calls ever in flight

  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    explicit Holder(ArenaMessageAllocator* owner) : owner_(owner), arena_(Options(block_)) {}
    void Create() {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    // The call is over: drop its messages (the inline block stays) and go back to the pool.
    void Release() override {
      arena_.Reset();
      owner_->Return(this);
    }

   private:
    static google::protobuf::ArenaOptions Options(char* block) {
      google::protobuf::ArenaOptions o;
      o.initial_block = block;
      o.initial_block_size = kBlockSize;
      return o;
    }

    ArenaMessageAllocator* owner_;
    alignas(std::max_align_t) char block_[kBlockSize];
    google::protobuf::Arena arena_;
  };

  void Return(Holder* h) {
    {
      std::lock_guard lock(mu_);
      if (free_.size() < kMaxPooled) {
        free_.push_back(h);
        return;
      }
    }
    delete h;
  }

  std::mutex mu_;
  std::vector<Holder*> free_;
};

}  // namespace tern::api
