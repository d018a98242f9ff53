// tern::Status and tern::Result<T>: how every client call reports failure. The code is the
// Aerospike result code the server answered (2 = not found, 20 = unknown namespace, ...), or
// one of the negative client-side codes below when no server answer was received.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace tern {

namespace result {
inline constexpr int kOk = 0;
inline constexpr int kServerError = 1;
inline constexpr int kRecordNotFound = 2;
inline constexpr int kGenerationError = 3;
inline constexpr int kParameterError = 4;
inline constexpr int kRecordExists = 5;
inline constexpr int kClusterKeyMismatch = 7;
inline constexpr int kTimeout = 9;
inline constexpr int kPartitionUnavailable = 11;
inline constexpr int kKeyBusy = 14;
inline constexpr int kUnsupportedFeature = 16;
inline constexpr int kNamespaceNotFound = 20;
inline constexpr int kUdfError = 100;       // a UDF failed, or its module did not compile
inline constexpr int kIndexFound = 200;     // an index of that name exists (another definition)
inline constexpr int kIndexNotFound = 201;  // no such index (or no index a query can use)
// Client side (as the Aerospike clients number them).
inline constexpr int kClientError = -1;
inline constexpr int kInvalidArgument = -2;
inline constexpr int kNoNode = -8;  // no node known for the partition
inline constexpr int kConnectionError = -10;
}  // namespace result

class Status {
 public:
  Status() = default;
  Status(int code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == result::kOk; }
  int code() const { return code_; }
  const std::string& message() const { return message_; }
  // "message (result code N)".
  std::string ToString() const;

 private:
  int code_ = result::kOk;
  std::string message_;
};

// A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace tern
