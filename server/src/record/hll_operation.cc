#include "record/hll_operation.h"

#include <bit>
#include <cmath>
#include <cstring>
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
  kInit = 0,
  kAdd = 1,
  kSetUnion = 2,
  kRefreshCount = 3,
  kFold = 4,
  kCount = 50,
  kGetUnion = 51,
  kUnionCount = 52,
  kIntersectCount = 53,
  kSimilarity = 54,
  kDescribe = 55,
};

// Policy write flags.
constexpr uint64_t kCreateOnly = 1, kUpdateOnly = 2, kNoFail = 4, kAllowFold = 8;

constexpr int kHllBits = 6;
constexpr int kMaxHllValue = 1 << kHllBits;  // histogram slots 0..64
constexpr size_t kHeaderSize = 11;           // flags, p, m, cached count
constexpr int kUnset = -1;                   // a bit count the client left to the server

absl::Status Bad(std::string_view what) {
  return MakeError(ResultCode::kParameterError, absl::StrCat("hll operation: ", base::Absl(what)));
}
absl::Status NotApplicable(std::string_view what) {
  return MakeError(ResultCode::kOpNotApplicable, absl::StrCat("hll operation: ", base::Absl(what)));
}

bool ValidIndexBits(int64_t p) { return p >= 4 && p <= 16; }
bool ValidMinhashBits(int64_t m) { return m == 0 || (m >= 4 && m <= 64 - kHllBits - 7); }
bool ValidBits(int64_t p, int64_t m) {
  return ValidIndexBits(p) && ValidMinhashBits(m) && p + m <= 64;
}
size_t RegistersSize(int p, int m) { return ((kHllBits + m) * (size_t{1} << p) + 7) / 8; }
size_t RequiredSize(int p, int m) { return kHeaderSize + RegistersSize(p, m); }

// A sketch with its registers unpacked, one (hll value << m | minhash bits) each.
struct Sketch {
  int p = 0;
  int m = 0;
  uint64_t cache = 0;
  std::vector<uint64_t> regs;

  uint32_t n() const { return uint32_t{1} << p; }
  uint64_t HllValue(uint32_t r) const { return regs[r] >> m; }
};

Sketch Empty(int p, int m) {
  Sketch s;
  s.p = p;
  s.m = m;
  s.regs.assign(size_t{1} << p, 0);
  return s;
}

std::optional<Sketch> Decode(std::string_view b) {
  if (b.size() < kHeaderSize || b[0] != 0) return std::nullopt;
  const int p = static_cast<uint8_t>(b[1]), m = static_cast<uint8_t>(b[2]);
  if (!ValidBits(p, m) || b.size() != RequiredSize(p, m)) return std::nullopt;
  Sketch s = Empty(p, m);
  std::memcpy(&s.cache, b.data() + 3, 8);
  const int width = kHllBits + m;
  const auto* regs = reinterpret_cast<const uint8_t*>(b.data() + kHeaderSize);
  uint64_t bit = 0;
  for (uint32_t r = 0; r < s.n(); ++r) {
    uint64_t v = 0;
    for (int i = 0; i < width; ++i, ++bit) v = v << 1 | ((regs[bit >> 3] >> (7 - (bit & 7))) & 1);
    s.regs[r] = v;
  }
  return s;
}

std::string Encode(const Sketch& s) {
  std::string out(RequiredSize(s.p, s.m), '\0');
  out[1] = static_cast<char>(s.p);
  out[2] = static_cast<char>(s.m);
  std::memcpy(out.data() + 3, &s.cache, 8);
  const int width = kHllBits + s.m;
  auto* regs = reinterpret_cast<uint8_t*>(out.data() + kHeaderSize);
  uint64_t bit = 0;
  for (uint32_t r = 0; r < s.n(); ++r) {
    for (int i = width - 1; i >= 0; --i, ++bit) {
      if ((s.regs[r] >> i) & 1) regs[bit >> 3] |= static_cast<uint8_t>(0x80 >> (bit & 7));
    }
  }
  return out;
}

