// Which partitions this node holds a complete copy of, per namespace. Heartbeats publish it;
// the principal chooses acting masters from everyone's; reads are served locally only from
// complete copies. Lock-free reads: the request path asks on every command.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/partition_table.h"

namespace tern::cluster {

class Holdings {
 public:
  explicit Holdings(std::vector<std::string> namespaces)
      : names_(std::move(namespaces)), bits_(names_.size()) {}

  const std::vector<std::string>& namespaces() const { return names_; }
  int IndexOf(std::string_view ns) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == ns) return static_cast<int>(i);
    }
    return -1;
  }
  bool Full(size_t ns, uint32_t p) const {
    return bits_[ns].bytes[p >> 3].load(std::memory_order_acquire) & (0x80 >> (p & 7));
  }
  void SetFull(size_t ns, uint32_t p, bool on) {
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (p & 7));
    if (on) {
      bits_[ns].bytes[p >> 3].fetch_or(mask);
    } else {
      bits_[ns].bytes[p >> 3].fetch_and(static_cast<uint8_t>(~mask));
    }
  }
  PartitionBits Snapshot(size_t ns) const {
    PartitionBits out;
    for (size_t i = 0; i < kBitmapBytes; ++i) out[i] = bits_[ns].bytes[i].load();
    return out;
  }

 private:
  struct Bits {
    std::array<std::atomic<uint8_t>, kBitmapBytes> bytes{};
  };
  std::vector<std::string> names_;
  std::vector<Bits> bits_;
};

}  // namespace tern::cluster
