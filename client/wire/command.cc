#include "tern/wire/command.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "wire/message.h"
#include "wire/particle.h"
#include "wire/proto.h"

namespace tern::wire {

namespace {

using record::Value;

// Limits the clients enforce before sending (§11.21).
constexpr size_t kMaxNamespaceLength = 31;
constexpr size_t kMaxSetLength = 63;
constexpr size_t kMaxOps = 0xFFFF;

std::string_view DigestBytes(const base::Digest& d) {
  return {reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size()};
}

absl::Status CheckKey(const Key& key) {
  if (key.ns.empty() || key.ns.size() > kMaxNamespaceLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace must be 1 to ", kMaxNamespaceLength, " bytes: '", key.ns, "'"));
  }
  if (key.set.size() > kMaxSetLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("set name longer than ", kMaxSetLength, " bytes: '", key.set, "'"));
  }
  return absl::OkStatus();
}

absl::Status CheckBinName(std::string_view name) {
  if (name.size() > record::kMaxBinNameLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bin name longer than ", record::kMaxBinNameLength, " bytes: '", base::Absl(name), "'"));
  }
  return absl::OkStatus();
}

// The bits of info2 / info3 a write policy sets, and the generation it sends.
void ApplyWritePolicy(const WritePolicy& p, MsgHeader* h) {
  switch (p.exists) {
    case RecordExists::kUpdate:
      break;
    case RecordExists::kUpdateOnly:
      h->info3 |= info3::kUpdateOnly;
      break;
    case RecordExists::kReplace:
      h->info3 |= info3::kCreateOrReplace;
      break;
    case RecordExists::kReplaceOnly:
      h->info3 |= info3::kReplaceOnly;
      break;
    case RecordExists::kCreateOnly:
      h->info2 |= info2::kCreateOnly;
      break;
  }
  switch (p.generation_policy) {
    case GenerationPolicy::kNone:
      break;
    case GenerationPolicy::kEqual:
      h->info2 |= info2::kGeneration;
      h->generation = p.generation;
      break;
    case GenerationPolicy::kGreater:
      h->info2 |= info2::kGenerationGt;
      h->generation = p.generation;
      break;
  }
  if (p.durable_delete) h->info2 |= info2::kDurableDelete;
}

// Header, fields (namespace, set, digest, and the key with send-key), then what `ops` appends.
template <typename AppendOps>
void AppendRecordFrame(MsgHeader h, const Key& key, bool send_key, uint16_t n_ops,
                       uint32_t timeout_ms, std::string* out, AppendOps append_ops) {
  const size_t frame_at = out->size();
  AppendProtoHeader(MessageType::kMessage, 0, out);
  const bool with_key = send_key && !key.user_key.is_null();
  h.transaction_ttl = timeout_ms;
  h.n_fields = with_key ? 4 : 3;
  h.n_ops = n_ops;
  AppendHeader(h, out);
  AppendField(kFieldNamespace, key.ns, out);
  AppendField(kFieldSet, key.set, out);
  AppendField(kFieldDigest, DigestBytes(key.digest), out);
  if (with_key) AppendField(kFieldKey, EncodeKey(key.user_key), out);
  append_ops(out);
  PatchProtoSize(out, frame_at, MessageType::kMessage);
}

absl::Status CheckBins(std::span<const std::string> bins) {
  if (bins.size() > kMaxOps) return absl::InvalidArgumentError("too many bins");
  for (const std::string& b : bins) {
    if (absl::Status s = CheckBinName(b); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> DecodeValue(const WireOp& op) {
  absl::StatusOr<Value> v = DecodeParticle(op.particle, op.value);
  if (!v.ok()) {
    return absl::DataLossError(
        absl::StrCat("bin '", base::Absl(op.name), "' in the reply: ", v.status().message()));
  }
  return v;
}

absl::StatusOr<RecordReply> ReplyFromMsg(const ParsedMsg& m) {
  RecordReply reply;
  reply.result = m.header.result;
  reply.generation = m.header.generation;
  reply.void_time = m.header.record_ttl;
  reply.bins.reserve(m.ops.size());
  for (const WireOp& op : m.ops) {
    absl::StatusOr<Value> v = DecodeValue(op);
    if (!v.ok()) return v.status();
    reply.bins.push_back({std::string(op.name), *std::move(v)});
  }
  return reply;
}

}  // namespace

Key Key::Int(std::string ns, std::string set, int64_t key) {
  Key k{std::move(ns), std::move(set), Value::Integer(key), {}};
  k.digest = base::ComputeDigest(k.set, key);
  return k;
}

Key Key::String(std::string ns, std::string set, std::string key) {
  Key k{std::move(ns), std::move(set), {}, {}};
  k.digest = base::ComputeStringKeyDigest(k.set, key);
  k.user_key = Value::String(std::move(key));
  return k;
}

Key Key::Blob(std::string ns, std::string set, std::string key) {
  Key k{std::move(ns), std::move(set), {}, {}};
  k.digest = base::ComputeDigest(k.set, base::KeyType::kBlob, key);
  k.user_key = Value::Blob(std::move(key));
  return k;
}

Key Key::FromDigest(std::string ns, std::string set, const base::Digest& digest) {
  return Key{std::move(ns), std::move(set), {}, digest};
}

const record::Value* RecordReply::Find(std::string_view bin) const {
  for (const record::Bin& b : bins) {
    if (b.name == bin) return &b.value;
  }
  return nullptr;
}

void EncodeInfo(std::span<const std::string> commands, std::string* out) {
  size_t size = 0;
  for (const std::string& c : commands) size += c.size() + 1;
  AppendProtoHeader(MessageType::kInfo, size, out);
  for (const std::string& c : commands) {
    out->append(c);
    out->push_back('\n');
  }
}

absl::Status EncodeGet(const Key& key, std::span<const std::string> bins, uint32_t timeout_ms,
                       std::string* out) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  if (absl::Status s = CheckBins(bins); !s.ok()) return s;
  MsgHeader h;
  h.info1 = bins.empty() ? info1::kRead | info1::kGetAll : info1::kRead;
  AppendRecordFrame(h, key, false, static_cast<uint16_t>(bins.size()), timeout_ms, out,
                    [&](std::string* o) {
                      for (const std::string& b : bins) AppendOp(1, b, Value(), o);
                    });
  return absl::OkStatus();
}

absl::Status EncodeExists(const Key& key, uint32_t timeout_ms, std::string* out) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  MsgHeader h;
  h.info1 = info1::kRead | info1::kGetNoBinData;
  AppendRecordFrame(h, key, false, 0, timeout_ms, out, [](std::string*) {});
  return absl::OkStatus();
}

absl::Status EncodePut(const Key& key, std::span<const record::Bin> bins, const WritePolicy& policy,
                       uint32_t timeout_ms, std::string* out) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  if (bins.empty()) return absl::InvalidArgumentError("put needs at least one bin");
  if (bins.size() > kMaxOps) return absl::InvalidArgumentError("too many bins");
  for (const record::Bin& b : bins) {
    if (absl::Status s = CheckBinName(b.name); !s.ok()) return s;
  }
  MsgHeader h;
  h.info2 = info2::kWrite;
  h.record_ttl = policy.ttl;
  ApplyWritePolicy(policy, &h);
  AppendRecordFrame(h, key, policy.send_key, static_cast<uint16_t>(bins.size()), timeout_ms, out,
                    [&](std::string* o) {
                      for (const record::Bin& b : bins) {
                        AppendOp(static_cast<uint8_t>(OpType::kWrite), b.name, b.value, o);
                      }
                    });
  return absl::OkStatus();
}