// MurmurHash3 x64/128 with seed 0 (Austin Appleby's public-domain algorithm).
uint64_t Fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
void Murmur3(std::string_view data, uint64_t* out1, uint64_t* out2) {
  constexpr uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
  const auto* d = reinterpret_cast<const uint8_t*>(data.data());
  const size_t len = data.size(), blocks = len / 16;
  auto le64 = [](const uint8_t* q) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | q[i];
    return v;
  };
  uint64_t h1 = 0, h2 = 0;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k1 = le64(d + i * 16), k2 = le64(d + i * 16 + 8);
    k1 *= c1;
    k1 = std::rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = std::rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = std::rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = std::rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const uint8_t* tail = d + blocks * 16;
  const size_t rest = len & 15;
  uint64_t k1 = 0, k2 = 0;
  for (size_t i = rest; i > 8; --i) k2 = k2 << 8 | tail[i - 1];
  for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) k1 = k1 << 8 | tail[i - 1];
  if (rest > 8) {
    k2 *= c2;
    k2 = std::rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
  }
  if (rest > 0) {
    k1 *= c1;
    k1 = std::rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
  }
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  h2 += h1;
  *out1 = h1;
  *out2 = h2;
}

// Adds one element (its msgpack bytes); true when a register grew.
bool Add(Sketch* s, std::string_view element) {
  uint64_t h1, h2;
  Murmur3(element, &h1, &h2);
  const uint32_t r = static_cast<uint32_t>(h1 & (s->n() - 1));
  const uint64_t minhash = s->m == 0 ? 0 : (h1 >> s->p) & ((uint64_t{1} << s->m) - 1);
  // The register keeps 6 bits of the value; a 64-bit run of zeros (never seen) wraps as in
  // Aerospike.
  const uint64_t hll = static_cast<uint64_t>(std::countr_zero(h2) + 1) & (kMaxHllValue - 1);
  const uint64_t v = hll << s->m | minhash;
  if (s->regs[r] >= v) return false;
  s->regs[r] = v;
  s->cache = 0;
  return true;
}

// Ertl's tau and sigma (arXiv 1702.01284, algorithm 6).
double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0, z = 1.0 - x, prev;
  do {
    x = std::sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (prev != z);
  return z / 3;
}
double Sigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0, z = x, prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (prev != z);
  return z;
}
double Alpha(int p) {
  if (p == 4) return 0.673;
  if (p == 5) return 0.697;
  if (p == 6) return 0.709;
  return 0.7213 / (1.0 + 1.079 / static_cast<double>(1 << p));
}

// The estimated count; a cached count is trusted as is.
uint64_t Count(const Sketch& s) {
  if (s.cache != 0) return s.cache;
  const double n = s.n();
  uint32_t c[kMaxHllValue + 1] = {};
  for (uint32_t r = 0; r < s.n(); ++r) ++c[s.HllValue(r)];
  double z = n * Tau(c[kMaxHllValue] / n);
  for (int k = kMaxHllValue; k > 0; --k) z = 0.5 * (z + c[k]);
  z += n * Sigma(c[0] / n);
  return static_cast<uint64_t>(std::llround(Alpha(s.p) * n * n / z));
}

// The largest sketch shape every input can be folded into: the smallest p, and m only when
// all inputs share it.
std::pair<int, int> Template(const std::vector<const Sketch*>& in) {
  int p = in[0]->p, m = in[0]->m;
  for (const Sketch* s : in) {
    p = std::min(p, s->p);
    if (m != 0 && m != s->m) m = 0;
  }
  return {p, m};
}

// Merges `src` (p >= dst's) into `dst`: register r of src lands on r mod 2^p of dst.
void UnionInto(Sketch* dst, const Sketch& src) {
  const uint32_t mask = dst->n() - 1;
  for (uint32_t r = 0; r < src.n(); ++r) {
    uint64_t& to = dst->regs[r & mask];
    const uint64_t v = dst->m == 0 ? src.HllValue(r) : src.regs[r];
    if (to < v) to = v;
  }
  dst->cache = 0;
}

