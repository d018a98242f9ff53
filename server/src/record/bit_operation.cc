#include "record/bit_operation.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "record/packed_element.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

enum Code : int64_t {
  kResize = 0,
  kInsert = 1,
  kRemove = 2,
  kSet = 3,
  kOr = 4,
  kXor = 5,
  kAnd = 6,
  kNot = 7,
  kLshift = 8,
  kRshift = 9,
  kAdd = 10,
  kSubtract = 11,
  kSetInt = 12,
  kGet = 50,
  kCount = 51,
  kLscan = 52,
  kRscan = 53,
  kGetInt = 54,
};

// Policy write flags, resize flags, and the add/subtract flags.
constexpr uint64_t kCreateOnly = 1, kUpdateOnly = 2, kNoFail = 4, kPartial = 8;
constexpr uint64_t kFromFront = 1, kGrowOnly = 2, kShrinkOnly = 4;
constexpr uint64_t kSigned = 1, kSaturate = 2, kWrap = 4;
// A bin may not grow past this through bit operations (a record is far smaller anyway).
constexpr int64_t kMaxBlobBytes = 8 << 20;

absl::Status Bad(std::string_view what) {
  return MakeError(ResultCode::kParameterError, absl::StrCat("bit operation: ", base::Absl(what)));
}

// The op code and its packed arguments.
struct Call {
  int64_t code = -1;
  std::vector<std::string_view> args;

  absl::StatusOr<int64_t> Int(size_t i) const {
    if (i >= args.size()) return Bad("missing argument");
    ElementReader r(args[i]);
    std::optional<int64_t> v = r.NextInt();
    if (!v) return Bad("expected an integer argument");
    return *v;
  }
  absl::StatusOr<uint64_t> Flags(size_t i) const {  // optional, 0 when absent
    if (i >= args.size()) return 0;
    auto v = Int(i);
    if (!v.ok()) return v.status();
    return static_cast<uint64_t>(*v);
  }
  absl::StatusOr<std::string_view> Bytes(size_t i) const {
    if (i >= args.size()) return Bad("missing argument");
    ElementReader r(args[i]);
    ElementHead h;
    // Clients pack bytes as Aerospike does inside collections: a particle type byte first.
    if (!r.ReadHead(&h) || h.type != ElementType::kBytes || h.payload.empty()) {
      return Bad("expected a bytes argument");
    }
    return h.payload.substr(1);
  }
  absl::StatusOr<bool> Bool(size_t i) const {
    if (i >= args.size()) return Bad("missing argument");
    ElementType t = TypeOf(args[i]);
    if (t != ElementType::kTrue && t != ElementType::kFalse) return Bad("expected a boolean");
    return t == ElementType::kTrue;
  }
};

absl::StatusOr<Call> Parse(std::string_view bytes) {
  ElementReader r(bytes);
  ElementHead h;
  if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count == 0) {
    return Bad("expected [op, args...]");
  }
  Call c;
  std::optional<int64_t> code = r.NextInt();
  if (!code) return Bad("op code must be an integer");
  if (*code == 0xff) return Bad("bit operations inside lists and maps are not supported");
  c.code = *code;
  for (uint32_t i = 1; i < h.count; ++i) {
    std::optional<std::string_view> arg = r.Next();
    if (!arg) return Bad("malformed argument");
    c.args.push_back(*arg);
  }
  if (!r.at_end()) return Bad("trailing bytes");
  if (c.args.size() > 6) return Bad("too many arguments");
  return c;
}

bool GetBit(const std::string& b, int64_t i) { return (b[i >> 3] >> (7 - (i & 7))) & 1; }
void PutBit(std::string& b, int64_t i, bool v) {
  const char mask = static_cast<char>(0x80 >> (i & 7));
  b[i >> 3] = v ? (b[i >> 3] | mask) : (b[i >> 3] & ~mask);
}

uint64_t ReadBits(const std::string& b, int64_t off, int64_t n) {
  uint64_t v = 0;
  for (int64_t i = 0; i < n; ++i) v = (v << 1) | GetBit(b, off + i);
  return v;
}
void WriteBits(std::string& b, int64_t off, int64_t n, uint64_t v) {
  for (int64_t i = 0; i < n; ++i) PutBit(b, off + i, (v >> (n - 1 - i)) & 1);
}

// Resolves a (possibly negative) offset and a size against `limit` units. With `partial`, a
// range running past the end is cut at the end; otherwise it is an error.
absl::Status Range(int64_t limit, int64_t* off, int64_t* size, bool partial) {
  if (*off < 0) *off += limit;
  if (*off < 0 || *off > limit || *size < 0) return Bad("offset outside the blob");
  if (*off + *size > limit) {
    if (!partial) return Bad("range runs past the end of the blob");
    *size = limit - *off;
  }
  return absl::OkStatus();
}

