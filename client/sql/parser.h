// The recursive-descent parser of the SQL-like language (docs/sql.md). Errors are parameter
// errors whose message reads "line L, column C: expected FROM after the bin list, got 'FORM'".
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sql/ast.h"

namespace tern::sql {

// Every statement of `text`, each ended by ';' (optional after the last). Empty statements
// (';;') and `--` comments are skipped; empty text gives no statements.
absl::StatusOr<std::vector<Statement>> Parse(std::string_view text);

// Exactly one statement (a trailing ';' is allowed).
absl::StatusOr<Statement> ParseOne(std::string_view text);

// One literal: 12, -1.5, 'text', "text", true, NULL, [1, 'a'], {'k': 1}, GEOJSON('{...}').
absl::StatusOr<Value> ParseValue(std::string_view text);

// Longest names the server accepts (Aerospike's limits).
inline constexpr size_t kMaxNamespaceName = 31;
inline constexpr size_t kMaxSetName = 63;
inline constexpr size_t kMaxBinName = 15;
inline constexpr size_t kMaxIndexName = 255;

}  // namespace tern::sql
