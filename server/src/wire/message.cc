#include "wire/message.h"

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "wire/particle.h"

namespace tern::wire {

using base::MakeError;
using base::ResultCode;

bool Reader::U8(uint8_t* v) {
  if (remaining() < 1) return false;
  *v = static_cast<uint8_t>(data_[pos_++]);
  return true;
}

bool Reader::U16(uint16_t* v) {
  if (remaining() < 2) return false;
  *v = static_cast<uint16_t>(static_cast<uint8_t>(data_[pos_]) << 8 |
                             static_cast<uint8_t>(data_[pos_ + 1]));
  pos_ += 2;
  return true;
}

bool Reader::U32(uint32_t* v) {
  if (remaining() < 4) return false;
  uint32_t x = 0;
  for (int i = 0; i < 4; ++i) x = x << 8 | static_cast<uint8_t>(data_[pos_ + i]);
  pos_ += 4;
  *v = x;
  return true;
}

bool Reader::U64(uint64_t* v) {
  if (remaining() < 8) return false;
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x = x << 8 | static_cast<uint8_t>(data_[pos_ + i]);
  pos_ += 8;
  *v = x;
  return true;
}

bool Reader::Bytes(size_t n, std::string_view* v) {
  if (remaining() < n) return false;
  *v = data_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool ParseHeader(Reader& r, MsgHeader* h) {
  uint8_t header_size;
  if (!r.U8(&header_size) || header_size != kMsgHeaderSize) return false;
  return r.U8(&h->info1) && r.U8(&h->info2) && r.U8(&h->info3) && r.U8(&h->info4) &&
         r.U8(&h->result) && r.U32(&h->generation) && r.U32(&h->record_ttl) &&
         r.U32(&h->transaction_ttl) && r.U16(&h->n_fields) && r.U16(&h->n_ops);
}

absl::Status ParseFieldsAndOps(Reader& r, uint16_t n_fields, uint16_t n_ops, ParsedMsg* out) {
  for (uint16_t i = 0; i < n_fields; ++i) {
    uint32_t size;
    uint8_t type;
    std::string_view data;
    if (!r.U32(&size) || size < 1 || !r.U8(&type) || !r.Bytes(size - 1, &data)) {
      return MakeError(ResultCode::kParameterError, "truncated or malformed field");
    }
    if (type > kMaxFieldType) {
      return MakeError(ResultCode::kParameterError, absl::StrCat("unknown field type ", type));
    }
    out->fields[type] = data;
    out->present.set(type);
  }
  out->ops.reserve(n_ops);
  for (uint16_t i = 0; i < n_ops; ++i) {
    uint32_t size;
    WireOp op;
    uint8_t flags, name_len;
    if (!r.U32(&size) || size < 4 || !r.U8(&op.op) || !r.U8(&op.particle) || !r.U8(&flags) ||
        !r.U8(&name_len) || size < 4u + name_len || !r.Bytes(name_len, &op.name) ||
        !r.Bytes(size - 4 - name_len, &op.value)) {
      return MakeError(ResultCode::kParameterError, "truncated or malformed op");
    }
    out->ops.push_back(op);
  }
  return absl::OkStatus();
}

absl::Status ParseMsg(std::string_view body, ParsedMsg* out) {
  Reader r(body);
  if (!ParseHeader(r, &out->header)) {
    return MakeError(ResultCode::kParameterError, "malformed message header");
  }
  if (absl::Status s = ParseFieldsAndOps(r, out->header.n_fields, out->header.n_ops, out);
      !s.ok()) {
    return s;
  }
  if (r.remaining() != 0) {
    return MakeError(ResultCode::kParameterError, "trailing bytes after the last op");
  }
  return absl::OkStatus();
}

namespace {

void PutU16(uint16_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

void PutU32(uint32_t v, std::string* out) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}

}  // namespace

void AppendHeader(const MsgHeader& h, std::string* out) {
  out->push_back(static_cast<char>(kMsgHeaderSize));
  out->push_back(static_cast<char>(h.info1));
  out->push_back(static_cast<char>(h.info2));
  out->push_back(static_cast<char>(h.info3));
  out->push_back(static_cast<char>(h.info4));
  out->push_back(static_cast<char>(h.result));
  PutU32(h.generation, out);
  PutU32(h.record_ttl, out);
  PutU32(h.transaction_ttl, out);
  PutU16(h.n_fields, out);
  PutU16(h.n_ops, out);
}

void AppendField(uint8_t type, std::string_view data, std::string* out) {
  PutU32(static_cast<uint32_t>(data.size() + 1), out);
  out->push_back(static_cast<char>(type));
  out->append(data);
}

void AppendOp(uint8_t op, std::string_view name, const record::Value& value, std::string* out) {
  const size_t size_at = out->size();
  PutU32(0, out);
  out->push_back(static_cast<char>(op));
  out->push_back(static_cast<char>(value.type()));
  out->push_back(0);
  out->push_back(static_cast<char>(name.size()));
  out->append(name);
  AppendParticle(value, out);
  const uint32_t size = static_cast<uint32_t>(out->size() - size_at - 4);
  for (int i = 0; i < 4; ++i) (*out)[size_at + i] = static_cast<char>(size >> (24 - 8 * i));
}

}  // namespace tern::wire
