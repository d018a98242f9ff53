#include "operation_json.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "cli_values.h"
#include "tern/operations.h"
#include "tern/v1/operation_layout.h"

namespace tern::cli {

namespace {

using nlohmann::json;
using Flags = std::map<std::string, uint32_t>;

Status Bad(std::string message) { return Status(result::kInvalidArgument, std::move(message)); }

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Flag names by family, as kv.proto documents the bits.
const Flags kListWrite = {{"add_unique", 1}, {"insert_bounded", 2}, {"no_fail", 4}, {"partial", 8}};
const Flags kMapWrite = {{"create_only", 1}, {"update_only", 2}, {"no_fail", 4}, {"partial", 8}};
const Flags kBitWrite = {{"create_only", 1}, {"update_only", 2}, {"no_fail", 4}, {"partial", 8}};
const Flags kHllWrite = {{"create_only", 1}, {"update_only", 2}, {"no_fail", 4}, {"allow_fold", 8}};
const Flags kListSort = {{"descending", 1}, {"drop_duplicates", 2}};
const Flags kBitResize = {{"from_front", 1}, {"grow_only", 2}, {"shrink_only", 4}};
const Flags kExpRead = {{"eval_no_fail", 16}};
const Flags kExpWrite = {{"create_only", 1},
                         {"update_only", 2},
                         {"allow_delete", 4},
                         {"policy_no_fail", 8},
                         {"eval_no_fail", 16}};

// One operation object, with the fields it used ticked off so leftovers can be reported.
class OpReader {
 public:
  OpReader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Status Error(const std::string& what) const { return Bad(where_ + ": " + what); }
  bool Has(const std::string& k) const { return j_.contains(k); }
  const json& Take(const std::string& k) {
    used_.insert(k);
    return j_.at(k);
  }

  Result<std::string> String(const std::string& k) {
    if (!Has(k)) return Error("missing \"" + k + "\"");
    const json& v = Take(k);
    if (!v.is_string()) return Error("\"" + k + "\" must be a string");
    return v.get<std::string>();
  }
  Result<Value> ValueOf(const std::string& k) {
    if (!Has(k)) return Error("missing \"" + k + "\"");
    Result<Value> v = FromJson(Take(k));
    if (!v.ok()) return Error("\"" + k + "\": " + v.status().message());
    return v;
  }
  Result<bool> Bool(const std::string& k) {
    if (!Has(k)) return false;
    const json& v = Take(k);
    if (!v.is_boolean()) return Error("\"" + k + "\" must be true or false");
    return v.get<bool>();
  }
  // A number, or an array of flag names.
  Result<uint32_t> FlagsOf(const std::string& k, const Flags& names) {
    if (!Has(k)) return 0u;
    const json& v = Take(k);
    if (v.is_number_unsigned()) return v.get<uint32_t>();
    if (!v.is_array()) return Error("\"" + k + "\" must be a number or an array of flag names");
    uint32_t out = 0;
    for (const json& n : v) {
      auto it = n.is_string() ? names.find(n.get<std::string>()) : names.end();
      if (it == names.end()) {
        std::string known;
        for (const auto& [name, bit] : names) known += (known.empty() ? "" : ", ") + name;
        return Error("unknown flag " + n.dump() + " in \"" + k + "\" (known: " + known + ")");
      }
      out |= it->second;
    }
    return out;
  }
  // A name of `e` after `prefix` ("value" → RETURN_VALUE).
  Result<int> EnumOf(const std::string& k, const google::protobuf::EnumDescriptor* e,
                     const std::string& prefix) {
    Result<std::string> name = String(k);
    if (!name.ok()) return name.status();
    const auto* d = e->FindValueByName(prefix + Upper(*name));
    if (d == nullptr) return Error("unknown \"" + k + "\" " + json(*name).dump());
    return d->number();
  }

  Status CheckAllUsed() const {
    for (const auto& [k, v] : j_.items()) {
      if (!used_.contains(k)) return Error("unknown field \"" + k + "\"");
    }
    return Status();
  }

