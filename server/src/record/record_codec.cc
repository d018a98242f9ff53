#include "record/record_codec.h"

#include <cassert>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/result_code.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

template <typename T>
void PutLe(std::string* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Scalars are fixed-width, so only bytes types carry a length.
size_t ScalarWidth(ParticleType t) {
  switch (t) {
    case ParticleType::kNull:
      return 0;
    case ParticleType::kBool:
      return 1;
    default:
      return 8;  // integer, double
  }
}

void PutScalar(std::string* out, const Value& v) {
  switch (v.type()) {
    case ParticleType::kNull:
      break;
    case ParticleType::kBool:
      out->push_back(v.boolean() ? 1 : 0);
      break;
    case ParticleType::kFloat:
    case ParticleType::kInteger:
      // integer() holds a double's bit pattern for kFloat.
      PutLe(out, static_cast<uint64_t>(v.integer()));
      break;
    default:
      assert(false);
  }
}

void PutValue(std::string* out, const Value& v, bool length_always) {
  out->push_back(static_cast<char>(v.type()));
  if (IsBytesType(v.type())) {
    assert(v.bytes().size() <= std::numeric_limits<uint32_t>::max());
    PutLe(out, static_cast<uint32_t>(v.bytes().size()));
    out->append(v.bytes());
    return;
  }
  if (length_always) PutLe(out, static_cast<uint32_t>(ScalarWidth(v.type())));
  PutScalar(out, v);
}

absl::Status Malformed(absl::string_view what) {
  return MakeError(ResultCode::kParameterError, absl::StrCat("malformed stored record: ", what));
}

// Every read checks the remaining input first.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool at_end() const { return in_.empty(); }

  template <typename T>
  bool Le(T* v) {
    if (in_.size() < sizeof(T)) return false;
    T r = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      r |= static_cast<T>(static_cast<T>(static_cast<uint8_t>(in_[i])) << (8 * i));
    }
    in_.remove_prefix(sizeof(T));
    *v = r;
    return true;
  }
  bool Bytes(size_t n, std::string_view* v) {
    if (in_.size() < n) return false;
    *v = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view in_;
};

absl::StatusOr<Value> MakeScalar(ParticleType t, std::string_view b) {
  switch (t) {
    case ParticleType::kNull:
      return Value();
    case ParticleType::kBool:
      if (static_cast<uint8_t>(b[0]) > 1) return Malformed("bool value other than 0 or 1");
      return Value::Bool(b[0] == 1);
    default: {
      uint64_t raw = 0;
      Reader(b).Le(&raw);
      if (t == ParticleType::kInteger) return Value::Integer(static_cast<int64_t>(raw));
      double d;
      static_assert(sizeof d == sizeof raw);
      std::memcpy(&d, &raw, sizeof d);
      return Value::Double(d);
    }
  }
}

// A value written by PutValue; `length_always` as it was written.
absl::StatusOr<Value> ReadValue(Reader& r, bool length_always, absl::string_view what) {
  uint8_t code = 0;
  if (!r.Le(&code)) return Malformed(absl::StrCat("truncated ", what, " type"));
  if (!IsKnownParticleType(code)) {
    return Malformed(absl::StrCat(what, " has unknown particle type ", code));
  }
  auto type = static_cast<ParticleType>(code);
  uint32_t len = 0;
  if (IsBytesType(type) || length_always) {
    if (!r.Le(&len)) return Malformed(absl::StrCat("truncated ", what, " length"));
    if (!IsBytesType(type) && len != ScalarWidth(type)) {
      std::string_view name = ParticleTypeName(type);
      return Malformed(absl::StrCat(what, " of type ", absl::string_view(name.data(), name.size()),
                                    " has length ", len));
    }
  } else {
    len = static_cast<uint32_t>(ScalarWidth(type));
  }
  std::string_view bytes;
  if (!r.Bytes(len, &bytes)) return Malformed(absl::StrCat("truncated ", what, " value"));
  if (IsBytesType(type)) return Value::FromBytes(type, std::string(bytes));
  return MakeScalar(type, bytes);
}

}  // namespace

std::string EncodeRecord(const StoredMeta& meta, const Record& rec) {
  std::string out;
  out.reserve(1 + 14 + 1 + meta.set_name.size() + 1 + 2 + rec.DataSize() + 8 * rec.bins.size() +
              (rec.key ? 5 : 0));
  out.push_back(static_cast<char>(kRecordFormatVersion));
  PutLe(&out, meta.generation);
  PutLe(&out, meta.void_time);
  PutLe(&out, meta.last_update_ms);
  assert(meta.set_name.size() <= std::numeric_limits<uint8_t>::max());
  out.push_back(static_cast<char>(meta.set_name.size()));
  out.append(meta.set_name);
  out.push_back(rec.key ? 1 : 0);
  if (rec.key) PutValue(&out, *rec.key, /*length_always=*/true);
  assert(rec.bins.size() <= std::numeric_limits<uint16_t>::max());
  PutLe(&out, static_cast<uint16_t>(rec.bins.size()));
  for (const Bin& bin : rec.bins) {
    assert(bin.name.size() <= kMaxBinNameLength);
    out.push_back(static_cast<char>(bin.name.size()));
    out.append(bin.name);
    PutValue(&out, bin.value, /*length_always=*/false);
  }
  return out;
}

absl::Status DecodeRecord(std::string_view bytes, StoredMeta* meta, Record* rec) {
  Reader r(bytes);
  uint8_t version = 0;
  if (!r.Le(&version)) return Malformed("empty");
  if (version != kRecordFormatVersion) {
    return Malformed(absl::StrCat("unknown format version ", version));
  }
  StoredMeta m;
  uint8_t set_len = 0;
  std::string_view set_name;
  if (!r.Le(&m.generation) || !r.Le(&m.void_time) || !r.Le(&m.last_update_ms) || !r.Le(&set_len) ||
      !r.Bytes(set_len, &set_name)) {
    return Malformed("truncated metadata");
  }
  m.set_name = std::string(set_name);
  if (rec == nullptr) {
    *meta = std::move(m);
    return absl::OkStatus();
  }

  Record out;
  uint8_t has_key = 0;
  if (!r.Le(&has_key)) return Malformed("truncated key flag");
  if (has_key > 1) return Malformed("key flag other than 0 or 1");
  if (has_key == 1) {
    absl::StatusOr<Value> key = ReadValue(r, /*length_always=*/true, "key");
    if (!key.ok()) return key.status();
    out.key = *std::move(key);
  }
  uint16_t bin_count = 0;
  if (!r.Le(&bin_count)) return Malformed("truncated bin count");
  out.bins.reserve(bin_count);
  for (uint16_t i = 0; i < bin_count; ++i) {
    uint8_t name_len = 0;
    std::string_view name;
    if (!r.Le(&name_len) || !r.Bytes(name_len, &name)) {
      return Malformed(absl::StrCat("truncated name of bin ", i));
    }
    if (name_len > kMaxBinNameLength) {
      return Malformed(absl::StrCat("bin name of ", name_len, " bytes"));
    }
    absl::StatusOr<Value> value = ReadValue(r, /*length_always=*/false, "bin");
    if (!value.ok()) return value.status();
    out.bins.push_back(Bin{std::string(name), *std::move(value)});
  }
  if (!r.at_end()) return Malformed("trailing bytes");
  *meta = std::move(m);
  *rec = std::move(out);
  return absl::OkStatus();
}

}  // namespace tern::record
