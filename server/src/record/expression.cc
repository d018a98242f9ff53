#include "record/expression.h"

#include <regex.h>

#include <bit>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "record/bit_operation.h"
#include "record/cdt_operation.h"
#include "record/cdt_path.h"
#include "record/collection.h"
#include "record/geojson.h"
#include "record/hll_operation.h"
#include "record/packed_element.h"
#include "record/value_order.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

// Operation codes on the wire (the clients' as_exp_ops / Exp.java).
enum Op : uint8_t {
  kUnknown = 0,
  kEq = 1,
  kNe = 2,
  kGt = 3,
  kGe = 4,
  kLt = 5,
  kLe = 6,
  kRegex = 7,
  kGeo = 8,
  kInList = 9,
  kAnd = 16,
  kOr = 17,
  kNot = 18,
  kExclusive = 19,
  kAdd = 20,
  kSub = 21,
  kMul = 22,
  kDiv = 23,
  kPow = 24,
  kLog = 25,
  kMod = 26,
  kAbs = 27,
  kFloor = 28,
  kCeil = 29,
  kToInt = 30,
  kToFloat = 31,
  kIntAnd = 32,
  kIntOr = 33,
  kIntXor = 34,
  kIntNot = 35,
  kIntLshift = 36,
  kIntRshift = 37,
  kIntArshift = 38,
  kIntCount = 39,
  kIntLscan = 40,
  kIntRscan = 41,
  kMin = 50,
  kMax = 51,
  kDigestModulo = 64,
  kDeviceSize = 65,
  kLastUpdate = 66,
  kSinceUpdate = 67,
  kVoidTime = 68,
  kTtl = 69,
  kSetName = 70,
  kKeyExists = 71,
  kIsTombstone = 72,
  kMemorySize = 73,
  kRecordSize = 74,
  kKey = 80,
  kBin = 81,
  kBinType = 82,
  kRemoveResult = 100,
  kMapKeys = 101,
  kMapValues = 102,
  kLoopVar = 122,
  kCond = 123,
  kVar = 124,
  kLet = 125,
  kQuote = 126,
  kCall = 127,
  // Node kinds that are not wire ops.
  kLiteral = 200,
  kRawLiteral = 201,  // wildcard / infinity: only meaningful as a collection-call argument
  kPathCall = 202,    // a call whose operation is a path select / apply (record/cdt_path.h)
};

constexpr uint64_t kCallCdt = 0;
constexpr uint64_t kCallBits = 1;
constexpr uint64_t kCallHll = 2;
constexpr uint64_t kCallModifyLocal = 0x40;
constexpr uint64_t kContextEval = 0xff;
// Loop variable parts: what of the visited element a loop variable names.
constexpr int64_t kLoopKey = 0;
constexpr int64_t kLoopValue = 1;
constexpr int64_t kLoopIndex = 2;
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 1 << 16;

absl::Status Bad(std::string_view why) {
  return MakeError(ResultCode::kParameterError, absl::StrCat("expression: ", base::Absl(why)));
}

ExpType TypeOfValue(const Value& v) {
  switch (v.type()) {
    case ParticleType::kNull:
      return ExpType::kNil;
    case ParticleType::kBool:
      return ExpType::kBool;
    case ParticleType::kInteger:
      return ExpType::kInt;
    case ParticleType::kFloat:
      return ExpType::kFloat;
    case ParticleType::kString:
      return ExpType::kStr;
    case ParticleType::kList:
      return ExpType::kList;
    case ParticleType::kMap:
      return ExpType::kMap;
    case ParticleType::kGeoJson:
      return ExpType::kGeo;
    case ParticleType::kHll:
      return ExpType::kHll;
    default:
      return ExpType::kBlob;
  }
}

bool Known(ExpType t) { return t != ExpType::kAuto; }

}  // namespace

struct Expression::Node {
  uint8_t op = kUnknown;
  ExpType type = ExpType::kAuto;  // inferred result type
  int64_t arg = 0;                // bin/key type, regex index, let slot, call system, collection op
  uint32_t first = 0;             // children: kids_[first, first + count)
  uint32_t count = 0;
  std::string text;  // bin name, or a collection call's packed context
  Value literal;     // kLiteral; kRawLiteral keeps its element in `text`
};

// --- decoding ---------------------------------------------------------------------------------

class ExpDecoder {
 public:
  explicit ExpDecoder(Expression* e) : e_(e) {}

