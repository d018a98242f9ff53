// `tern query`'s arguments as a QuerySpec: the target `ns[.set]`, the `--where` predicate
// (read by the SQL parser, so it is written as in SELECT ... WHERE) and `--in`.
#pragma once

#include <string>

#include "tern/query.h"
#include "tern/status.h"

namespace tern::cli {

// `where` is `bin = v`, `bin BETWEEN a AND b`, `bin WITHIN GEOJSON('region')` or
// `bin CONTAINS GEOJSON('point')`; `in` is empty, list, mapkeys or mapvalues. Bad input is
// result::kInvalidArgument with a one-line message.
Result<QuerySpec> ParseQuery(const std::string& target, const std::string& where,
                             const std::string& in);

}  // namespace tern::cli
