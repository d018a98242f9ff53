// The Aerospike result code: the one error vocabulary every front door maps from
// (shared/protocol/aerospike-wire.md §3.9). Inside the server errors are absl::Status values
// that carry a ResultCode as a payload; MakeError / ResultCodeOf convert both ways.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace tern::base {

enum class ResultCode : uint8_t {
  kOk = 0,
  kServerError = 1,
  kRecordNotFound = 2,
  kGenerationError = 3,
  kParameterError = 4,
  kRecordExists = 5,
  kBinExists = 6,
  kClusterKeyMismatch = 7,
  kServerFull = 8,
  kTimeout = 9,
  kPartitionUnavailable = 11,
  kBinIncompatibleType = 12,
  kRecordTooBig = 13,
  kKeyBusy = 14,
  kScanAborted = 15,
  kUnsupportedFeature = 16,
  kBinNotFound = 17,
  kDeviceOverload = 18,
  kKeyMismatch = 19,
  kNamespaceNotFound = 20,
  kBinNameError = 21,
  kForbidden = 22,
  kElementNotFound = 23,
  kElementExists = 24,
  kEnterpriseOnly = 25,
  kOpNotApplicable = 26,
  kFilteredOut = 27,
  kSecurityNotEnabled = 52,
  kUdfError = 100,
  kBatchMaxRequests = 151,
  kGeoInvalidGeoJson = 160,
  kIndexFound = 200,
  kIndexNotFound = 201,
  kIndexGeneric = 204,
  kQueryAborted = 210,
  kQueryGeneric = 213,
};

// The C client's name for a code ("AEROSPIKE_ERR_RECORD_NOT_FOUND" style, without prefix).
std::string_view ResultCodeName(ResultCode code);

// The canonical status code for a result code: what absl::Status (and gRPC, which numbers its
// codes the same) carries. docs/grpc.md lists the mapping.
absl::StatusCode StatusCodeFor(ResultCode code);

// An error status carrying `code`; its absl code is chosen to read sensibly in logs.
absl::Status MakeError(ResultCode code, std::string_view message);

// kOk for an ok status; the carried code, or kServerError for a status made elsewhere.
ResultCode ResultCodeOf(const absl::Status& status);

}  // namespace tern::base