  absl::StatusOr<uint32_t> Decode(ElementReader& r, int depth) {
    if (depth > kMaxDepth) return Bad("nested too deeply");
    if (e_->nodes_.size() >= kMaxNodes) return Bad("too many nodes");
    ElementReader peek = r;
    ElementHead h;
    if (!peek.ReadHead(&h)) return Bad("malformed msgpack");
    if (h.type != ElementType::kList) return Literal(r);
    if (h.count == 0) return Bad("empty operation array");
    (void)r.ReadHead(&h);
    std::optional<int64_t> code = r.NextInt();
    if (!code || *code < 0 || *code > 255) return Bad("operation code must be a small integer");
    const uint32_t nargs = h.count - 1;
    Expression::Node n;
    n.op = static_cast<uint8_t>(*code);
    std::vector<uint32_t> kids;
    auto args = [&](uint32_t count) -> absl::Status {
      for (uint32_t i = 0; i < count; ++i) {
        absl::StatusOr<uint32_t> k = Decode(r, depth + 1);
        if (!k.ok()) return k.status();
        kids.push_back(*k);
      }
      return absl::OkStatus();
    };
    auto arity = [&](uint32_t lo, uint32_t hi) -> absl::Status {
      if (nargs < lo || nargs > hi) {
        return Bad(
            absl::StrCat("operation ", *code, " takes ", lo, "..", hi, " arguments, not ", nargs));
      }
      return absl::OkStatus();
    };
    auto kid_type = [&](size_t i) { return e_->nodes_[kids[i]].type; };
    absl::Status s;
    switch (n.op) {
      case kUnknown:
        if (s = arity(0, 0); !s.ok()) return s;
        break;
      case kEq:
      case kNe:
      case kGt:
      case kGe:
      case kLt:
      case kLe: {
        if (s = arity(2, 2); !s.ok()) return s;
        if (s = args(2); !s.ok()) return s;
        const ExpType a = kid_type(0), b = kid_type(1);
        if (Known(a) && Known(b) && a != b && a != ExpType::kNil && b != ExpType::kNil) {
          return Bad("comparison between different types");
        }
        n.type = ExpType::kBool;
        break;
      }
      case kRegex: {
        if (s = arity(3, 3); !s.ok()) return s;
        std::optional<int64_t> flags = r.NextInt();
        ElementHead str;
        if (!flags || !r.ReadHead(&str) ||
            (str.type != ElementType::kString && str.type != ElementType::kBytes &&
             str.type != ElementType::kGeoJson)) {
          return Bad("regex takes flags and a pattern string");
        }
        int cflags = REG_NOSUB;
        if (*flags & 1) cflags |= REG_EXTENDED;
        if (*flags & 2) cflags |= REG_ICASE;
        if (*flags & 8) cflags |= REG_NEWLINE;
        auto* re = new regex_t;
        if (regcomp(re, std::string(str.payload).c_str(), cflags) != 0) {
          delete re;
          return Bad("invalid regular expression");
        }
        e_->regexes_.emplace_back(re, [](void* p) {
          regfree(static_cast<regex_t*>(p));
          delete static_cast<regex_t*>(p);
        });
        n.arg = static_cast<int64_t>(e_->regexes_.size() - 1);
        if (s = args(1); !s.ok()) return s;
        if (Known(kid_type(0)) && kid_type(0) != ExpType::kStr) {
          return Bad("regex compares a string");
        }
        n.type = ExpType::kBool;
        break;
      }
      case kGeo:
        if (s = arity(2, 2); !s.ok()) return s;
        if (s = args(2); !s.ok()) return s;
        for (size_t i = 0; i < 2; ++i) {
          if (Known(kid_type(i)) && kid_type(i) != ExpType::kGeo) {
            return Bad("geo comparison takes GeoJSON");
          }
        }
        n.type = ExpType::kBool;
        break;
      case kInList:
        if (s = arity(2, 2); !s.ok()) return s;
        if (s = args(2); !s.ok()) return s;
        if (Known(kid_type(1)) && kid_type(1) != ExpType::kList) {
          return Bad("in_list searches a list");
        }
        n.type = ExpType::kBool;
        break;
      case kAnd:
      case kOr:
      case kExclusive:
      case kNot:
        if (s = n.op == kNot ? arity(1, 1) : arity(n.op == kExclusive ? 2 : 1, 4096); !s.ok())
          return s;
        if (s = args(nargs); !s.ok()) return s;
        for (size_t i = 0; i < kids.size(); ++i) {
          if (Known(kid_type(i)) && kid_type(i) != ExpType::kBool) {
            return Bad("boolean operation on a non-boolean");
          }
        }
        n.type = ExpType::kBool;
        break;
      case kAdd:
      case kSub:
      case kMul:
      case kDiv:
      case kMin:
      case kMax:
      case kPow:
      case kLog:
      case kMod:
      case kAbs:
      case kFloor:
      case kCeil:
      case kIntAnd:
      case kIntOr:
      case kIntXor:
      case kIntNot:
      case kIntLshift:
      case kIntRshift:
      case kIntArshift:
      case kIntCount:
      case kToInt:
      case kToFloat: {
        const bool variadic = n.op == kAdd || n.op == kSub || n.op == kMul || n.op == kDiv ||
                              n.op == kMin || n.op == kMax || n.op == kIntAnd || n.op == kIntOr ||
                              n.op == kIntXor;
        const bool binary = n.op == kPow || n.op == kLog || n.op == kMod || n.op == kIntLshift ||
                            n.op == kIntRshift || n.op == kIntArshift;
        if (s = variadic ? arity(1, 4096) : binary ? arity(2, 2) : arity(1, 1); !s.ok()) return s;
        if (s = args(nargs); !s.ok()) return s;
        // What the operands must be: numbers of one kind, or integers, or floats.
        ExpType want = ExpType::kAuto;
        switch (n.op) {
          case kPow:
          case kLog:
          case kFloor:
          case kCeil:
          case kToInt:
            want = ExpType::kFloat;
            break;
          case kMod:
          case kIntAnd:
          case kIntOr:
          case kIntXor:
          case kIntNot:
          case kIntLshift:
          case kIntRshift:
          case kIntArshift:
          case kIntCount:
          case kToFloat:
            want = ExpType::kInt;
            break;
          default:
            break;
        }
        ExpType seen = want;
        for (size_t i = 0; i < kids.size(); ++i) {
          const ExpType t = kid_type(i);
          if (!Known(t)) continue;
          if (t != ExpType::kInt && t != ExpType::kFloat) return Bad("arithmetic on a non-number");
          if (Known(seen) && t != seen) return Bad("arithmetic mixes integers and floats");
          seen = t;
        }
        if (n.op == kToInt || n.op == kIntCount) {
          n.type = ExpType::kInt;
        } else if (n.op == kToFloat) {
          n.type = ExpType::kFloat;
        } else {
          n.type = seen;
        }
        break;
      }
      case kIntLscan:
      case kIntRscan:
        if (s = arity(2, 2); !s.ok()) return s;
        if (s = args(2); !s.ok()) return s;
        if ((Known(kid_type(0)) && kid_type(0) != ExpType::kInt) ||
            (Known(kid_type(1)) && kid_type(1) != ExpType::kBool)) {
          return Bad("bit scan takes an integer and a boolean");
        }
        n.type = ExpType::kInt;
        break;
      case kDigestModulo: {
        if (s = arity(1, 1); !s.ok()) return s;
        std::optional<int64_t> mod = r.NextInt();
        if (!mod || *mod <= 0) return Bad("digest_modulo takes a positive integer");
        n.arg = *mod;
        n.type = ExpType::kInt;
        break;
      }
      case kDeviceSize:
      case kLastUpdate:
      case kSinceUpdate:
      case kVoidTime:
      case kTtl:
      case kMemorySize:
      case kRecordSize:
        if (s = arity(0, 0); !s.ok()) return s;
        n.type = ExpType::kInt;
        break;
      case kSetName:
        if (s = arity(0, 0); !s.ok()) return s;
        n.type = ExpType::kStr;
        break;
      case kKeyExists:
      case kIsTombstone:
        if (s = arity(0, 0); !s.ok()) return s;
        n.type = ExpType::kBool;
        break;
      case kKey: {
        if (s = arity(1, 1); !s.ok()) return s;
        std::optional<int64_t> t = r.NextInt();
        if (!t || (*t != 2 && *t != 3 && *t != 6)) return Bad("key type must be int, str or blob");
        n.arg = *t;
        n.type = static_cast<ExpType>(*t);
        break;
      }
      case kBin: {
        if (s = arity(2, 2); !s.ok()) return s;
        std::optional<int64_t> t = r.NextInt();
        if (!t || *t < 0 || *t > 9) return Bad("unknown bin type");
        n.arg = *t;
        n.type = static_cast<ExpType>(*t);
        if (s = Name(r, &n.text); !s.ok()) return s;
        break;
      }
      case kBinType:
        if (s = arity(1, 1); !s.ok()) return s;
        if (s = Name(r, &n.text); !s.ok()) return s;
        n.type = ExpType::kInt;
        break;
      case kMapKeys:
      case kMapValues:
        if (s = arity(1, 1); !s.ok()) return s;
        if (s = args(1); !s.ok()) return s;
        if (Known(kid_type(0)) && kid_type(0) != ExpType::kMap) return Bad("map_keys of a non-map");
        n.type = ExpType::kList;
        break;
      case kRemoveResult:
        // Only a path apply's modify expression gives it a meaning; its type fits any branch.
        if (s = arity(0, 0); !s.ok()) return s;
        break;
      case kLoopVar: {
        if (s = arity(2, 2); !s.ok()) return s;
        std::optional<int64_t> t = r.NextInt();
        std::optional<int64_t> part = t ? r.NextInt() : std::nullopt;
        if (!t || *t < 0 || *t > 9 || !part || *part < kLoopKey || *part > kLoopIndex) {
          return Bad("a loop variable takes a type and a part (key, value or index)");
        }
        n.arg = *part;
        n.type = static_cast<ExpType>(*t);
        break;
      }
      case kCond: {
        if (nargs < 3 || nargs % 2 == 0)
          return Bad("cond takes condition/value pairs and a default");
        if (s = args(nargs); !s.ok()) return s;
        ExpType t = ExpType::kAuto;
        for (size_t i = 0; i < kids.size(); ++i) {
          const bool is_value = i % 2 == 1 || i + 1 == kids.size();
          const ExpType k = kid_type(i);
          if (!is_value) {
            if (Known(k) && k != ExpType::kBool) return Bad("cond condition is not a boolean");
            continue;
          }
          // unknown() and remove_result() fit any branch.
          if (e_->nodes_[kids[i]].op == kUnknown || e_->nodes_[kids[i]].op == kRemoveResult) {
            continue;
          }
          if (!Known(k)) {
            t = ExpType::kAuto;
            break;
          }
          if (Known(t) && t != k) return Bad("cond branches of different types");
          t = k;
        }
        n.type = t;
        break;
      }
      case kVar: {
        if (s = arity(1, 1); !s.ok()) return s;
        std::string name;
        if (s = Name(r, &name); !s.ok()) return s;
        for (auto it = scope_.rbegin(); it != scope_.rend(); ++it) {
          if (it->first == name) {
            n.arg = it->second.first;
            n.type = it->second.second;
            e_->nodes_.push_back(std::move(n));
            return static_cast<uint32_t>(e_->nodes_.size() - 1);
          }
        }
        return Bad(absl::StrCat("variable '", name, "' is not defined"));
      }
      case kLet: {
        if (nargs < 3 || nargs % 2 == 0) return Bad("let takes name/value pairs and a body");
        const size_t scope_at = scope_.size();
        // The definitions' slots are consecutive; lets nested inside take later ones.
        n.arg = e_->slots_;
        uint32_t slot = e_->slots_;
        e_->slots_ += nargs / 2;
        for (uint32_t i = 0; i + 1 < nargs; i += 2) {
          std::string name;
          if (s = Name(r, &name); !s.ok()) return s;
          absl::StatusOr<uint32_t> k = Decode(r, depth + 1);
          if (!k.ok()) return k.status();
          kids.push_back(*k);
          scope_.emplace_back(std::move(name), std::make_pair(slot++, e_->nodes_[*k].type));
        }
        absl::StatusOr<uint32_t> body = Decode(r, depth + 1);
        scope_.resize(scope_at);
        if (!body.ok()) return body.status();
        kids.push_back(*body);
        n.type = e_->nodes_[*body].type;
        break;
      }
      case kQuote: {
        if (s = arity(1, 1); !s.ok()) return s;
        std::optional<std::string_view> el = r.Next();
        // Wildcards and infinities may sit inside (value patterns such as ["a", *]); they
        // are refused only if the list is ever written to a bin.
        if (!el || TypeOf(*el) != ElementType::kList || !IsElement(*el)) {
          return Bad("quote takes a list");
        }
        n.op = kLiteral;
        n.literal = Value::List(std::string(*el));
        n.type = ExpType::kList;
        break;
      }
      case kCall:
        if (s = arity(4, 4); !s.ok()) return s;
        if (s = Call(r, depth, &n, &kids); !s.ok()) return s;
        break;
      default:
        return Bad(absl::StrCat("unknown operation ", *code));
    }
    n.first = static_cast<uint32_t>(e_->kids_.size());
    n.count = static_cast<uint32_t>(kids.size());
    e_->kids_.insert(e_->kids_.end(), kids.begin(), kids.end());
    e_->nodes_.push_back(std::move(n));
    return static_cast<uint32_t>(e_->nodes_.size() - 1);
  }

