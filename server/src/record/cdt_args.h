// The arguments of one list or map operation, packed, read by position with the checks
// Aerospike applies: a missing, extra or mistyped argument is a parameter error (4).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tern::record {

class CdtArgs {
 public:
  explicit CdtArgs(std::vector<std::string_view> args) : args_(std::move(args)) {}

  size_t size() const { return args_.size(); }
  // Between `min` and `max` arguments.
  absl::Status Count(size_t min, size_t max) const;
  absl::StatusOr<int64_t> Int(size_t i) const;
  // An optional trailing integer (a count or flags); nullopt when absent.
  absl::StatusOr<std::optional<uint64_t>> OptionalUint(size_t i) const;
  // Any value, wildcard and infinity included (comparison arguments).
  std::string_view Value(size_t i) const { return args_[i]; }
  // A value to store in a collection.
  absl::StatusOr<std::string_view> Storable(size_t i) const;
  // The elements of a list argument (order metadata skipped).
  absl::StatusOr<std::vector<std::string_view>> List(size_t i) const;
  // The entries of a map argument (order metadata skipped), each storable.
  absl::StatusOr<std::vector<std::pair<std::string_view, std::string_view>>> Map(size_t i) const;

 private:
  std::vector<std::string_view> args_;
};

}  // namespace tern::record
