// What the tern CLI reads and prints: `bin=value` arguments (integers, doubles, true/false,
// JSON lists and maps, strings otherwise) and values as JSON, in the same JSON form as the
// admin API (record::ValueToJson), so every tool shows a value the same way.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tern/status.h"
#include "tern/value.h"

namespace tern::cli {

// `text` is what follows `=`.
Result<Value> ParseValueArg(std::string_view text);
// "name=value" → bin; a missing `=` or empty name is an error.
Result<Bin> ParseBinArg(std::string_view arg);

nlohmann::json ToJson(const Value& v);
Result<Value> FromJson(const nlohmann::json& j);

// How a value shows in a table: strings as they are, everything else as compact JSON.
std::string Display(const Value& v);

}  // namespace tern::cli