absl::Status EncodeDelete(const Key& key, const WritePolicy& policy, uint32_t timeout_ms,
                          std::string* out) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  MsgHeader h;
  h.info2 = info2::kWrite | info2::kDelete;
  WritePolicy p = policy;
  p.exists = RecordExists::kUpdate;  // exists bits mean nothing for a delete
  ApplyWritePolicy(p, &h);
  AppendRecordFrame(h, key, policy.send_key, 0, timeout_ms, out, [](std::string*) {});
  return absl::OkStatus();
}

absl::Status EncodeOperate(const Key& key, std::span<const Op> ops, const WritePolicy& policy,
                           uint32_t timeout_ms, std::string* out) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  if (ops.empty()) return absl::InvalidArgumentError("operate needs at least one op");
  if (ops.size() > kMaxOps) return absl::InvalidArgumentError("too many ops");
  bool reads = false, read_all = false, writes = false;
  for (const Op& op : ops) {
    if (absl::Status s = CheckBinName(op.bin); !s.ok()) return s;
    if (op.type == OpType::kRead || op.type == OpType::kCdtRead) {
      reads = true;
      if (op.type == OpType::kRead && op.bin.empty()) read_all = true;
    } else {
      writes = true;
    }
  }
  MsgHeader h;
  if (reads) h.info1 |= info1::kRead;
  if (read_all) h.info1 |= info1::kGetAll;
  if (writes) {
    h.info2 |= info2::kWrite;
    h.record_ttl = policy.ttl;
    ApplyWritePolicy(policy, &h);
  }
  // The server refuses RESPOND_ALL_OPS together with GET_ALL, as Aerospike does.
  if (policy.respond_all_ops && !read_all) h.info2 |= info2::kRespondAllOps;
  AppendRecordFrame(h, key, writes && policy.send_key, static_cast<uint16_t>(ops.size()),
                    timeout_ms, out, [&](std::string* o) {
                      for (const Op& op : ops) {
                        AppendOp(static_cast<uint8_t>(op.type), op.bin, op.value, o);
                      }
                    });
  return absl::OkStatus();
}

