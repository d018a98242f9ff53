// EXPLAIN: how a statement reaches its records — by primary key, through a secondary index, by
// scanning the namespace or set, or not at all (metadata statements such as SHOW).
#pragma once

#include <string>
#include <string_view>

#include "sql/ast.h"

namespace tern::sql {

enum class Plan {
  kPrimaryKeyLookup,  // INSERT, DELETE, SELECT/EXECUTE ... WHERE PK = v
  kIndexQuery,        // SELECT/AGGREGATE ... WHERE bin = v | bin BETWEEN a AND b
  kScan,              // SELECT/EXECUTE/AGGREGATE without WHERE
  kMetadata,          // CREATE/DROP INDEX, REGISTER/REMOVE MODULE, SHOW, TRUNCATE
};

Plan Explain(const Statement& statement);

// "primary-key lookup", "index query", "scan", "metadata".
std::string_view PlanName(Plan plan);

// One line for EXPLAIN's answer, e.g. "SELECT: index query on test.demo, bin 'age' BETWEEN 1
// AND 9" or "SELECT: primary-key lookup on test.demo, PK = \"k1\"".
std::string DescribePlan(const Statement& statement);

}  // namespace tern::sql
