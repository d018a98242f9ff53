// A log-bucket latency histogram: 16 linear sub-buckets per power of two, so any recorded
// value is known within 1/16 (6%) and a histogram is a fixed 4 KiB array that merges by
// addition. Values are nanoseconds.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace tern::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 4;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  void Record(uint64_t v) {
    ++counts_[Index(v)];
    ++count_;
    max_ = std::max(max_, v);
  }
  void Merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
  }
  void Reset() { *this = Histogram(); }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The value at quantile q (0..1): the upper edge of the bucket holding it, capped at max.
  uint64_t Percentile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperEdge(i), max_);
    }
    return max_;
  }

  static int Index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    const int e = 63 - std::countl_zero(v);  // v in [2^e, 2^(e+1))
    const int sub = static_cast<int>((v >> (e - kSubBits)) & (kSub - 1));
    return (e - kSubBits + 1) * kSub + sub;
  }
  static uint64_t UpperEdge(int i) {
    if (i < kSub) return static_cast<uint64_t>(i);
    const int e = i / kSub + kSubBits - 1;
    const uint64_t sub = static_cast<uint64_t>(i % kSub);
    return ((kSub + sub + 1) << (e - kSubBits)) - 1;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

}  // namespace tern::bench