absl::Status EncodeBatchRead(std::span<const Key> keys, BatchReadMode mode,
                             std::span<const std::string> bins, uint32_t timeout_ms,
                             std::string* out) {
  if (keys.empty()) return absl::InvalidArgumentError("batch needs at least one key");
  if (keys.size() > 0xFFFFFFFFu) return absl::InvalidArgumentError("too many keys");
  if (mode == BatchReadMode::kNamedBins) {
    if (bins.empty()) return absl::InvalidArgumentError("batch read of named bins needs bins");
    if (absl::Status s = CheckBins(bins); !s.ok()) return s;
  } else {
    bins = {};
  }
  for (const Key& k : keys) {
    if (absl::Status s = CheckKey(k); !s.ok()) return s;
  }
  uint8_t row_info1 = info1::kRead;
  if (mode == BatchReadMode::kAllBins) row_info1 |= info1::kGetAll;
  if (mode == BatchReadMode::kHeaderOnly) row_info1 |= info1::kGetNoBinData;

  std::string field;
  const uint32_t n = static_cast<uint32_t>(keys.size());
  for (int s = 24; s >= 0; s -= 8) field.push_back(static_cast<char>(n >> s));
  // Parent flags as the C client sends them: inline, respond all keys, report the error row.
  field.push_back(0x0D);
  const Key* previous = nullptr;
  for (uint32_t i = 0; i < n; ++i) {
    const Key& k = keys[i];
    for (int s = 24; s >= 0; s -= 8) field.push_back(static_cast<char>(i >> s));
    field.append(DigestBytes(k.digest));
    if (previous && previous->ns == k.ns && previous->set == k.set) {
      field.push_back(0x01);  // REPEAT: same as the previous full row
      continue;
    }
    previous = &k;
    field.push_back(0x02);  // HAS_INFO: info2 and info3 follow info1
    field.push_back(static_cast<char>(row_info1));
    field.push_back(0);
    field.push_back(0);
    field.append({0, 2});  // n_fields: namespace, set
    field.push_back(static_cast<char>(bins.size() >> 8));
    field.push_back(static_cast<char>(bins.size()));
    AppendField(kFieldNamespace, k.ns, &field);
    AppendField(kFieldSet, k.set, &field);
    for (const std::string& b : bins)
      AppendOp(static_cast<uint8_t>(OpType::kRead), b, Value(), &field);
  }

  const size_t frame_at = out->size();
  AppendProtoHeader(MessageType::kMessage, 0, out);
  MsgHeader h;
  h.info1 = info1::kBatch;
  h.transaction_ttl = timeout_ms;
  h.n_fields = 1;
  AppendHeader(h, out);
  AppendField(kFieldBatchIndex, field, out);
  PatchProtoSize(out, frame_at, MessageType::kMessage);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> CheckProtoHeader(std::string_view header, uint8_t expected_type) {
  if (header.size() != kProtoHeaderSize) return absl::DataLossError("truncated proto header");
  const ProtoHeader h = ParseProtoHeader(reinterpret_cast<const uint8_t*>(header.data()));
  if (h.version != kProtoVersion) {
    return absl::DataLossError(absl::StrCat("reply has protocol version ", h.version, ", not 2"));
  }
  if (h.type != expected_type) {
    return absl::DataLossError(
        absl::StrCat("reply has message type ", h.type, ", expected ", expected_type));
  }
  if (h.size == 0) return absl::DataLossError("reply has an empty body");
  if (h.size > kMaxBodySize) {
    return absl::DataLossError(absl::StrCat("reply body of ", h.size, " bytes is over 128 MiB"));
  }
  return h.size;
}

absl::StatusOr<InfoReply> DecodeInfo(std::string_view body) {
  InfoReply reply;
  while (!body.empty()) {
    const size_t eol = body.find('\n');
    std::string_view line = body.substr(0, eol);
    body = eol == std::string_view::npos ? std::string_view() : body.substr(eol + 1);
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      reply.emplace_back(std::string(line), std::string());
    } else {
      reply.emplace_back(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
    }
  }
  return reply;
}

absl::StatusOr<RecordReply> DecodeRecordReply(std::string_view body) {
  ParsedMsg m;
  if (absl::Status s = ParseMsg(body, &m); !s.ok()) {
    return absl::DataLossError(absl::StrCat("malformed reply: ", s.message()));
  }
  return ReplyFromMsg(m);
}

absl::Status BatchDecoder::Feed(std::string_view body) {
  Reader r(body);
  while (r.remaining() > 0) {
    if (done_) return absl::DataLossError("bytes after the batch's LAST msg");
    ParsedMsg m;
    if (!ParseHeader(r, &m.header)) return absl::DataLossError("malformed batch msg header");
    if (absl::Status s = ParseFieldsAndOps(r, m.header.n_fields, m.header.n_ops, &m); !s.ok()) {
      return absl::DataLossError(absl::StrCat("malformed batch msg: ", s.message()));
    }
    if (m.header.info3 & info3::kLast) {
      done_ = true;
      reply_.result = m.header.result;
      continue;
    }
    const uint32_t index = m.header.transaction_ttl;
    if (index >= reply_.rows.size()) {
      return absl::DataLossError(
          absl::StrCat("batch row index ", index, " out of range (", reply_.rows.size(), " keys)"));
    }
    if (reply_.rows[index].has_value()) {
      return absl::DataLossError(absl::StrCat("batch row ", index, " answered twice"));
    }
    absl::StatusOr<RecordReply> row = ReplyFromMsg(m);
    if (!row.ok()) return row.status();
    reply_.rows[index] = *std::move(row);
  }
  return absl::OkStatus();
}

absl::Status InfoValueStatus(std::string_view value) {
  auto with_code = [](std::string_view rest) {
    // "<code>:<message>"; no or a bad code is a server error (1), as the C client reads it.
    int code = 0;
    const size_t colon = rest.find(':');
    if (colon != std::string_view::npos) {
      std::string_view num = rest.substr(0, colon);
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), code);
      if (ec == std::errc() && p == num.data() + num.size() && code > 0 && code < 256) {
        return base::MakeError(static_cast<base::ResultCode>(code), rest.substr(colon + 1));
      }
    }
    return base::MakeError(base::ResultCode::kServerError, rest);
  };
  if (value.starts_with("ERROR:")) return with_code(value.substr(6));
  if (value.starts_with("FAIL:")) return with_code(value.substr(5));
  if (value.starts_with("error=")) return base::MakeError(base::ResultCode::kUdfError, value);
  return absl::OkStatus();
}

}  // namespace tern::wire