Sketch UnionOf(const std::vector<const Sketch*>& in) {
  auto [p, m] = Template(in);
  Sketch u = Empty(p, m);
  for (const Sketch* s : in) UnionInto(&u, *s);
  return u;
}

// Whether the first 2^p bytes of the registers hold any set bit: the emptiness test Aerospike
// applies before a minhash similarity (kept so answers agree).
bool HasData(const Sketch& s) {
  const std::string b = Encode(s);
  for (size_t i = kHeaderSize; i < kHeaderSize + s.n() && i < b.size(); ++i) {
    if (b[i] != 0) return true;
  }
  return false;
}

uint32_t UsedRegisters(const Sketch& s) {
  uint32_t used = 0;
  for (uint64_t v : s.regs) used += v != 0;
  return used;
}

// Expected register collisions of two independent sets of the given counts (HyperMinHash).
double ExpectedCollisions(int p, int m, uint64_t card0, uint64_t card1) {
  const double n = static_cast<double>(uint32_t{1} << p);
  double cp = 0.0;
  for (int i = 1; i <= kMaxHllValue; ++i) {
    double b1 = i == kMaxHllValue ? 0.0 : std::pow(2, -i);
    double b2 = std::pow(2, -i + 1);
    b1 /= n;
    b2 /= n;
    const double px =
        std::pow(1 - b1, static_cast<double>(card0)) - std::pow(1 - b2, static_cast<double>(card0));
    const double py =
        std::pow(1 - b1, static_cast<double>(card1)) - std::pow(1 - b2, static_cast<double>(card1));
    cp += px * py;
  }
  return cp * n / std::pow(2, m);
}

uint64_t IntersectCount(const std::vector<const Sketch*>& in);

double Similarity(const std::vector<const Sketch*>& in) {
  auto [p, m] = Template(in);
  if (m == 0) {
    // Inclusion-exclusion over plain HLL counts.
    return static_cast<double>(IntersectCount(in)) / static_cast<double>(Count(UnionOf(in)));
  }
  bool some_data = false, some_empty = false;
  for (const Sketch* s : in) (HasData(*s) ? some_data : some_empty) = true;
  if (some_empty) return some_data ? 0.0 : NAN;
  const uint32_t n_union = UsedRegisters(UnionOf(in));
  // Registers equal (hll value and minhash bits) in every sketch.
  Sketch agg = Empty(p, m);
  UnionInto(&agg, *in[0]);
  for (size_t i = 1; i < in.size(); ++i) {
    const uint32_t mask = agg.n() - 1;
    for (uint32_t r = 0; r < in[i]->n(); ++r) {
      uint64_t& v = agg.regs[r & mask];
      v = v == in[i]->regs[r] ? v : 0;
    }
  }
  const uint32_t n_intersect = UsedRegisters(agg);
  double collisions = 0.0;
  if (in.size() == 2) collisions = ExpectedCollisions(p, m, Count(*in[0]), Count(*in[1]));
  const double result = (n_intersect - collisions) / static_cast<double>(n_union);
  return result < 0.0 ? 0.0 : result;
}

uint64_t IntersectCount(const std::vector<const Sketch*>& in) {
  auto [p, m] = Template(in);
  const uint64_t cu = Count(UnionOf(in));
  if (m != 0) {
    const double j = Similarity(in);
    if (std::isnan(j)) return 0;
    return static_cast<uint64_t>(std::llround(static_cast<double>(cu) * j));
  }
  uint64_t sum = 0;
  for (const Sketch* s : in) {
    const uint64_t c = Count(*s);
    if (sum + c < sum) {
      sum = UINT64_MAX;
      break;
    }
    sum += c;
  }
  if (in.size() == 2) return sum > cu ? sum - cu : 0;
  // Three sketches (more need minhash bits; parsing refuses them).
  const uint64_t pairs = IntersectCount({in[0], in[1]}) + IntersectCount({in[1], in[2]}) +
                         IntersectCount({in[0], in[2]});
  const int64_t r =
      static_cast<int64_t>(cu) - (static_cast<int64_t>(sum) - static_cast<int64_t>(pairs));
  return r < 0 ? 0 : static_cast<uint64_t>(r);
}

