// A shared, immutable record body. Copy-on-write: a writer builds a new body and swaps it into
// the index; readers that pinned the old one keep a valid view until they drop it. The count
// is intrusive so the index can hold a body as one 64-bit handle.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "record/record.h"

namespace tern::storage {

class RecordRef {
 public:
  RecordRef() = default;
  static RecordRef Make(record::Record rec) { return RecordRef(new Body{{1}, std::move(rec)}); }

  RecordRef(const RecordRef& o) : body_(o.body_) { Ref(body_); }
  RecordRef(RecordRef&& o) noexcept : body_(std::exchange(o.body_, nullptr)) {}
  RecordRef& operator=(RecordRef o) noexcept {
    std::swap(body_, o.body_);
    return *this;
  }
  ~RecordRef() { Unref(body_); }

  explicit operator bool() const { return body_ != nullptr; }
  const record::Record& operator*() const { return body_->rec; }
  const record::Record* operator->() const { return &body_->rec; }

  // Hands this reference over to an index entry as a handle (0 for an empty ref).
  uint64_t ReleaseToHandle() { return reinterpret_cast<uint64_t>(std::exchange(body_, nullptr)); }
  // A new reference to the body a handle holds (the handle keeps its own).
  static RecordRef FromHandle(uint64_t handle) {
    Body* b = reinterpret_cast<Body*>(handle);
    Ref(b);
    return RecordRef(b);
  }
  // Drops the reference a handle held.
  static void ReleaseHandle(uint64_t handle) { Unref(reinterpret_cast<Body*>(handle)); }

 private:
  struct Body {
    std::atomic<uint32_t> refs;
    record::Record rec;
  };
  explicit RecordRef(Body* b) : body_(b) {}
  static void Ref(Body* b) {
    if (b) b->refs.fetch_add(1, std::memory_order_relaxed);
  }
  static void Unref(Body* b) {
    if (b && b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete b;
  }

  Body* body_ = nullptr;
};

}  // namespace tern::storage