 private:
  // A bin or variable name: a msgpack string without a type prefix.
  static absl::Status Name(ElementReader& r, std::string* out) {
    ElementHead h;
    if (!r.ReadHead(&h) || (h.type != ElementType::kString && h.type != ElementType::kBytes &&
                            h.type != ElementType::kGeoJson)) {
      return Bad("expected a name");
    }
    if (h.payload.size() > kMaxBinNameLength) return Bad("name longer than 15 bytes");
    *out = std::string(h.payload);
    return absl::OkStatus();
  }

  absl::StatusOr<uint32_t> Literal(ElementReader& r) {
    std::optional<std::string_view> el = r.Next();
    if (!el) return Bad("malformed literal");
    Expression::Node n;
    const ElementType t = TypeOf(*el);
    if (t == ElementType::kWildcard || t == ElementType::kInfinity) {
      n.op = kRawLiteral;
      n.text = std::string(*el);
    } else {
      absl::StatusOr<Value> v = UnpackValue(*el);
      if (!v.ok()) return Bad("malformed literal");
      if (v->type() == ParticleType::kMap) {
        // Clients may flag a literal map as key-ordered without sorting it: sort it here so
        // collection calls can rely on the flag.
        const uint8_t flags = CollectionOrderFlags(v->bytes());
        if (flags != 0) {
          absl::StatusOr<std::vector<std::pair<Value, Value>>> entries = DecodeMap(v->bytes());
          if (!entries.ok()) return Bad("malformed map literal");
          *v = Value::Map(EncodeMap(*entries, flags));
        }
      }
      n.op = kLiteral;
      n.type = TypeOfValue(*v);
      n.literal = *std::move(v);
    }
    e_->nodes_.push_back(std::move(n));
    return static_cast<uint32_t>(e_->nodes_.size() - 1);
  }

