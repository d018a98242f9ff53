// Builders for packed collection operations and a readable form of their answers, shared by
// the cdt_*_test.cc files.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/result_code.h"
#include "record/cdt_operation.h"
#include "record/collection.h"
#include "record/packed_element.h"

namespace tern::record::testing {

inline std::string I(int64_t v) { return PackInt(v); }
inline std::string S(const std::string& s) { return PackValue(Value::String(s)); }
inline std::string D(double d) { return PackDouble(d); }
inline std::string Nil() { return PackNil(); }
inline std::string L(const std::vector<std::string>& items, uint8_t flags = 0) {
  return JoinContainer(false, flags, {items.begin(), items.end()});
}
inline std::string M(const std::vector<std::pair<std::string, std::string>>& entries,
                     uint8_t flags = 0) {
  std::vector<std::string_view> elements;
  for (const auto& [k, v] : entries) {
    elements.push_back(k);
    elements.push_back(v);
  }
  return JoinContainer(true, flags, elements);
}
// [op, args...] and [0xff, context, [op, args...]].
inline std::string Op(int64_t code, std::vector<std::string> args = {}) {
  args.insert(args.begin(), I(code));
  return L(args);
}
inline std::string InCtx(const std::vector<std::string>& ctx, const std::string& op) {
  return L({I(0xff), L(ctx), op});
}

inline Value ListBin(const std::string& packed) { return Value::List(packed); }
inline Value MapBin(const std::string& packed) { return Value::Map(packed); }

// JSON of a value (maps with string keys as objects), or "error <code>".
inline std::string Show(const absl::StatusOr<Value>& v) {
  if (!v.ok()) return "error " + std::to_string(static_cast<int>(base::ResultCodeOf(v.status())));
  return ValueToJson(*v).dump();
}
inline std::string Show(const Value& v) { return ValueToJson(v).dump(); }

// Runs a modify op on `bin` and returns "<answer> -> <bin>".
inline std::string Modify(Value* bin, const std::string& op) {
  absl::StatusOr<Value> r = CdtModify(op, bin);
  return Show(r) + " -> " + Show(*bin);
}

}  // namespace tern::record::testing