// The op code and its arguments, parsed as each op defines them.
struct Call {
  int64_t code = -1;
  int64_t index_bits = kUnset;
  int64_t minhash_bits = kUnset;
  uint64_t flags = 0;
  std::vector<std::string_view> elements;  // add: the msgpack bytes of each element
  std::vector<Sketch> sketches;            // union, intersect, similarity: the HLL arguments
};

enum class Arg { kIndexBits, kMinhashBits, kFlags, kElements, kSketches };

struct OpDef {
  size_t min_args;
  size_t max_args;
  std::vector<Arg> args;
  uint64_t allowed_flags;
};

std::optional<OpDef> DefOf(int64_t code) {
  switch (code) {
    case kInit:
      return OpDef{0,
                   3,
                   {Arg::kIndexBits, Arg::kMinhashBits, Arg::kFlags},
                   kCreateOnly | kUpdateOnly | kNoFail};
    case kAdd:
      return OpDef{1,
                   4,
                   {Arg::kElements, Arg::kIndexBits, Arg::kMinhashBits, Arg::kFlags},
                   kCreateOnly | kNoFail};
    case kSetUnion:
      return OpDef{
          1, 2, {Arg::kSketches, Arg::kFlags}, kCreateOnly | kUpdateOnly | kAllowFold | kNoFail};
    case kRefreshCount:
    case kCount:
    case kDescribe:
      return OpDef{0, 0, {}, 0};
    case kFold:
      return OpDef{1, 1, {Arg::kIndexBits}, 0};
    case kGetUnion:
    case kUnionCount:
    case kIntersectCount:
    case kSimilarity:
      return OpDef{1, 1, {Arg::kSketches}, 0};
    default:
      return std::nullopt;
  }
}

absl::Status ParseArg(Arg a, std::string_view bytes, Call* c, uint64_t allowed_flags) {
  ElementReader r(bytes);
  switch (a) {
    case Arg::kIndexBits: {
      std::optional<int64_t> v = r.NextInt();
      if (!v || (*v != kUnset && !ValidIndexBits(*v))) return Bad("index bits must be 4 to 16");
      c->index_bits = *v;
      return absl::OkStatus();
    }
    case Arg::kMinhashBits: {
      std::optional<int64_t> v = r.NextInt();
      if (!v) return Bad("minhash bits must be an integer");
      if (*v == kUnset) return absl::OkStatus();
      if (!ValidMinhashBits(*v)) return Bad("minhash bits must be 0 or 4 to 51");
      if (c->index_bits != kUnset && c->index_bits + *v > 64) {
        return Bad("index bits plus minhash bits must be at most 64");
      }
      c->minhash_bits = *v;
      return absl::OkStatus();
    }
    case Arg::kFlags: {
      std::optional<int64_t> v = r.NextInt();
      if (!v) return Bad("flags must be an integer");
      c->flags = static_cast<uint64_t>(*v);
      if (c->flags & ~allowed_flags) return Bad("flags not allowed for this op");
      if ((c->flags & kCreateOnly) && (c->flags & kUpdateOnly)) {
        return Bad("create-only and update-only exclude each other");
      }
      return absl::OkStatus();
    }
    case Arg::kElements: {
      ElementHead h;
      if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count == 0) {
        return Bad("expected a non-empty list of elements");
      }
      for (uint32_t i = 0; i < h.count; ++i) {
        std::optional<std::string_view> e = r.Next();
        if (!e) return Bad("malformed element");
        const ElementType t = TypeOf(*e);
        if (t == ElementType::kList || t == ElementType::kMap) {
          return Bad("lists and maps cannot be added to an HLL");
        }
        c->elements.push_back(*e);
      }
      return absl::OkStatus();
    }
    case Arg::kSketches: {
      ElementHead h;
      if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count == 0) {
        return Bad("expected a non-empty list of HLLs");
      }
      for (uint32_t i = 0; i < h.count; ++i) {
        ElementHead e;
        // An HLL argument is packed as bytes behind a particle type byte.
        if (!r.ReadHead(&e) || e.type != ElementType::kBytes || e.payload.empty()) {
          return Bad("expected an HLL argument");
        }
        std::optional<Sketch> s = Decode(e.payload.substr(1));
        if (!s) return Bad("malformed HLL argument");
        c->sketches.push_back(*std::move(s));
      }
      return absl::OkStatus();
    }
  }
  return Bad("unknown argument");
}