  // [127, result type, system, [op, args...] or [0xff, context, [op, args...]], bin]
  absl::Status Call(ElementReader& r, int depth, Expression::Node* n, std::vector<uint32_t>* kids) {
    std::optional<int64_t> rtype = r.NextInt();
    std::optional<int64_t> sys = r.NextInt();
    if (!rtype || !sys || *rtype < 0 || *rtype > 10 || *sys < 0) {
      return Bad("call takes a result type and a system");
    }
    const uint64_t system = static_cast<uint64_t>(*sys) & ~kCallModifyLocal;
    if (system != kCallCdt && system != kCallBits && system != kCallHll) {
      return Bad("unknown call system");
    }
    n->type = static_cast<ExpType>(*rtype);
    if (IsCdtPathOp(r.rest())) return PathCall(r, depth, *sys, system, n, kids);
    ElementHead h;
    if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count == 0) {
      return Bad("call operation must be [op, args...]");
    }
    std::optional<int64_t> code = r.NextInt();
    if (!code || *code < 0) return Bad("collection op code must be an integer");
    if (static_cast<uint64_t>(*code) == kContextEval) {
      if (h.count != 3) return Bad("a context call is [0xff, context, [op, args...]]");
      std::optional<std::string_view> ctx = r.Next();
      if (!ctx || TypeOf(*ctx) != ElementType::kList) return Bad("malformed call context");
      n->text = std::string(*ctx);
      if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count == 0) {
        return Bad("call operation must be [op, args...]");
      }
      if (system != kCallCdt) return Bad("only list and map calls take a context");
      code = r.NextInt();
      if (!code || *code < 0 || *code >= 0xff) return Bad("collection op code must be an integer");
    }
    if (*code > 0xffff) return Bad("op code out of range");
    // Op code, the modify-local flag and the call system packed into one field.
    n->arg = *code | (static_cast<int64_t>(*sys & kCallModifyLocal) << 32) |
             (static_cast<int64_t>(system) << 40);
    // Arguments, each an expression; the bin comes last.
    for (uint32_t i = 1; i < h.count; ++i) {
      absl::StatusOr<uint32_t> k = Decode(r, depth + 1);
      if (!k.ok()) return k.status();
      kids->push_back(*k);
    }
    absl::StatusOr<uint32_t> bin = Decode(r, depth + 1);
    if (!bin.ok()) return bin.status();
    const ExpType bt = e_->nodes_[*bin].type;
    if (Known(bt)) {
      if (system == kCallCdt && bt != ExpType::kList && bt != ExpType::kMap) {
        return Bad("collection call on a value that is no list or map");
      }
      if (system == kCallBits && bt != ExpType::kBlob) return Bad("bit call on a non-blob");
      if (system == kCallHll && bt != ExpType::kHll) return Bad("HLL call on a non-HLL");
    }
    kids->push_back(*bin);
    return absl::OkStatus();
  }

  // [127, result type, system, [0xfe, context, flags(, expression)], bin]
  absl::Status PathCall(ElementReader& r, int depth, int64_t sys, uint64_t system,
                        Expression::Node* n, std::vector<uint32_t>* kids) {
    if (system != kCallCdt) return Bad("only list and map calls take a path");
    // Next() bounds the nesting of everything inside, filters and their own paths included.
    std::optional<std::string_view> op = r.Next();
    if (!op) return Bad("malformed path operation");
    absl::StatusOr<std::shared_ptr<const CdtPath>> path = CdtPath::Decode(*op);
    if (!path.ok()) return path.status();
    if ((*path)->applies() != bool(sys & kCallModifyLocal)) {
      return Bad("a path apply is a modify-local call, a path select is not");
    }
    n->op = kPathCall;
    n->arg = static_cast<int64_t>(e_->paths_.size());
    e_->paths_.push_back(*std::move(path));
    absl::StatusOr<uint32_t> bin = Decode(r, depth + 1);
    if (!bin.ok()) return bin.status();
    const ExpType bt = e_->nodes_[*bin].type;
    if (Known(bt) && bt != ExpType::kList && bt != ExpType::kMap) {
      return Bad("path call on a value that is no list or map");
    }
    kids->push_back(*bin);
    return absl::OkStatus();
  }

  Expression* e_;
  // Visible let-variables, innermost last: name -> (slot, type).
  std::vector<std::pair<std::string, std::pair<uint32_t, ExpType>>> scope_;
};

