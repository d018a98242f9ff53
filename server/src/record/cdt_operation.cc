#include "record/cdt_operation.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "record/cdt_args.h"
#include "record/cdt_context.h"
#include "record/cdt_list.h"
#include "record/cdt_map.h"
#include "record/cdt_path.h"
#include "record/packed_element.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

constexpr uint64_t kContextEval = 0xff;
constexpr uint64_t kLastMapOp = 110;

absl::Status Malformed(std::string_view what) {
  return MakeError(ResultCode::kParameterError,
                   absl::StrCat("collection operation: ", base::Absl(what)));
}

struct ParsedOp {
  uint64_t code = 0;
  std::vector<std::string_view> args;
  std::optional<std::vector<CtxItem>> ctx;

  bool is_list() const { return code < kFirstMapOp; }
  bool is_modify() const { return is_list() ? IsListModifyOp(code) : IsMapModifyOp(code); }
};

// [op, args...] from the reader's position, which must hold exactly that list.
absl::Status ParseCall(ElementReader& r, ParsedOp* out) {
  ElementHead h;
  if (!r.ReadHead(&h) || h.type != ElementType::kList || h.count == 0) {
    return Malformed("expected [op, args...]");
  }
  std::optional<int64_t> code = r.NextInt();
  if (!code || *code < 0) return Malformed("op code must be a non-negative integer");
  out->code = static_cast<uint64_t>(*code);
  for (uint32_t i = 1; i < h.count; ++i) {
    std::optional<std::string_view> arg = r.Next();
    if (!arg) return Malformed("malformed argument");
    out->args.push_back(*arg);
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedOp> Parse(std::string_view bytes) {
  ParsedOp op;
  ElementReader peek(bytes);
  ElementHead h;
  if (!peek.ReadHead(&h) || h.type != ElementType::kList || h.count == 0) {
    return Malformed("expected a msgpack list");
  }
  ElementReader r(bytes);
  if (peek.NextInt() == static_cast<int64_t>(kContextEval)) {
    if (h.count != 3) return Malformed("a context op is [0xff, context, [op, args...]]");
    (void)r.ReadHead(&h);
    (void)r.NextInt();
    std::optional<std::string_view> ctx = r.Next();
    if (!ctx) return Malformed("malformed context");
    absl::StatusOr<std::vector<CtxItem>> items = ParseContext(*ctx);
    if (!items.ok()) return items.status();
    op.ctx = *std::move(items);
  }
  if (absl::Status s = ParseCall(r, &op); !s.ok()) return s;
  if (!r.at_end()) return Malformed("trailing bytes");
  if (op.code > kLastMapOp) {
    return MakeError(ResultCode::kParameterError, absl::StrCat("unknown collection op ", op.code));
  }
  return op;
}

absl::StatusOr<Value> ApplyAt(const ParsedOp& op, std::string* target) {
  CdtArgs args(op.args);
  return op.is_list() ? ApplyListOp(op.code, args, target) : ApplyMapOp(op.code, args, target);
}

// The bin's packed collection, or an error when it holds something else.
absl::StatusOr<std::string> PackedBin(const ParsedOp& op, const Value& bin) {
  if (bin.is_null()) return std::string();
  const ParticleType want = op.is_list() ? ParticleType::kList : ParticleType::kMap;
  if (op.ctx) {
    if (bin.type() != ParticleType::kList && bin.type() != ParticleType::kMap) {
      return MakeError(ResultCode::kParameterError, "context on a bin that is no list or map");
    }
  } else if (bin.type() != want) {
    return MakeError(ResultCode::kBinIncompatibleType,
                     absl::StrCat(op.is_list() ? "list" : "map", " operation on a ",
                                  base::Absl(ParticleTypeName(bin.type())), " bin"));
  }
  // A default-constructed collection Value has no bytes: it is the empty one.
  if (bin.bytes().empty()) return bin.type() == ParticleType::kList ? EmptyList(0) : EmptyMap(0);
  return bin.bytes();
}

absl::StatusOr<Value> Run(const ParsedOp& op, std::string* packed, bool modify) {
  if (!op.ctx) return ApplyAt(op, packed);
  return ApplyInContext(packed, *op.ctx, modify,
                        [&](std::string* target) { return ApplyAt(op, target); });
}

// A path operation on a list or map bin (the bin's type checked as for a context op).
absl::StatusOr<std::shared_ptr<const CdtPath>> ParsePath(std::string_view bytes, const Value& bin,
                                                         bool modify) {
  absl::StatusOr<std::shared_ptr<const CdtPath>> path = CdtPath::Decode(bytes);
  if (!path.ok()) return path.status();
  if ((*path)->applies() != modify) {
    return Malformed(modify ? "a path select sent as a modify" : "a path apply sent as a read");
  }
  if (!bin.is_null() && bin.type() != ParticleType::kList && bin.type() != ParticleType::kMap) {
    return MakeError(
        ResultCode::kBinIncompatibleType,
        absl::StrCat("path operation on a ", base::Absl(ParticleTypeName(bin.type())), " bin"));
  }
  return path;
}

}  // namespace

absl::StatusOr<Value> CdtRead(std::string_view bytes, const Value& bin, const ExpRecord& rec) {
  if (IsCdtPathOp(bytes)) {
    absl::StatusOr<std::shared_ptr<const CdtPath>> path = ParsePath(bytes, bin, false);
    if (!path.ok()) return path.status();
    if (bin.is_null()) return Value();
    return (*path)->Select(bin, rec);
  }
  absl::StatusOr<ParsedOp> op = Parse(bytes);
  if (!op.ok()) return op.status();
  if (op->is_modify()) return Malformed("a modify operation sent as a read");
  if (bin.is_null()) return Value();
  absl::StatusOr<std::string> packed = PackedBin(*op, bin);
  if (!packed.ok()) return packed.status();
  return Run(*op, &*packed, /*modify=*/false);
}

absl::StatusOr<Value> CdtModify(std::string_view bytes, Value* bin, const ExpRecord& rec) {
  if (IsCdtPathOp(bytes)) {
    absl::StatusOr<std::shared_ptr<const CdtPath>> path = ParsePath(bytes, *bin, true);
    if (!path.ok()) return path.status();
    // A missing bin has nothing to apply to; an apply answers nothing.
    if (bin->is_null()) return Value();
    if (absl::Status s = (*path)->Apply(bin, rec); !s.ok()) return s;
    return Value();
  }
  absl::StatusOr<ParsedOp> op = Parse(bytes);
  if (!op.ok()) return op.status();
  if (!op->is_modify()) return Malformed("a read operation sent as a modify");
  absl::StatusOr<std::string> packed = PackedBin(*op, *bin);
  if (!packed.ok()) return packed.status();
  absl::StatusOr<Value> result = Run(*op, &*packed, /*modify=*/true);
  if (!result.ok()) return result.status();
  if (!packed->empty()) {
    const bool map = TypeOf(*packed) == ElementType::kMap;
    *bin = map ? Value::Map(*std::move(packed)) : Value::List(*std::move(packed));
  }
  return result;
}

}  // namespace tern::record