absl::StatusOr<Call> Parse(std::string_view bytes, bool read) {
  ElementReader r(bytes);
  ElementHead h;
  if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count == 0) {
    return Bad("expected [op, args...]");
  }
  Call c;
  std::optional<int64_t> code = r.NextInt();
  if (!code) return Bad("op code must be an integer");
  c.code = *code;
  std::optional<OpDef> def = DefOf(c.code);
  if (!def || (c.code >= kCount) != read) {
    return Bad(absl::StrCat("unknown hll ", read ? "read" : "modify", " op ", c.code));
  }
  const size_t n_args = h.count - 1;
  if (n_args < def->min_args || n_args > def->max_args) return Bad("wrong number of arguments");
  for (size_t i = 0; i < n_args; ++i) {
    std::optional<std::string_view> arg = r.Next();
    if (!arg) return Bad("malformed argument");
    if (absl::Status s = ParseArg(def->args[i], *arg, &c, def->allowed_flags); !s.ok()) return s;
  }
  if (!r.at_end()) return Bad("trailing bytes");
  return c;
}

// The bin as a sketch; nullopt for a missing bin.
absl::StatusOr<std::optional<Sketch>> BinSketch(const Value& bin) {
  if (bin.is_null()) return std::optional<Sketch>();
  if (bin.type() != ParticleType::kHll) {
    return MakeError(ResultCode::kBinIncompatibleType, "hll operations need an HLL bin");
  }
  std::optional<Sketch> s = Decode(bin.bytes());
  if (!s) return MakeError(ResultCode::kServerError, "stored HLL is malformed");
  return s;
}

std::vector<const Sketch*> WithBin(const Call& c, const Sketch& bin) {
  std::vector<const Sketch*> all;
  for (const Sketch& s : c.sketches) all.push_back(&s);
  all.push_back(&bin);
  return all;
}

}  // namespace

bool IsValidHll(std::string_view bytes) { return Decode(bytes).has_value(); }

absl::StatusOr<Value> HllRead(std::string_view op, const Value& bin) {
  absl::StatusOr<Call> c = Parse(op, /*read=*/true);
  if (!c.ok()) return c.status();
  absl::StatusOr<std::optional<Sketch>> cur = BinSketch(bin);
  if (!cur.ok()) return cur.status();
  if (!cur->has_value()) return Value();
  const Sketch& s = **cur;
  if (c->code == kIntersectCount || c->code == kSimilarity) {
    // Beyond two sketches an intersection needs minhash bits, the same in all of them.
    if (c->sketches.size() > 2) {
      for (const Sketch& o : c->sketches) {
        if (o.m == 0 || o.m != c->sketches[0].m) {
          return Bad("intersecting more than 3 HLLs needs equal minhash bits");
        }
      }
      if (s.m == 0 || s.m != c->sketches[0].m) {
        return NotApplicable("intersecting more than 3 HLLs needs equal minhash bits");
      }
    }
  }
  switch (c->code) {
    case kCount:
      return Value::Integer(static_cast<int64_t>(Count(s)));
    case kDescribe: {
      std::string out;
      AppendArrayHeader(2, &out);
      out += PackInt(s.p);
      out += PackInt(s.m);
      return Value::List(std::move(out));
    }
    case kGetUnion:
      return Value::Hll(Encode(UnionOf(WithBin(*c, s))));
    case kUnionCount:
      return Value::Integer(static_cast<int64_t>(Count(UnionOf(WithBin(*c, s)))));
    case kIntersectCount:
      return Value::Integer(static_cast<int64_t>(IntersectCount(WithBin(*c, s))));
    default:  // kSimilarity
      return Value::Double(Similarity(WithBin(*c, s)));
  }
}