absl::StatusOr<std::shared_ptr<const Expression>> Expression::Decode(std::string_view packed) {
  auto e = std::make_shared<Expression>();
  e->packed_ = std::string(packed);
  ElementReader r(e->packed_);
  ExpDecoder d(e.get());
  absl::StatusOr<uint32_t> root = d.Decode(r, 0);
  if (!root.ok()) return root.status();
  if (!r.at_end()) return Bad("trailing bytes after the expression");
  e->root_ = *root;
  return std::shared_ptr<const Expression>(std::move(e));
}

Expression::Expression() = default;
Expression::~Expression() = default;

ExpType Expression::type() const { return nodes_[root_].type; }

// --- evaluation ---------------------------------------------------------------------------------

namespace {

using Result = std::optional<Value>;

std::optional<int64_t> AsInt(const Result& r) {
  if (!r || r->type() != ParticleType::kInteger) return std::nullopt;
  return r->integer();
}

std::optional<bool> AsBool(const Result& r) {
  if (!r || r->type() != ParticleType::kBool) return std::nullopt;
  return r->boolean();
}

int64_t Wrap(uint64_t v) { return static_cast<int64_t>(v); }

// Seconds since 2010 as Unix nanoseconds.
int64_t EpochToUnixNs(uint64_t citrusleaf_seconds) {
  return (static_cast<int64_t>(citrusleaf_seconds) + base::kCitrusleafEpochSeconds) * 1000000000LL;
}

}  // namespace

class ExpEvaluator {
 public:
  ExpEvaluator(const Expression& e, const ExpRecord& rec) : e_(e), rec_(rec), slots_(e.slots_) {}