// Whether a modify op may run on `bin` under the policy's create/update flags.
absl::Status CheckTarget(const Value& bin, uint64_t policy, bool may_create) {
  if (bin.is_null()) {
    if (policy & kUpdateOnly || !may_create) {
      return MakeError(ResultCode::kBinNotFound, "bin not found");
    }
  } else if (bin.type() != ParticleType::kBlob) {
    return MakeError(ResultCode::kBinIncompatibleType, "bit operations need a blob bin");
  } else if (policy & kCreateOnly) {
    return MakeError(ResultCode::kBinExists, "bin exists");
  }
  return absl::OkStatus();
}

absl::Status Apply(const Call& c, uint64_t policy, Value* bin);

absl::Status Modify(const Call& c, Value* bin) {
  // Where each op keeps its policy flags.
  size_t policy_at = 0;
  switch (c.code) {
    case kResize:
      policy_at = 1;
      break;
    case kInsert:
      policy_at = 2;
      break;
    case kRemove:
    case kNot:
      policy_at = 2;
      break;
    case kSet:
    case kOr:
    case kXor:
    case kAnd:
    case kLshift:
    case kRshift:
    case kAdd:
    case kSubtract:
    case kSetInt:
      policy_at = 3;
      break;
    default:
      return Bad(absl::StrCat("unknown bit modify op ", c.code));
  }
  auto policy = c.Flags(policy_at);
  if (!policy.ok()) return policy.status();
  absl::Status s = Apply(c, *policy, bin);
  // No-fail: an op that is denied or does not fit leaves the bin as it was, without an error.
  return s.ok() || (*policy & kNoFail) ? absl::OkStatus() : s;
}