 private:
  const json& j_;
  std::string where_;
  std::set<std::string> used_;
};

bool HasType(const Value& v, v1::LayoutItem::Type t) {
  switch (t) {
    case v1::LayoutItem::Type::kInt:
      return v.is_int();
    case v1::LayoutItem::Type::kList:
      return v.is_list();
    case v1::LayoutItem::Type::kMap:
      return v.is_map();
    case v1::LayoutItem::Type::kBool:
      return v.is_bool();
    case v1::LayoutItem::Type::kBytes:
      return v.is_bytes();
    default:
      return true;
  }
}

const char* TypeText(v1::LayoutItem::Type t) {
  switch (t) {
    case v1::LayoutItem::Type::kInt:
      return "an integer";
    case v1::LayoutItem::Type::kList:
      return "a list";
    case v1::LayoutItem::Type::kMap:
      return "a map";
    case v1::LayoutItem::Type::kBool:
      return "true or false";
    case v1::LayoutItem::Type::kBytes:
      return "bytes ({\"blob\": \"<base64>\"})";
    default:
      return "a value";
  }
}

// The arguments named by `layout`, in order; stops at the first absent optional one.
Result<std::vector<Value>> Args(OpReader& r, const std::vector<v1::LayoutItem>& layout,
                                std::set<std::string>* policies) {
  std::vector<Value> args;
  bool absent = false;
  for (const v1::LayoutItem& item : layout) {
    if (item.type == v1::LayoutItem::Type::kPolicy) {
      policies->insert(item.name);
      continue;
    }
    if (!r.Has(item.name)) {
      if (!item.optional) return r.Error("missing \"" + item.name + "\"");
      absent = true;
      continue;
    }
    if (absent) return r.Error("\"" + item.name + "\" needs the arguments before it");
    Result<Value> v = r.ValueOf(item.name);
    if (!v.ok()) return v.status();
    if (!HasType(*v, item.type)) {
      return r.Error("\"" + item.name + "\" must be " + TypeText(item.type));
    }
    args.push_back(std::move(*v));
  }
  return args;
}

const char kCtxStepHelp[] =
    "list_index, list_rank, list_value, map_index, map_rank, map_key, map_value";

// {"map_key": "a"}: one step of a context or path (`field`); "create" is the caller's.
Result<v1::ContextStep> ContextStepOf(OpReader& r, const std::string& field, const std::string& k,
                                      const json& v, const std::string& bad) {
  Result<Value> value = FromJson(v);
  if (!value.ok()) return r.Error(field + " " + k + ": " + value.status().message());
  const bool positional = k.ends_with("_index") || k.ends_with("_rank");
  if (positional && !value->is_int()) return r.Error(field + " " + k + " must be an integer");
  if (k == "list_index") return CtxListIndex(value->as_int());
  if (k == "list_rank") return CtxListRank(value->as_int());
  if (k == "list_value") return CtxListValue(*value);
  if (k == "map_index") return CtxMapIndex(value->as_int());
  if (k == "map_rank") return CtxMapRank(value->as_int());
  if (k == "map_key") return CtxMapKey(*value);
  if (k == "map_value") return CtxMapValue(*value);
  return r.Error(bad);
}

// Steps like {"map_key": "a"} or {"list_index": 0, "create": "ordered"}.
Result<Ctx> ContextOf(OpReader& r) {
  Ctx ctx;
  if (!r.Has("ctx")) return ctx;
  const json& steps = r.Take("ctx");
  if (!steps.is_array()) return r.Error("\"ctx\" must be an array of steps");
  const std::string bad = std::string("a ctx step is an object with one of ") + kCtxStepHelp +
                          " (and \"create\" for list_index and map_key)";
  for (const json& s : steps) {
    if (!s.is_object() || s.size() != (s.contains("create") ? 2u : 1u)) return r.Error(bad);
    const auto& [k, v] = *std::find_if(s.items().begin(), s.items().end(),
                                       [](const auto& e) { return e.key() != "create"; });
    Result<v1::ContextStep> step = ContextStepOf(r, "ctx", k, v, bad);
    if (!step.ok()) return step.status();
    if (s.contains("create")) {
      static const Flags kListCreate = {
          {"unordered", 0x40}, {"unordered_padded", 0x80}, {"ordered", 0xc0}};
      static const Flags kMapCreate = {
          {"unordered", 0x40}, {"key_ordered", 0x80}, {"key_value_ordered", 0xc0}};
      if (k != "list_index" && k != "map_key") return r.Error(bad);
      const Flags& names = k == "list_index" ? kListCreate : kMapCreate;
      const json& c = s.at("create");
      auto it = c.is_string() ? names.find(c.get<std::string>()) : names.end();
      if (it == names.end()) return r.Error("unknown ctx create " + c.dump());
      step->set_create(it->second);
    }
    ctx.push_back(std::move(*step));
  }
  return ctx;
}

// Steps like {"map_key": "a"}, {"all": true} or {"filter": {"blob": "<base64>"}}.
Result<Path> PathOf(OpReader& r) {
  if (!r.Has("path")) return r.Error("missing \"path\"");
  const json& steps = r.Take("path");
  if (!steps.is_array() || steps.empty()) return r.Error("\"path\" must be an array of steps");
  const std::string bad = std::string(
                              "a path step is an object with one of all (true), filter ({\"blob\": "
                              "\"<base64>\"} of a packed expression), ") +
                          kCtxStepHelp;
  Path path;
  for (const json& s : steps) {
    if (!s.is_object() || s.size() != 1) return r.Error(bad);
    const auto& [k, v] = *s.items().begin();
    if (k == "all") {
      if (v != true) return r.Error("path step \"all\" must be true");
      path.push_back(PathAllChildren());
    } else if (k == "filter") {
      Result<Value> exp = FromJson(v);
      if (!exp.ok() || !exp->is_bytes()) {
        return r.Error("path step \"filter\" must be {\"blob\": \"<base64>\"}");
      }
      path.push_back(PathFilter(exp->as_bytes().data));
    } else {
      Result<v1::ContextStep> step = ContextStepOf(r, "path", k, v, bad);
      if (!step.ok()) return step.status();
      path.push_back(PathStep(std::move(*step)));
    }
  }
  return path;
}

Result<Operation> Simple(OpReader& r, const std::string& name) {
  Operation op;
  if (name == "touch") return Operation::Touch();
  if (name == "delete") return Operation::Delete();
  if (name == "read") {
    if (!r.Has("bin")) return Operation::Read();
    Result<std::string> bin = r.String("bin");
    if (!bin.ok()) return bin.status();
    return Operation::Read(*bin);
  }
  Result<std::string> bin = r.String("bin");
  if (!bin.ok()) return bin.status();
  Result<Value> v = r.ValueOf("value");
  if (!v.ok()) return v.status();
  if (name == "write") return Operation::Write(*bin, *v);
  if (name == "incr") return Operation::Incr(*bin, *v);
  if (name == "append") return Operation::Append(*bin, *v);
  return Operation::Prepend(*bin, *v);
}

// "exp": {"blob": "<base64>"}, the expression packed as the Aerospike clients pack it.
Result<std::string> PackedExpression(OpReader& r) {
  if (!r.Has("exp"))
    return r.Error("missing \"exp\" ({\"blob\": \"<base64>\"} of the packed expression)");
  Result<Value> exp = r.ValueOf("exp");
  if (!exp.ok()) return exp.status();
  if (!exp->is_bytes()) return r.Error("\"exp\" must be {\"blob\": \"<base64>\"}");
  return exp->as_bytes().data;
}

Result<Operation> Expression(OpReader& r, bool write) {
  Result<std::string> bin = r.String("bin");
  if (!bin.ok()) return bin.status();
  Result<std::string> exp = PackedExpression(r);
  if (!exp.ok()) return exp.status();
  Result<uint32_t> flags = r.FlagsOf("flags", write ? kExpWrite : kExpRead);
  if (!flags.ok()) return flags.status();
  return write ? ExpWrite(*bin, *std::move(exp), *flags) : ExpRead(*bin, *std::move(exp), *flags);
}

Result<Operation> PathOperation(OpReader& r, bool apply) {
  Result<std::string> bin = r.String("bin");
  if (!bin.ok()) return bin.status();
  Result<Path> path = PathOf(r);
  if (!path.ok()) return path.status();
  Result<bool> no_fail = r.Bool("no_fail");
  if (!no_fail.ok()) return no_fail.status();
  if (apply) {
    Result<std::string> exp = PackedExpression(r);
    if (!exp.ok()) return exp.status();
    return PathApply(*bin, std::move(*path), *std::move(exp), *no_fail);
  }
  if (!r.Has("return")) {
    return r.Error("missing \"return\" (matching_tree, value, map_key or map_key_value)");
  }
  Result<int> result = r.EnumOf("return", v1::PathOperation::Result_descriptor(), "");
  if (!result.ok()) return result.status();
  return PathSelect(*bin, std::move(*path), static_cast<PathResult>(*result), *no_fail);
}

Result<Operation> Typed(OpReader& r, const std::string& family, const std::string& kind_name) {
  const google::protobuf::EnumDescriptor* kinds =
      family == "list"  ? v1::ListOperation::Kind_descriptor()
      : family == "map" ? v1::MapOperation::Kind_descriptor()
      : family == "bit" ? v1::BitOperation::Kind_descriptor()
                        : v1::HllOperation::Kind_descriptor();
  const auto* kind = kinds->FindValueByName(Upper(kind_name));
  std::optional<std::vector<v1::LayoutItem>> layout = v1::LayoutOf(kind);
  if (!layout) return r.Error("unknown operation");
  Result<std::string> bin = r.String("bin");
  if (!bin.ok()) return bin.status();
  std::set<std::string> policies;
  Result<std::vector<Value>> args = Args(r, *layout, &policies);
  if (!args.ok()) return args.status();
  auto allowed = [&](const char* field, const char* policy) -> Status {
    if (r.Has(field) && !policies.contains(policy))
      return r.Error(std::string("takes no \"") + field + "\"");
    return Status();
  };
  // Policy fields only where the kind's layout uses them.
  static const std::pair<const char*, const char*> kPolicyFields[] = {
      {"return", "return"}, {"inverted", "return"}, {"order", "order"},    {"flags", "flags"},
      {"sort", "sort"},     {"resize", "resize"},   {"overflow", "action"}};
  for (const auto& [field, policy] : kPolicyFields) {
    if (Status s = allowed(field, policy); !s.ok()) return s;
  }
  if (r.Has("signed") && !policies.contains("action") && !policies.contains("signed")) {
    return r.Error("takes no \"signed\"");
  }
  int rt = 0;
  if (policies.contains("return")) {
    if (!r.Has("return")) return r.Error("missing \"return\" (value, count, key, index, ...)");
    Result<int> v = r.EnumOf("return", v1::ReturnType_descriptor(), "RETURN_");
    if (!v.ok()) return v.status();
    rt = *v;
  }
  Result<bool> inverted = r.Bool("inverted");
  if (!inverted.ok()) return inverted.status();
  Result<Ctx> ctx = (family == "list" || family == "map") ? ContextOf(r) : Result<Ctx>(Ctx{});
  if (!ctx.ok()) return ctx.status();

  if (family == "list") {
    ListOptions o;
    o.return_type = static_cast<ReturnType>(rt);
    o.inverted = *inverted;
    if (r.Has("order")) {
      Result<int> v = r.EnumOf("order", v1::ListOrder_descriptor(), "LIST_");
      if (!v.ok()) return v.status();
      o.order = static_cast<v1::ListOrder>(*v);
    }
    Result<uint32_t> flags = r.FlagsOf("flags", kListWrite);
    Result<uint32_t> sort = r.FlagsOf("sort", kListSort);
    if (!flags.ok()) return flags.status();
    if (!sort.ok()) return sort.status();
    o.write_flags = *flags;
    o.sort_flags = *sort;
    o.ctx = std::move(*ctx);
    return ListOp(*bin, static_cast<ListKind>(kind->number()), std::move(*args), std::move(o));
  }
  if (family == "map") {
    MapOptions o;
    o.return_type = static_cast<ReturnType>(rt);
    o.inverted = *inverted;
    if (r.Has("order")) {
      Result<int> v = r.EnumOf("order", v1::MapOrder_descriptor(), "MAP_");
      if (!v.ok()) return v.status();
      o.order = static_cast<v1::MapOrder>(*v);
    }
    Result<uint32_t> flags = r.FlagsOf("flags", kMapWrite);
    if (!flags.ok()) return flags.status();
    o.write_flags = *flags;
    o.ctx = std::move(*ctx);
    return MapOp(*bin, static_cast<MapKind>(kind->number()), std::move(*args), std::move(o));
  }
  if (family == "bit") {
    BitOptions o;
    Result<uint32_t> flags = r.FlagsOf("flags", kBitWrite);
    Result<uint32_t> resize = r.FlagsOf("resize", kBitResize);
    Result<bool> is_signed = r.Bool("signed");
    if (!flags.ok()) return flags.status();
    if (!resize.ok()) return resize.status();
    if (!is_signed.ok()) return is_signed.status();
    if (r.Has("overflow")) {
      Result<int> v = r.EnumOf("overflow", v1::BitOperation::Overflow_descriptor(), "OVERFLOW_");
      if (!v.ok()) return v.status();
      o.overflow = static_cast<v1::BitOperation::Overflow>(*v);
    }
    o.write_flags = *flags;
    o.resize_flags = *resize;
    o.is_signed = *is_signed;
    return BitOp(*bin, static_cast<BitKind>(kind->number()), std::move(*args), o);
  }
  Result<uint32_t> flags = r.FlagsOf("flags", kHllWrite);
  if (!flags.ok()) return flags.status();
  return HllOp(*bin, static_cast<HllKind>(kind->number()), std::move(*args), *flags);
}

Result<Operation> ParseOne(const json& j, size_t index) {
  std::string where = "operation " + std::to_string(index + 1);
  if (!j.is_object()) return Bad(where + ": must be an object like {\"op\": \"read\"}");
  if (!j.contains("op") || !j.at("op").is_string()) return Bad(where + ": missing \"op\"");
  const std::string name = j.at("op").get<std::string>();
  OpReader r(j, where + " (" + name + ")");
  r.Take("op");
  Result<Operation> op = Bad("");
  static const std::set<std::string> kSimple = {"read",    "write", "incr",  "append",
                                                "prepend", "touch", "delete"};
  const size_t underscore = name.find('_');
  const std::string family = name.substr(0, underscore);
  if (kSimple.contains(name)) {
    op = Simple(r, name);
  } else if (name == "exp_read" || name == "exp_write") {
    op = Expression(r, name == "exp_write");
  } else if (name == "path_select" || name == "path_apply") {
    op = PathOperation(r, name == "path_apply");
  } else if (underscore != std::string::npos &&
             (family == "list" || family == "map" || family == "bit" || family == "hll")) {
    op = Typed(r, family, name.substr(underscore + 1));
  } else {
    return r.Error("unknown operation");
  }
  if (!op.ok()) return op;
  if (Status s = r.CheckAllUsed(); !s.ok()) return s;
  return op;
}

}  // namespace

Result<std::vector<Operation>> ParseOperations(std::string_view json_text) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("operations are not valid JSON");
  if (j.is_object()) j = json::array({j});
  if (!j.is_array() || j.empty()) return Bad("operations must be a JSON array of objects");
  std::vector<Operation> ops;
  for (size_t i = 0; i < j.size(); ++i) {
    Result<Operation> op = ParseOne(j[i], i);
    if (!op.ok()) return op.status();
    ops.push_back(std::move(*op));
  }
  return ops;
}

}  // namespace tern::cli