  Result Eval(uint32_t id) {
    const Expression::Node& n = e_.nodes_[id];
    auto kid = [&](uint32_t i) { return e_.kids_[n.first + i]; };
    switch (n.op) {
      case kLiteral:
        return n.literal;
      case kRawLiteral:
      case kUnknown:
        return std::nullopt;
      case kEq:
      case kNe:
      case kGt:
      case kGe:
      case kLt:
      case kLe: {
        Result a = Eval(kid(0));
        if (!a) return std::nullopt;
        Result b = Eval(kid(1));
        if (!b) return std::nullopt;
        const bool numeric_mix =
            (a->type() == ParticleType::kInteger && b->type() == ParticleType::kFloat) ||
            (a->type() == ParticleType::kFloat && b->type() == ParticleType::kInteger);
        if (numeric_mix) return std::nullopt;
        const int c = CompareValues(*a, *b);
        switch (n.op) {
          case kEq:
            return Value::Bool(c == 0);
          case kNe:
            return Value::Bool(c != 0);
          case kGt:
            return Value::Bool(c > 0);
          case kGe:
            return Value::Bool(c >= 0);
          case kLt:
            return Value::Bool(c < 0);
          default:
            return Value::Bool(c <= 0);
        }
      }
      case kRegex: {
        Result s = Eval(kid(0));
        if (!s || s->type() != ParticleType::kString) return std::nullopt;
        const auto* re = static_cast<const regex_t*>(e_.regexes_[n.arg].get());
        return Value::Bool(regexec(re, s->bytes().c_str(), 0, nullptr, 0) == 0);
      }
      case kGeo: {
        Result a = Eval(kid(0));
        Result b = Eval(kid(1));
        if (!a || !b || a->type() != ParticleType::kGeoJson ||
            b->type() != ParticleType::kGeoJson) {
          return std::nullopt;
        }
        return Value::Bool(GeoCompare(a->bytes(), b->bytes()));
      }
      case kInList: {
        Result v = Eval(kid(0));
        Result list = Eval(kid(1));
        if (!v || !list || list->type() != ParticleType::kList) return std::nullopt;
        absl::StatusOr<std::vector<Value>> items = DecodeList(list->bytes());
        if (!items.ok()) return std::nullopt;
        for (const Value& item : *items) {
          if (CompareValues(item, *v) == 0 && item.type() == v->type()) return Value::Bool(true);
        }
        return Value::Bool(false);
      }
      case kAnd:
      case kOr: {
        // Short-circuit; unknown only when no operand decided the answer.
        const bool decisive = n.op == kOr;
        bool unknown = false;
        for (uint32_t i = 0; i < n.count; ++i) {
          std::optional<bool> b = AsBool(Eval(kid(i)));
          if (!b) {
            unknown = true;
          } else if (*b == decisive) {
            return Value::Bool(decisive);
          }
        }
        if (unknown) return std::nullopt;
        return Value::Bool(!decisive);
      }
      case kNot: {
        std::optional<bool> b = AsBool(Eval(kid(0)));
        if (!b) return std::nullopt;
        return Value::Bool(!*b);
      }
      case kExclusive: {
        int trues = 0;
        for (uint32_t i = 0; i < n.count; ++i) {
          std::optional<bool> b = AsBool(Eval(kid(i)));
          if (!b) return std::nullopt;
          trues += *b;
        }
        return Value::Bool(trues == 1);
      }
      case kAdd:
      case kSub:
      case kMul:
      case kDiv:
      case kMin:
      case kMax:
        return Arith(n);
      case kPow:
      case kLog: {
        Result a = Eval(kid(0)), b = Eval(kid(1));
        if (!a || !b || a->type() != ParticleType::kFloat || b->type() != ParticleType::kFloat)
          return std::nullopt;
        if (n.op == kPow) return Value::Double(std::pow(a->dbl(), b->dbl()));
        return Value::Double(std::log(a->dbl()) / std::log(b->dbl()));
      }
      case kMod: {
        std::optional<int64_t> a = AsInt(Eval(kid(0))), b = AsInt(Eval(kid(1)));
        if (!a || !b || *b == 0) return std::nullopt;
        if (*b == -1) return Value::Integer(0);  // INT64_MIN % -1 would trap
        return Value::Integer(*a % *b);
      }
      case kAbs: {
        Result a = Eval(kid(0));
        if (!a) return std::nullopt;
        if (a->type() == ParticleType::kInteger) {
          const int64_t v = a->integer();
          return Value::Integer(v < 0 ? Wrap(0 - static_cast<uint64_t>(v)) : v);
        }
        if (a->type() == ParticleType::kFloat) return Value::Double(std::fabs(a->dbl()));
        return std::nullopt;
      }
      case kFloor:
      case kCeil:
      case kToInt: {
        Result a = Eval(kid(0));
        if (!a || a->type() != ParticleType::kFloat) return std::nullopt;
        if (n.op == kFloor) return Value::Double(std::floor(a->dbl()));
        if (n.op == kCeil) return Value::Double(std::ceil(a->dbl()));
        const double d = std::trunc(a->dbl());
        // Out of range (or NaN) has no integer: unknown rather than undefined behaviour.
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return std::nullopt;
        return Value::Integer(static_cast<int64_t>(d));
      }
      case kToFloat: {
        std::optional<int64_t> a = AsInt(Eval(kid(0)));
        if (!a) return std::nullopt;
        return Value::Double(static_cast<double>(*a));
      }
      case kIntAnd:
      case kIntOr:
      case kIntXor: {
        uint64_t acc = 0;
        for (uint32_t i = 0; i < n.count; ++i) {
          std::optional<int64_t> v = AsInt(Eval(kid(i)));
          if (!v) return std::nullopt;
          const uint64_t u = static_cast<uint64_t>(*v);
          if (i == 0) {
            acc = u;
          } else if (n.op == kIntAnd) {
            acc &= u;
          } else if (n.op == kIntOr) {
            acc |= u;
          } else {
            acc ^= u;
          }
        }
        return Value::Integer(Wrap(acc));
      }
      case kIntNot: {
        std::optional<int64_t> v = AsInt(Eval(kid(0)));
        if (!v) return std::nullopt;
        return Value::Integer(~*v);
      }
      case kIntLshift:
      case kIntRshift:
      case kIntArshift: {
        std::optional<int64_t> v = AsInt(Eval(kid(0))), sh = AsInt(Eval(kid(1)));
        if (!v || !sh) return std::nullopt;
        const uint64_t u = static_cast<uint64_t>(*v);
        // Shifts of 64 or more (or negative) empty the value, or fill it with the sign.
        if (*sh < 0 || *sh >= 64) {
          return Value::Integer(n.op == kIntArshift && *v < 0 ? -1 : 0);
        }
        if (n.op == kIntLshift) return Value::Integer(Wrap(u << *sh));
        if (n.op == kIntRshift) return Value::Integer(Wrap(u >> *sh));
        return Value::Integer(*v >> *sh);
      }
      case kIntCount: {
        std::optional<int64_t> v = AsInt(Eval(kid(0)));
        if (!v) return std::nullopt;
        return Value::Integer(std::popcount(static_cast<uint64_t>(*v)));
      }
      case kIntLscan:
      case kIntRscan: {
        std::optional<int64_t> v = AsInt(Eval(kid(0)));
        std::optional<bool> search = AsBool(Eval(kid(1)));
        if (!v || !search) return std::nullopt;
        // Bit positions count from the most significant bit (0) to the least (63).
        const uint64_t u = *search ? static_cast<uint64_t>(*v) : ~static_cast<uint64_t>(*v);
        if (u == 0) return Value::Integer(-1);
        if (n.op == kIntLscan) return Value::Integer(std::countl_zero(u));
        return Value::Integer(63 - std::countr_zero(u));
      }
      case kDigestModulo: {
        if (!rec_.digest) return std::nullopt;
        // Digest bytes 16..19 as a little-endian number, as the Aerospike server reads them.
        uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = v << 8 | rec_.digest->bytes[16 + i];
        return Value::Integer(static_cast<int64_t>(v % static_cast<uint64_t>(n.arg)));
      }
      case kDeviceSize:
        if (!rec_.rec) return std::nullopt;
        return Value::Integer(rec_.in_memory ? 0 : rec_.stored_size);
      case kMemorySize:
        if (!rec_.rec) return std::nullopt;
        return Value::Integer(rec_.in_memory ? rec_.stored_size : 0);
      case kRecordSize:
        if (!rec_.rec) return std::nullopt;
        return Value::Integer(rec_.stored_size);
      case kLastUpdate:
        return Value::Integer(static_cast<int64_t>(rec_.last_update_ms) * 1000000);
      case kSinceUpdate: {
        const int64_t since = rec_.now_unix_ms - static_cast<int64_t>(rec_.last_update_ms);
        return Value::Integer(since < 0 ? 0 : since);
      }
      case kVoidTime:
        return Value::Integer(rec_.void_time == 0 ? -1 : EpochToUnixNs(rec_.void_time));
      case kTtl:
        if (rec_.void_time == 0) return Value::Integer(-1);
        return Value::Integer(
            rec_.void_time > rec_.now ? static_cast<int64_t>(rec_.void_time - rec_.now) : 0);
      case kSetName:
        return Value::String(std::string(rec_.set_name));
      case kKeyExists:
        return Value::Bool(rec_.rec && rec_.rec->key.has_value());
      case kIsTombstone:
        return Value::Bool(false);  // tombstones are never visible to expressions here
      case kKey: {
        if (!rec_.rec || !rec_.rec->key) return std::nullopt;
        const Value& k = *rec_.rec->key;
        if (TypeOfValue(k) != static_cast<ExpType>(n.arg)) return std::nullopt;
        return k;
      }
      case kBin: {
        if (!rec_.rec) return std::nullopt;
        const Bin* b = rec_.rec->Find(n.text);
        if (!b || TypeOfValue(b->value) != static_cast<ExpType>(n.arg)) return std::nullopt;
        return b->value;
      }
      case kBinType: {
        if (!rec_.rec) return std::nullopt;
        const Bin* b = rec_.rec->Find(n.text);
        return Value::Integer(b ? static_cast<int64_t>(b->value.type()) : 0);
      }
      case kMapKeys:
      case kMapValues: {
        Result m = Eval(kid(0));
        if (!m || m->type() != ParticleType::kMap) return std::nullopt;
        absl::StatusOr<std::vector<std::pair<Value, Value>>> entries = DecodeMap(m->bytes());
        if (!entries.ok()) return std::nullopt;
        std::vector<Value> out;
        out.reserve(entries->size());
        for (auto& [k, v] : *entries) out.push_back(n.op == kMapKeys ? std::move(k) : std::move(v));
        return Value::List(EncodeList(out));
      }
      case kCond: {
        for (uint32_t i = 0; i + 1 < n.count; i += 2) {
          std::optional<bool> c = AsBool(Eval(kid(i)));
          if (!c) return std::nullopt;
          if (*c) return Eval(kid(i + 1));
        }
        return Eval(kid(n.count - 1));
      }
      case kVar:
        return slots_[n.arg];
      case kLet: {
        for (uint32_t i = 0; i + 1 < n.count; ++i) slots_[n.arg + i] = Eval(kid(i));
        return Eval(kid(n.count - 1));
      }
      case kCall:
        return Call(n);
      case kPathCall:
        return PathCall(n);
      case kRemoveResult:
        if (!rec_.loop) return std::nullopt;
        rec_.loop->remove = true;
        return Value();
      case kLoopVar: {
        const PathLoopVars* loop = rec_.loop;
        if (!loop) return std::nullopt;
        Value v;
        if (n.arg == kLoopKey) {
          if (!loop->key) return std::nullopt;
          v = *loop->key;
        } else if (n.arg == kLoopValue) {
          v = *loop->value;
        } else {
          v = Value::Integer(loop->index);
        }
        // A loop variable of another type than the element's is unknown, as a bin read is.
        if (TypeOfValue(v) != n.type) return std::nullopt;
        return v;
      }
      default:
        return std::nullopt;
    }
  }

