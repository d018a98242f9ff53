#include "api/typed_operation.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/proto_value.h"
#include "base/result_code.h"
#include "record/cdt_list.h"
#include "record/cdt_map.h"
#include "record/cdt_path.h"
#include "record/collection.h"
#include "record/packed_element.h"
#include "tern/v1/operation_layout.h"

namespace tern::api {

namespace {

using base::MakeError;
using base::ResultCode;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::RepeatedPtrField;
namespace v1 = tern::v1;

constexpr uint64_t kInvertedFlag = 0x10000;
constexpr int64_t kContextEval = 0xff;
// Bit and HLL read op codes start here; below are the modify ops.
constexpr int kFirstBitHllRead = 50;

// The values a kind's `$policy` layout items take.
struct Policies {
  uint64_t return_type = 0;
  uint64_t order = 0;
  uint64_t flags = 0;
  uint64_t sort = 0;
  uint64_t resize = 0;
  uint64_t action = 0;
  uint64_t is_signed = 0;
};

absl::Status Bad(std::string_view what) {
  return MakeError(ResultCode::kParameterError, std::string(what));
}

bool HasType(const v1::Value& v, v1::LayoutItem::Type t) {
  switch (t) {
    case v1::LayoutItem::Type::kInt:
      return v.kind_case() == v1::Value::kIntValue;
    case v1::LayoutItem::Type::kList:
      return v.kind_case() == v1::Value::kListValue;
    case v1::LayoutItem::Type::kMap:
      return v.kind_case() == v1::Value::kMapValue;
    case v1::LayoutItem::Type::kBool:
      return v.kind_case() == v1::Value::kBoolValue;
    case v1::LayoutItem::Type::kBytes:
      return v.kind_case() == v1::Value::kBytesValue;
    default:
      return true;
  }
}

const char* TypeName(v1::LayoutItem::Type t) {
  switch (t) {
    case v1::LayoutItem::Type::kInt:
      return "an integer";
    case v1::LayoutItem::Type::kList:
      return "a list";
    case v1::LayoutItem::Type::kMap:
      return "a map";
    case v1::LayoutItem::Type::kBool:
      return "a bool";
    case v1::LayoutItem::Type::kBytes:
      return "bytes";
    default:
      return "a value";
  }
}

absl::StatusOr<uint64_t> PolicyValue(const Policies& p, const std::string& name) {
  if (name == "return") return p.return_type;
  if (name == "order") return p.order;
  if (name == "flags") return p.flags;
  if (name == "sort") return p.sort;
  if (name == "resize") return p.resize;
  if (name == "action") return p.action;
  if (name == "signed") return p.is_signed;
  return Bad(absl::StrCat("layout names an unknown policy ", name));
}

// [code, items...] for `kind` of `family` by its layout.
absl::StatusOr<std::string> PackCall(const char* family, const EnumDescriptor* kinds, int kind,
                                     const RepeatedPtrField<v1::Value>& args, const Policies& p) {
  const EnumValueDescriptor* d = kinds->FindValueByNumber(kind);
  std::optional<std::vector<v1::LayoutItem>> layout = v1::LayoutOf(d);
  if (!layout) return Bad(absl::StrCat("unknown ", family, " operation kind ", kind));
  const std::string op = absl::StrCat(family, " ", d->name());
  size_t slots = 0, required = 0;
  for (const v1::LayoutItem& item : *layout) {
    if (item.type == v1::LayoutItem::Type::kPolicy) continue;
    ++slots;
    if (!item.optional) required = slots;
  }
  if (static_cast<size_t>(args.size()) < required || static_cast<size_t>(args.size()) > slots) {
    return Bad(absl::StrCat(op, " takes ", required == slots ? "" : absl::StrCat(required, " to "),
                            slots, " arguments, got ", args.size()));
  }
  std::vector<std::string> items;
  size_t keep = 0;  // trailing absent optional arguments are left out
  int next = 0;
  for (const v1::LayoutItem& item : *layout) {
    if (item.type == v1::LayoutItem::Type::kPolicy) {
      absl::StatusOr<uint64_t> v = PolicyValue(p, item.name);
      if (!v.ok()) return v.status();
      items.push_back(record::PackInt(static_cast<int64_t>(*v)));
      keep = items.size();
    } else if (next < args.size()) {
      const v1::Value& arg = args[next++];
      if (!HasType(arg, item.type)) {
        return Bad(absl::StrCat(op, ": ", item.name, " must be ", TypeName(item.type)));
      }
      absl::StatusOr<record::Value> v = ValueFromProto(arg);
      if (!v.ok()) return v.status();
      items.push_back(record::PackValue(*v));
      keep = items.size();
    } else {
      items.push_back(item.type == v1::LayoutItem::Type::kInt ? record::PackInt(-1)
                                                              : record::PackNil());
    }
  }
  items.resize(keep);
  std::string out;
  record::AppendArrayHeader(static_cast<uint32_t>(items.size() + 1), &out);
  out += record::PackInt(kind);
  for (const std::string& i : items) out += i;
  return out;
}

absl::StatusOr<uint64_t> ReturnTypeOf(v1::ReturnType rt, bool inverted) {
  if (!v1::ReturnType_IsValid(rt)) return Bad(absl::StrCat("unknown return type ", rt));
  return static_cast<uint64_t>(rt) | (inverted ? kInvertedFlag : 0);
}

// Appends the step's type (with its create bits) and value.
absl::Status AppendContextStep(const v1::ContextStep& s, std::string* out) {
  const v1::ContextStep::Type t = s.type();
  if (t == v1::ContextStep::CONTEXT_UNSPECIFIED || !v1::ContextStep::Type_IsValid(t)) {
    return Bad(absl::StrCat("unknown context step type ", t));
  }
  if (s.create() != 0 && s.create() != 0x40 && s.create() != 0x80 && s.create() != 0xc0) {
    return Bad(absl::StrCat("context create must be 0, 0x40, 0x80 or 0xc0, not ", s.create()));
  }
  const bool positional = t == v1::ContextStep::LIST_INDEX || t == v1::ContextStep::LIST_RANK ||
                          t == v1::ContextStep::MAP_INDEX || t == v1::ContextStep::MAP_RANK;
  if (positional && s.value().kind_case() != v1::Value::kIntValue) {
    return Bad(
        absl::StrCat("context step ", v1::ContextStep::Type_Name(t), " needs an integer value"));
  }
  absl::StatusOr<record::Value> v = ValueFromProto(s.value());
  if (!v.ok()) return v.status();
  *out += record::PackInt(static_cast<int64_t>(t) | s.create());
  *out += record::PackValue(*v);
  return absl::OkStatus();
}

// [0xff, [type, value, ...], call] when there is a context.
absl::StatusOr<std::string> WithContext(const RepeatedPtrField<v1::ContextStep>& ctx,
                                        std::string call) {
  if (ctx.empty()) return call;
  std::string steps;
  record::AppendArrayHeader(static_cast<uint32_t>(ctx.size() * 2), &steps);
  for (const v1::ContextStep& s : ctx) {
    if (absl::Status st = AppendContextStep(s, &steps); !st.ok()) return st;
  }
  std::string out;
  record::AppendArrayHeader(3, &out);
  out += record::PackInt(kContextEval);
  out += steps;
  out += call;
  return out;
}

absl::StatusOr<txn::Op> ListOp(const v1::ListOperation& l) {
  Policies p;
  absl::StatusOr<uint64_t> rt = ReturnTypeOf(l.return_type(), l.inverted());
  if (!rt.ok()) return rt.status();
  if (!v1::ListOrder_IsValid(l.order())) return Bad(absl::StrCat("unknown list order ", l.order()));
  p.return_type = *rt;
  p.order = l.order();
  p.flags = l.write_flags();
  p.sort = l.sort_flags();
  absl::StatusOr<std::string> call =
      PackCall("list", v1::ListOperation::Kind_descriptor(), l.kind(), l.args(), p);
  if (!call.ok()) return call.status();
  absl::StatusOr<std::string> payload = WithContext(l.ctx(), *std::move(call));
  if (!payload.ok()) return payload.status();
  const bool modify = record::IsListModifyOp(static_cast<uint64_t>(l.kind()));
  return txn::Op{modify ? txn::OpType::kCdtModify : txn::OpType::kCdtRead, "",
                 record::Value::Blob(*std::move(payload))};
}

absl::StatusOr<txn::Op> MapOp(const v1::MapOperation& m) {
  Policies p;
  absl::StatusOr<uint64_t> rt = ReturnTypeOf(m.return_type(), m.inverted());
  if (!rt.ok()) return rt.status();
  if (!v1::MapOrder_IsValid(m.order())) return Bad(absl::StrCat("unknown map order ", m.order()));
  p.return_type = *rt;
  p.order = m.order();
  p.flags = m.write_flags();
  absl::StatusOr<std::string> call =
      PackCall("map", v1::MapOperation::Kind_descriptor(), m.kind(), m.args(), p);
  if (!call.ok()) return call.status();
  absl::StatusOr<std::string> payload = WithContext(m.ctx(), *std::move(call));
  if (!payload.ok()) return payload.status();
  const bool modify = record::IsMapModifyOp(static_cast<uint64_t>(m.kind()));
  return txn::Op{modify ? txn::OpType::kCdtModify : txn::OpType::kCdtRead, "",
                 record::Value::Blob(*std::move(payload))};
}

absl::StatusOr<txn::Op> BitOp(const v1::BitOperation& b) {
  if (!v1::BitOperation::Overflow_IsValid(b.overflow())) {
    return Bad(absl::StrCat("unknown bit overflow action ", b.overflow()));
  }
  Policies p;
  p.flags = b.write_flags();
  p.resize = b.resize_flags();
  p.is_signed = b.is_signed() ? 1 : 0;
  p.action = p.is_signed | static_cast<uint64_t>(b.overflow());
  absl::StatusOr<std::string> call =
      PackCall("bit", v1::BitOperation::Kind_descriptor(), b.kind(), b.args(), p);
  if (!call.ok()) return call.status();
  const bool modify = b.kind() < kFirstBitHllRead;
  return txn::Op{modify ? txn::OpType::kBitModify : txn::OpType::kBitRead, "",
                 record::Value::Blob(*std::move(call))};
}

absl::StatusOr<txn::Op> HllOp(const v1::HllOperation& h) {
  Policies p;
  p.flags = h.write_flags();
  absl::StatusOr<std::string> call =
      PackCall("hll", v1::HllOperation::Kind_descriptor(), h.kind(), h.args(), p);
  if (!call.ok()) return call.status();
  const bool modify = h.kind() < kFirstBitHllRead;
  return txn::Op{modify ? txn::OpType::kHllModify : txn::OpType::kHllRead, "",
                 record::Value::Blob(*std::move(call))};
}

absl::StatusOr<txn::Op> ExpOp(const v1::ExpOperation& e) {
  if (!v1::ExpOperation::Kind_IsValid(e.kind())) {
    return Bad(absl::StrCat("unknown expression operation kind ", e.kind()));
  }
  if (e.expression().empty()) return Bad("expression operation without an expression");
  // [expression, flags]; the expression is already packed.
  std::string payload;
  record::AppendArrayHeader(2, &payload);
  payload += e.expression();
  payload += record::PackInt(e.flags());
  const bool write = e.kind() == v1::ExpOperation::WRITE;
  return txn::Op{write ? txn::OpType::kExpModify : txn::OpType::kExpRead, "",
                 record::Value::Blob(std::move(payload))};
}

// [0xfe, [type, value, ...], flags] for a select, [0xfe, [...], flags | 4, expression] for an
// apply, as the Node client packs selectByPath / modifyByPath (docs/collections.md).
absl::StatusOr<txn::Op> PathOp(const v1::PathOperation& p) {
  if (!v1::PathOperation::Kind_IsValid(p.kind())) {
    return Bad(absl::StrCat("unknown path operation kind ", p.kind()));
  }
  if (!v1::PathOperation::Result_IsValid(p.result())) {
    return Bad(absl::StrCat("unknown path result ", p.result()));
  }
  const bool apply = p.kind() == v1::PathOperation::APPLY;
  if (p.path().empty()) return Bad("path operation without a path");
  if (apply && p.result() != v1::PathOperation::MATCHING_TREE) {
    return Bad("path APPLY answers nothing: result must be left unset");
  }
  if (apply != !p.expression().empty()) {
    return Bad(apply ? "path APPLY without an expression" : "path SELECT takes no expression");
  }
  if (apply && !record::IsElement(p.expression())) {
    return Bad("path APPLY expression is not one packed expression");
  }
  std::string steps;
  record::AppendArrayHeader(static_cast<uint32_t>(p.path().size() * 2), &steps);
  for (const v1::PathStep& s : p.path()) {
    switch (s.step_case()) {
      case v1::PathStep::kCtx:
        if (s.ctx().create() != 0) return Bad("a path step cannot create a level");
        if (absl::Status st = AppendContextStep(s.ctx(), &steps); !st.ok()) return st;
        break;
      case v1::PathStep::kAllChildren:
        if (!s.all_children()) return Bad("path step all_children must be true");
        steps += record::PackInt(record::kCtxChildren);
        steps += record::PackBool(true);
        break;
      case v1::PathStep::kFilter:
        if (!record::IsElement(s.filter())) {
          return Bad("path step filter is not one packed expression");
        }
        steps += record::PackInt(record::kCtxChildren);
        steps += s.filter();
        break;
      case v1::PathStep::STEP_NOT_SET:
        return Bad("empty path step");
    }
  }
  uint64_t flags = static_cast<uint64_t>(p.result()) | (p.no_fail() ? record::kPathNoFail : 0);
  if (apply) flags |= record::kPathApply;
  std::string payload;
  record::AppendArrayHeader(apply ? 4 : 3, &payload);
  payload += record::PackInt(static_cast<int64_t>(record::kCdtPathOp));
  payload += steps;
  payload += record::PackInt(static_cast<int64_t>(flags));
  if (apply) payload += p.expression();
  return txn::Op{apply ? txn::OpType::kCdtModify : txn::OpType::kCdtRead, "",
                 record::Value::Blob(std::move(payload))};
}

}  // namespace

absl::StatusOr<txn::Op> TypedOperation(const v1::Operation& op) {
  absl::StatusOr<txn::Op> out = Bad("operation without a typed operation");
  switch (op.typed_case()) {
    case v1::Operation::kList:
      out = ListOp(op.list());
      break;
    case v1::Operation::kMap:
      out = MapOp(op.map());
      break;
    case v1::Operation::kBit:
      out = BitOp(op.bit());
      break;
    case v1::Operation::kHll:
      out = HllOp(op.hll());
      break;
    case v1::Operation::kExp:
      out = ExpOp(op.exp());
      break;
    case v1::Operation::kPath:
      out = PathOp(op.path());
      break;
    case v1::Operation::TYPED_NOT_SET:
      break;
  }
  if (out.ok()) out->bin = op.bin();
  return out;
}

}  // namespace tern::api