absl::StatusOr<Value> HllModify(std::string_view op, Value* bin) {
  absl::StatusOr<Call> c = Parse(op, /*read=*/false);
  if (!c.ok()) return c.status();
  absl::StatusOr<std::optional<Sketch>> cur = BinSketch(*bin);
  if (!cur.ok()) return cur.status();
  const Sketch* old = cur->has_value() ? &**cur : nullptr;
  if (old && (c->flags & kCreateOnly)) {
    if (c->flags & kNoFail) return Value();
    return MakeError(ResultCode::kBinExists, "hll bin exists");
  }
  if (!old && (c->flags & kUpdateOnly)) {
    if (c->flags & kNoFail) return Value();
    return MakeError(ResultCode::kBinNotFound, "hll bin not found");
  }
  if (!old && (c->code == kRefreshCount || c->code == kFold)) {
    return MakeError(ResultCode::kBinNotFound, "hll bin not found");
  }
  Value answer;
  Sketch next;
  switch (c->code) {
    case kInit:
    case kAdd: {
      int p = static_cast<int>(c->index_bits), m = static_cast<int>(c->minhash_bits);
      if (!old) {
        if (p == kUnset) return NotApplicable("creating an HLL needs index bits");
        if (m == kUnset) m = 0;
      } else if (c->code == kAdd) {
        p = old->p;
        m = old->m;
      } else {
        if (p == kUnset) p = old->p;
        if (m == kUnset) m = old->m;
        if (!ValidBits(p, m)) return NotApplicable("index bits plus minhash bits exceed 64");
      }
      next = c->code == kAdd && old ? *old : Empty(p, m);
      if (c->code == kAdd) {
        int64_t added = 0;
        for (std::string_view e : c->elements) added += Add(&next, e);
        answer = Value::Integer(added);
      }
      break;
    }
    case kSetUnion: {
      if (old && !(c->flags & kAllowFold)) {
        int min_p = 64, args_m = -1;
        for (const Sketch& s : c->sketches) {
          min_p = std::min(min_p, s.p);
          if (args_m == -1) {
            args_m = s.m;
          } else if (args_m != s.m) {
            args_m = 0;
          }
        }
        if (old->p > min_p) return NotApplicable("union would reduce the index bits");
        if (old->m != 0 && old->m != args_m) {
          return NotApplicable("union would drop the minhash bits");
        }
      }
      // Arguments first and the bin last, as the template's minhash rule depends on order.
      next = old ? UnionOf(WithBin(*c, *old)) : [&] {
        std::vector<const Sketch*> args;
        for (const Sketch& s : c->sketches) args.push_back(&s);
        return UnionOf(args);
      }();
      break;
    }
    case kRefreshCount:
      next = *old;
      next.cache = Count(next);
      answer = Value::Integer(static_cast<int64_t>(next.cache));
      break;
    default: {  // kFold
      if (old->m > 0) return NotApplicable("cannot fold an HLL with minhash bits");
      if (c->index_bits == kUnset || old->p < c->index_bits)
        return NotApplicable("cannot fold to more index bits");
      if (old->p == c->index_bits) {
        next = *old;
      } else {
        next = Empty(static_cast<int>(c->index_bits), 0);
        UnionInto(&next, *old);
      }
      break;
    }
  }
  *bin = Value::Hll(Encode(next));
  return answer;
}

}  // namespace tern::record