 private:
  Result Arith(const Expression::Node& n) {
    std::optional<Value> acc;
    for (uint32_t i = 0; i < n.count; ++i) {
      Result v = Eval(e_.kids_[n.first + i]);
      if (!v || (v->type() != ParticleType::kInteger && v->type() != ParticleType::kFloat))
        return std::nullopt;
      if (!acc) {
        acc = std::move(v);
        continue;
      }
      if (v->type() != acc->type()) return std::nullopt;
      if (acc->type() == ParticleType::kInteger) {
        const int64_t a = acc->integer(), b = v->integer();
        const uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
        switch (n.op) {
          case kAdd:
            acc = Value::Integer(Wrap(ua + ub));
            break;
          case kSub:
            acc = Value::Integer(Wrap(ua - ub));
            break;
          case kMul:
            acc = Value::Integer(Wrap(ua * ub));
            break;
          case kDiv:
            if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1))
              return std::nullopt;
            acc = Value::Integer(a / b);
            break;
          case kMin:
            acc = Value::Integer(std::min(a, b));
            break;
          default:
            acc = Value::Integer(std::max(a, b));
        }
      } else {
        const double a = acc->dbl(), b = v->dbl();
        switch (n.op) {
          case kAdd:
            acc = Value::Double(a + b);
            break;
          case kSub:
            acc = Value::Double(a - b);
            break;
          case kMul:
            acc = Value::Double(a * b);
            break;
          case kDiv:
            acc = Value::Double(a / b);
            break;
          case kMin:
            acc = Value::Double(std::min(a, b));
            break;
          default:
            acc = Value::Double(std::max(a, b));
        }
      }
    }
    // One operand: subtraction negates, division inverts.
    if (n.count == 1 && (n.op == kSub || n.op == kDiv)) {
      if (acc->type() == ParticleType::kInteger) {
        const int64_t a = acc->integer();
        if (n.op == kSub) return Value::Integer(Wrap(0 - static_cast<uint64_t>(a)));
        if (a == 0) return std::nullopt;
        return Value::Integer(1 / a);
      }
      return Value::Double(n.op == kSub ? -acc->dbl() : 1 / acc->dbl());
    }
    return acc;
  }

  // A list/map, bit or HLL call: the arguments are evaluated and packed into the operation the
  // list/map, bit or HLL code runs on the bin value; a modifying call answers the changed bin.
  Result Call(const Expression::Node& n) {
    Result bin = Eval(e_.kids_[n.first + n.count - 1]);
    const uint64_t code = static_cast<uint64_t>(n.arg) & 0xffffffff;
    const bool modify = (static_cast<uint64_t>(n.arg) >> 32) & kCallModifyLocal;
    const uint64_t system = (static_cast<uint64_t>(n.arg) >> 40) & 0xff;
    if (!bin) return std::nullopt;
    const ParticleType bt = bin->type();
    if (system == kCallCdt && bt != ParticleType::kList && bt != ParticleType::kMap) {
      return std::nullopt;
    }
    if (system == kCallBits && bt != ParticleType::kBlob) return std::nullopt;
    if (system == kCallHll && bt != ParticleType::kHll) return std::nullopt;
    std::string op;
    if (!n.text.empty()) {
      AppendArrayHeader(3, &op);
      op += PackInt(static_cast<int64_t>(kContextEval));
      op += n.text;
    }
    AppendArrayHeader(n.count, &op);
    op += PackInt(static_cast<int64_t>(code));
    for (uint32_t i = 0; i + 1 < n.count; ++i) {
      const uint32_t k = e_.kids_[n.first + i];
      const Expression::Node& arg = e_.nodes_[k];
      if (arg.op == kRawLiteral) {
        op += arg.text;
        continue;
      }
      Result v = Eval(k);
      if (!v) return std::nullopt;
      op += PackValue(*v);
    }
    if (system == kCallBits) {
      if (!modify) {
        absl::StatusOr<Value> r = BitRead(op, *bin);
        if (!r.ok() || r->is_null()) return std::nullopt;
        return *std::move(r);
      }
      Value out = *std::move(bin);
      if (!BitModify(op, &out).ok()) return std::nullopt;
      return out;
    }
    if (system == kCallHll) {
      if (!modify) {
        absl::StatusOr<Value> r = HllRead(op, *bin);
        if (!r.ok() || r->is_null()) return std::nullopt;
        return *std::move(r);
      }
      Value out = *std::move(bin);
      if (!HllModify(op, &out).ok()) return std::nullopt;
      return out;
    }
    if (modify) {
      Value out = *std::move(bin);
      if (!CdtModify(op, &out).ok()) return std::nullopt;
      return out;
    }
    absl::StatusOr<Value> r = CdtRead(op, *bin);
    if (!r.ok()) return std::nullopt;
    return *std::move(r);
  }

  Result PathCall(const Expression::Node& n) {
    Result bin = Eval(e_.kids_[n.first]);
    if (!bin || (bin->type() != ParticleType::kList && bin->type() != ParticleType::kMap)) {
      return std::nullopt;
    }
    const CdtPath& path = *e_.paths_[n.arg];
    if (path.applies()) {
      Value out = *std::move(bin);
      if (!path.Apply(&out, rec_).ok()) return std::nullopt;
      return out;
    }
    absl::StatusOr<Value> r = path.Select(*bin, rec_);
    if (!r.ok()) return std::nullopt;
    return *std::move(r);
  }

  const Expression& e_;
  const ExpRecord& rec_;
  std::vector<Result> slots_;
};

