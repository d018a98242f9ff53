#include "wire/request_builder.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "record/collection.h"
#include "record/expression.h"
#include "wire/particle.h"

namespace tern::wire {

using base::MakeError;
using base::ResultCode;

namespace {

constexpr uint32_t kTtlNeverWire = 0xFFFFFFFF;
constexpr uint32_t kTtlKeepWire = 0xFFFFFFFE;

absl::StatusOr<txn::OpType> OpTypeOf(uint8_t code) {
  switch (code) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
      return static_cast<txn::OpType>(code);
    default:
      return MakeError(ResultCode::kParameterError, absl::StrCat("unknown op type ", code));
  }
}

}  // namespace

absl::Status BuildRecordRequest(const MsgHeader& h, const ParsedMsg& msg, txn::Request* req) {
  if (!msg.Has(kFieldNamespace) || msg.Field(kFieldNamespace).empty()) {
    return MakeError(ResultCode::kNamespaceNotFound, "no namespace");
  }
  req->ns = std::string(msg.Field(kFieldNamespace));
  req->set = std::string(msg.Field(kFieldSet));
  std::string_view digest = msg.Field(kFieldDigest);
  if (digest.size() != base::kDigestSize) {
    return MakeError(ResultCode::kParameterError, "digest field must be 20 bytes");
  }
  std::memcpy(req->digest.bytes.data(), digest.data(), base::kDigestSize);
  if (msg.Has(kFieldTxnId) || h.info4 != 0) {
    return MakeError(ResultCode::kEnterpriseOnly, "multi-record transactions are not supported");
  }
  if (msg.Has(kFieldFilter)) {
    auto filter = record::Expression::Decode(msg.Field(kFieldFilter));
    if (!filter.ok()) return filter.status();
    req->filter = *std::move(filter);
  }
  if (msg.Has(kFieldKey)) {
    auto key = DecodeKey(msg.Field(kFieldKey));
    if (!key.ok()) return key.status();
    req->key = std::move(*key);
    req->send_key = true;
  }

  if ((h.info2 & info2::kWrite) && msg.Has(kFieldUdfPackage)) {
    req->command = txn::Command::kUdf;
    req->udf_module = std::string(msg.Field(kFieldUdfPackage));
    req->udf_function = std::string(msg.Field(kFieldUdfFunction));
    // The arguments are a msgpack array (no arguments: an empty one, 0x90).
    auto args = record::DecodeList(msg.Has(kFieldUdfArgs) ? msg.Field(kFieldUdfArgs) : "\x90");
    if (!args.ok())
      return MakeError(ResultCode::kParameterError, "UDF arguments are not a msgpack list");
    req->udf_args = std::move(*args);
  } else if (h.info2 & info2::kWrite) {
    req->command = (h.info2 & info2::kDelete) ? txn::Command::kDelete : txn::Command::kWrite;
  } else if (h.info1 & info1::kRead) {
    req->command = txn::Command::kRead;
  } else {
    return MakeError(ResultCode::kParameterError, "neither read nor write");
  }

  if (h.info2 & info2::kGeneration) {
    req->generation_policy = txn::GenerationPolicy::kEqual;
  } else if (h.info2 & info2::kGenerationGt) {
    req->generation_policy = txn::GenerationPolicy::kGreater;
  }
  req->generation = static_cast<uint16_t>(h.generation);
  req->durable_delete = h.info2 & info2::kDurableDelete;
  req->respond_all_ops = h.info2 & info2::kRespondAllOps;

  if (req->command == txn::Command::kRead) {
    // With ops, GET_ALL marks the empty-name READ op, which reads every bin itself.
    req->read_all_bins = (h.info1 & info1::kGetAll) && msg.ops.empty();
    req->metadata_only = h.info1 & info1::kGetNoBinData;
    req->read_touch_ttl_pct = static_cast<int32_t>(h.record_ttl);  // reads carry it here
  } else {
    if (h.info2 & info2::kCreateOnly) {
      req->exists_action = txn::ExistsAction::kCreateOnly;
    } else if (h.info3 & info3::kUpdateOnly) {
      req->exists_action = txn::ExistsAction::kUpdateOnly;
    } else if (h.info3 & info3::kCreateOrReplace) {
      req->exists_action = txn::ExistsAction::kReplace;
    } else if (h.info3 & info3::kReplaceOnly) {
      req->exists_action = txn::ExistsAction::kReplaceOnly;
    }
    if (h.record_ttl == kTtlNeverWire) {
      req->ttl = txn::kTtlNever;
    } else if (h.record_ttl == kTtlKeepWire) {
      req->ttl = txn::kTtlKeep;
    } else if (h.record_ttl > txn::kMaxTtlSeconds) {
      return MakeError(ResultCode::kParameterError, absl::StrCat("invalid TTL ", h.record_ttl));
    } else {
      req->ttl = h.record_ttl;
    }
  }

  req->ops.reserve(msg.ops.size());
  for (const WireOp& w : msg.ops) {
    auto type = OpTypeOf(w.op);
    if (!type.ok()) return type.status();
    if (w.name.size() > record::kMaxBinNameLength) {
      return MakeError(ResultCode::kBinNameError, absl::StrCat("bin name longer than 15 bytes"));
    }
    txn::Op op;
    op.type = *type;
    op.bin = std::string(w.name);
    if (txn::IsReadOp(op.type)) {
      if (req->command == txn::Command::kWrite && !(h.info1 & info1::kRead)) {
        return MakeError(ResultCode::kParameterError, "read op in a command without READ");
      }
      if (op.type != txn::OpType::kRead) {
        op.value = record::Value::Blob(std::string(w.value));  // CDT/bit/HLL/expression payload
      }
    } else if (op.type == txn::OpType::kExpModify) {
      op.value = record::Value::Blob(std::string(w.value));  // [expression, flags]
    } else {
      auto value = DecodeParticle(w.particle, w.value);
      if (!value.ok()) return value.status();
      op.value = std::move(*value);
    }
    req->ops.push_back(std::move(op));
  }
  return absl::OkStatus();
}

}  // namespace tern::wire
