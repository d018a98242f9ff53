#include "base/result_code.h"

#include <string>

#include "absl/strings/cord.h"
#include "base/strings.h"

namespace tern::base {

namespace {

constexpr absl::string_view kPayloadUrl = "tern.dev/result_code";

}  // namespace

std::string_view ResultCodeName(ResultCode code) {
  switch (code) {
    case ResultCode::kOk:
      return "OK";
    case ResultCode::kServerError:
      return "ERR_SERVER";
    case ResultCode::kRecordNotFound:
      return "ERR_RECORD_NOT_FOUND";
    case ResultCode::kGenerationError:
      return "ERR_RECORD_GENERATION";
    case ResultCode::kParameterError:
      return "ERR_REQUEST_INVALID";
    case ResultCode::kRecordExists:
      return "ERR_RECORD_EXISTS";
    case ResultCode::kBinExists:
      return "ERR_BIN_EXISTS";
    case ResultCode::kClusterKeyMismatch:
      return "ERR_CLUSTER_CHANGE";
    case ResultCode::kServerFull:
      return "ERR_SERVER_FULL";
    case ResultCode::kTimeout:
      return "ERR_TIMEOUT";
    case ResultCode::kPartitionUnavailable:
      return "ERR_CLUSTER";
    case ResultCode::kBinIncompatibleType:
      return "ERR_BIN_INCOMPATIBLE_TYPE";
    case ResultCode::kRecordTooBig:
      return "ERR_RECORD_TOO_BIG";
    case ResultCode::kKeyBusy:
      return "ERR_RECORD_BUSY";
    case ResultCode::kScanAborted:
      return "ERR_SCAN_ABORTED";
    case ResultCode::kUnsupportedFeature:
      return "ERR_UNSUPPORTED_FEATURE";
    case ResultCode::kBinNotFound:
      return "ERR_BIN_NOT_FOUND";
    case ResultCode::kDeviceOverload:
      return "ERR_DEVICE_OVERLOAD";
    case ResultCode::kKeyMismatch:
      return "ERR_RECORD_KEY_MISMATCH";
    case ResultCode::kNamespaceNotFound:
      return "ERR_NAMESPACE_NOT_FOUND";
    case ResultCode::kBinNameError:
      return "ERR_BIN_NAME";
    case ResultCode::kForbidden:
      return "ERR_FAIL_FORBIDDEN";
    case ResultCode::kElementNotFound:
      return "ERR_FAIL_ELEMENT_NOT_FOUND";
    case ResultCode::kElementExists:
      return "ERR_FAIL_ELEMENT_EXISTS";
    case ResultCode::kEnterpriseOnly:
      return "ERR_ENTERPRISE_ONLY";
    case ResultCode::kOpNotApplicable:
      return "ERR_OP_NOT_APPLICABLE";
    case ResultCode::kFilteredOut:
      return "FILTERED_OUT";
    case ResultCode::kSecurityNotEnabled:
      return "SECURITY_NOT_ENABLED";
    case ResultCode::kUdfError:
      return "ERR_UDF";
    case ResultCode::kBatchMaxRequests:
      return "ERR_BATCH_MAX_REQUESTS_EXCEEDED";
    case ResultCode::kGeoInvalidGeoJson:
      return "ERR_GEO_INVALID_GEOJSON";
    case ResultCode::kIndexFound:
      return "ERR_INDEX_FOUND";
    case ResultCode::kIndexNotFound:
      return "ERR_INDEX_NOT_FOUND";
    case ResultCode::kIndexGeneric:
      return "ERR_INDEX";
    case ResultCode::kQueryAborted:
      return "ERR_QUERY_ABORTED";
    case ResultCode::kQueryGeneric:
      return "ERR_QUERY";
  }
  return "ERR_UNKNOWN";
}

absl::StatusCode StatusCodeFor(ResultCode code) {
  switch (code) {
    case ResultCode::kOk:
      return absl::StatusCode::kOk;
    case ResultCode::kRecordNotFound:
    case ResultCode::kNamespaceNotFound:
    case ResultCode::kBinNotFound:
    case ResultCode::kElementNotFound:
    case ResultCode::kIndexNotFound:
      return absl::StatusCode::kNotFound;
    case ResultCode::kRecordExists:
    case ResultCode::kBinExists:
    case ResultCode::kElementExists:
    case ResultCode::kIndexFound:
      return absl::StatusCode::kAlreadyExists;
    case ResultCode::kGenerationError:
    case ResultCode::kFilteredOut:
    case ResultCode::kForbidden:
      return absl::StatusCode::kFailedPrecondition;
    case ResultCode::kParameterError:
    case ResultCode::kBinNameError:
    case ResultCode::kBinIncompatibleType:
    case ResultCode::kKeyMismatch:
    case ResultCode::kGeoInvalidGeoJson:
    case ResultCode::kOpNotApplicable:
    case ResultCode::kRecordTooBig:
      return absl::StatusCode::kInvalidArgument;
    case ResultCode::kServerFull:
    case ResultCode::kDeviceOverload:
    case ResultCode::kBatchMaxRequests:
      return absl::StatusCode::kResourceExhausted;
    case ResultCode::kTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    // Retryable: a client refreshes its partition map (11, 7) or simply tries again (14).
    case ResultCode::kPartitionUnavailable:
    case ResultCode::kClusterKeyMismatch:
    case ResultCode::kKeyBusy:
      return absl::StatusCode::kUnavailable;
    case ResultCode::kUnsupportedFeature:
    case ResultCode::kEnterpriseOnly:
      return absl::StatusCode::kUnimplemented;
    case ResultCode::kScanAborted:
    case ResultCode::kQueryAborted:
      return absl::StatusCode::kAborted;
    case ResultCode::kSecurityNotEnabled:
      return absl::StatusCode::kPermissionDenied;
    // The UDF's own Lua failed (error(), a runtime error, a missing function): not the server.
    case ResultCode::kUdfError:
      return absl::StatusCode::kUnknown;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status MakeError(ResultCode code, std::string_view message) {
  if (code == ResultCode::kOk) return absl::OkStatus();
  absl::Status status(StatusCodeFor(code), Absl(message));
  status.SetPayload(kPayloadUrl, absl::Cord(std::string(1, static_cast<char>(code))));
  return status;
}

ResultCode ResultCodeOf(const absl::Status& status) {
  if (status.ok()) return ResultCode::kOk;
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload || payload->size() != 1) return ResultCode::kServerError;
  return static_cast<ResultCode>(static_cast<uint8_t>((*payload)[0]));
}

}  // namespace tern::base