std::optional<Value> Expression::Evaluate(const ExpRecord& rec) const {
  ExpEvaluator ev(*this, rec);
  return ev.Eval(root_);
}

bool Expression::Matches(const ExpRecord& rec) const {
  std::optional<Value> v = Evaluate(rec);
  return v && v->type() == ParticleType::kBool && v->boolean();
}

// --- expression operations ----------------------------------------------------------------------

namespace {

struct ParsedExpOp {
  std::shared_ptr<const Expression> exp;
  uint64_t flags = 0;
};

absl::StatusOr<ParsedExpOp> ParseExpOp(std::string_view payload) {
  ElementReader r(payload);
  ElementHead h;
  if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count != 2) {
    return Bad("an expression operation is [expression, flags]");
  }
  std::optional<std::string_view> packed = r.Next();
  std::optional<int64_t> flags = r.NextInt();
  if (!packed || !flags || *flags < 0 || !r.at_end()) {
    return Bad("an expression operation is [expression, flags]");
  }
  absl::StatusOr<std::shared_ptr<const Expression>> exp = Expression::Decode(*packed);
  if (!exp.ok()) return exp.status();
  return ParsedExpOp{*std::move(exp), static_cast<uint64_t>(*flags)};
}

}  // namespace

absl::StatusOr<Value> ExpRead(std::string_view payload, const ExpRecord& rec) {
  absl::StatusOr<ParsedExpOp> op = ParseExpOp(payload);
  if (!op.ok()) return op.status();
  std::optional<Value> v = op->exp->Evaluate(rec);
  if (!v) {
    if (op->flags & kExpEvalNoFail) return Value();
    return MakeError(ResultCode::kOpNotApplicable, "expression evaluated to unknown");
  }
  return *std::move(v);
}

absl::Status ExpModify(std::string_view payload, std::string_view bin, const ExpRecord& rec,
                       Record* out) {
  if (bin.empty()) return MakeError(ResultCode::kBinNameError, "empty bin name");
  absl::StatusOr<ParsedExpOp> op = ParseExpOp(payload);
  if (!op.ok()) return op.status();
  const uint64_t flags = op->flags;
  std::optional<Value> v = op->exp->Evaluate(rec);
  if (!v) {
    if (flags & kExpEvalNoFail) return absl::OkStatus();
    return MakeError(ResultCode::kOpNotApplicable, "expression evaluated to unknown");
  }
  const bool no_fail = flags & kExpWritePolicyNoFail;
  const bool exists = out->Find(bin) != nullptr;
  if ((flags & kExpWriteCreateOnly) && exists) {
    if (no_fail) return absl::OkStatus();
    return MakeError(ResultCode::kBinExists, "bin exists (expression write create-only)");
  }
  if ((flags & kExpWriteUpdateOnly) && !exists) {
    if (no_fail) return absl::OkStatus();
    return MakeError(ResultCode::kBinNotFound, "bin not found (expression write update-only)");
  }
  if (v->is_null()) {
    if (!(flags & kExpWriteAllowDelete)) {
      if (no_fail) return absl::OkStatus();
      return MakeError(ResultCode::kOpNotApplicable, "expression wrote nil without allow-delete");
    }
    out->Set(bin, Value());
    return absl::OkStatus();
  }
  if (v->type() == ParticleType::kGeoJson) {
    if (absl::Status s = ValidateGeoJson(v->bytes()); !s.ok()) return s;
  }
  if ((v->type() == ParticleType::kList || v->type() == ParticleType::kMap) &&
      !IsStorable(v->bytes())) {
    return MakeError(ResultCode::kParameterError, "a wildcard or infinity cannot be stored");
  }
  out->Set(bin, *std::move(v));
  return absl::OkStatus();
}

}  // namespace tern::record