absl::Status Apply(const Call& c, uint64_t policy, Value* bin) {
  const bool partial = policy & kPartial;
  if (absl::Status s = CheckTarget(*bin, policy, c.code == kResize || c.code == kInsert); !s.ok()) {
    return s;
  }
  std::string b = bin->is_null() ? std::string() : bin->bytes();
  const int64_t bits = static_cast<int64_t>(b.size()) * 8;

  switch (c.code) {
    case kResize: {
      auto size = c.Int(0);
      auto flags = c.Flags(2);
      if (!size.ok()) return size.status();
      if (!flags.ok()) return flags.status();
      if (*size < 0 || *size > kMaxBlobBytes) return Bad("resize: size out of range");
      const int64_t have = static_cast<int64_t>(b.size());
      if ((*flags & kGrowOnly && *size < have) || (*flags & kShrinkOnly && *size > have)) {
        return Bad("resize: not allowed by the grow-only / shrink-only flag");
      }
      if (*flags & kFromFront) {
        b = *size >= have ? std::string(*size - have, '\0') + b : b.substr(have - *size);
      } else {
        b.resize(*size, '\0');
      }
      break;
    }
    case kInsert: {
      auto off = c.Int(0);
      auto value = c.Bytes(1);
      if (!off.ok()) return off.status();
      if (!value.ok()) return value.status();
      int64_t at = *off < 0 ? *off + static_cast<int64_t>(b.size()) : *off;
      if (at < 0 || at + static_cast<int64_t>(value->size()) > kMaxBlobBytes) {
        return Bad("insert: offset out of range");
      }
      if (at > static_cast<int64_t>(b.size())) b.resize(at, '\0');  // pads with zeros
      b.insert(at, value->data(), value->size());
      break;
    }
    case kRemove: {
      auto off = c.Int(0);
      auto size = c.Int(1);
      if (!off.ok()) return off.status();
      if (!size.ok()) return size.status();
      int64_t o = *off, n = *size;
      if (absl::Status s = Range(static_cast<int64_t>(b.size()), &o, &n, partial); !s.ok())
        return s;
      b.erase(o, n);
      break;
    }
    case kSet:
    case kOr:
    case kXor:
    case kAnd: {
      auto off = c.Int(0);
      auto size = c.Int(1);
      auto value = c.Bytes(2);
      if (!off.ok()) return off.status();
      if (!size.ok()) return size.status();
      if (!value.ok()) return value.status();
      if (*size <= 0 || *size > static_cast<int64_t>(value->size()) * 8) {
        return Bad("bit size must be positive and within the value");
      }
      int64_t o = *off, n = *size;
      if (absl::Status s = Range(bits, &o, &n, partial); !s.ok()) return s;
      const std::string v(*value);
      for (int64_t i = 0; i < n; ++i) {
        const bool x = GetBit(v, i), cur = GetBit(b, o + i);
        PutBit(b, o + i,
               c.code == kSet   ? x
               : c.code == kOr  ? cur | x
               : c.code == kXor ? cur ^ x
                                : cur & x);
      }
      break;
    }
    case kNot: {
      auto off = c.Int(0);
      auto size = c.Int(1);
      if (!off.ok()) return off.status();
      if (!size.ok()) return size.status();
      int64_t o = *off, n = *size;
      if (n <= 0) return Bad("bit size must be positive");
      if (absl::Status s = Range(bits, &o, &n, partial); !s.ok()) return s;
      for (int64_t i = 0; i < n; ++i) PutBit(b, o + i, !GetBit(b, o + i));
      break;
    }
    case kLshift:
    case kRshift: {
      auto off = c.Int(0);
      auto size = c.Int(1);
      auto shift = c.Int(2);
      if (!off.ok()) return off.status();
      if (!size.ok()) return size.status();
      if (!shift.ok()) return shift.status();
      int64_t o = *off, n = *size;
      if (n <= 0 || *shift < 0) return Bad("bit size must be positive, shift not negative");
      if (absl::Status s = Range(bits, &o, &n, partial); !s.ok()) return s;
      std::vector<bool> range(n);
      for (int64_t i = 0; i < n; ++i) range[i] = GetBit(b, o + i);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t from = c.code == kLshift ? i + *shift : i - *shift;
        PutBit(b, o + i, from >= 0 && from < n && range[from]);
      }
      break;
    }
    case kAdd:
    case kSubtract:
    case kSetInt: {
      auto off = c.Int(0);
      auto size = c.Int(1);
      auto value = c.Int(2);
      auto flags = c.Flags(4);
      if (!off.ok()) return off.status();
      if (!size.ok()) return size.status();
      if (!value.ok()) return value.status();
      if (!flags.ok()) return flags.status();
      int64_t o = *off, n = *size;
      if (n <= 0 || n > 64) return Bad("bit size must be 1 to 64");
      if (absl::Status s = Range(bits, &o, &n, false); !s.ok()) return s;
      const uint64_t mask = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
      if (c.code == kSetInt) {
        WriteBits(b, o, n, static_cast<uint64_t>(*value) & mask);
        break;
      }
      const bool sign = *flags & kSigned;
      // In 128 bits no sum of two 64-bit numbers overflows: compare with the range directly.
      const __int128 lo = sign ? -(static_cast<__int128>(1) << (n - 1)) : 0;
      const __int128 hi =
          sign ? (static_cast<__int128>(1) << (n - 1)) - 1 : static_cast<__int128>(mask);
      const uint64_t raw = ReadBits(b, o, n);
      __int128 cur = raw;
      if (sign && n < 64 && (raw >> (n - 1)) & 1) cur -= static_cast<__int128>(1) << n;
      if (sign && n == 64) cur = static_cast<int64_t>(raw);
      // The operand is an unsigned 64-bit number on the wire.
      const __int128 operand = static_cast<uint64_t>(*value);
      __int128 result = c.code == kAdd ? cur + operand : cur - operand;
      if (result < lo || result > hi) {
        if (*flags & kSaturate) {
          result = result < lo ? lo : hi;
        } else if (!(*flags & kWrap)) {
          return MakeError(ResultCode::kOpNotApplicable, "bit add/subtract overflows");
        }
      }
      WriteBits(b, o, n, static_cast<uint64_t>(result) & mask);
      break;
    }
  }
  *bin = Value::Blob(std::move(b));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Value> BitRead(std::string_view op, const Value& bin) {
  absl::StatusOr<Call> c = Parse(op);
  if (!c.ok()) return c.status();
  if (c->code < kGet || c->code > kGetInt)
    return Bad(absl::StrCat("unknown bit read op ", c->code));
  if (bin.is_null()) return Value();
  if (bin.type() != ParticleType::kBlob) {
    return MakeError(ResultCode::kBinIncompatibleType, "bit operations need a blob bin");
  }
  const std::string& b = bin.bytes();
  auto off = c->Int(0);
  auto size = c->Int(1);
  if (!off.ok()) return off.status();
  if (!size.ok()) return size.status();
  int64_t o = *off, n = *size;
  if (n <= 0) return Bad("bit size must be positive");
  if (absl::Status s = Range(static_cast<int64_t>(b.size()) * 8, &o, &n, false); !s.ok()) return s;
  switch (c->code) {
    case kGet: {
      std::string out((n + 7) / 8, '\0');
      for (int64_t i = 0; i < n; ++i) PutBit(out, i, GetBit(b, o + i));
      return Value::Blob(std::move(out));
    }
    case kCount: {
      int64_t count = 0;
      for (int64_t i = 0; i < n; ++i) count += GetBit(b, o + i);
      return Value::Integer(count);
    }
    case kLscan:
    case kRscan: {
      auto want = c->Bool(2);
      if (!want.ok()) return want.status();
      for (int64_t k = 0; k < n; ++k) {
        const int64_t i = c->code == kLscan ? k : n - 1 - k;
        if (GetBit(b, o + i) == *want) return Value::Integer(i);
      }
      return Value::Integer(-1);
    }
    default: {  // kGetInt
      auto flags = c->Flags(2);
      if (!flags.ok()) return flags.status();
      if (n > 64) return Bad("bit size must be 1 to 64");
      uint64_t v = ReadBits(b, o, n);
      if (*flags & kSigned && n < 64 && (v >> (n - 1)) & 1) v |= ~uint64_t{0} << n;
      return Value::Integer(static_cast<int64_t>(v));
    }
  }
}

absl::Status BitModify(std::string_view op, Value* bin) {
  absl::StatusOr<Call> c = Parse(op);
  if (!c.ok()) return c.status();
  return Modify(*c, bin);
}

}  // namespace tern::record
