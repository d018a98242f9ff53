// `tern operate`'s operations as JSON: an array of objects such as
// {"op":"list_append","bin":"tags","value":"x"} or
// {"op":"map_get_by_key","bin":"m","key":"a","return":"value"}, turned into libternclient
// operations. Argument names come from each kind's layout in kv.proto; everything is checked
// here, so a bad operation is reported before anything is sent (docs/cli.md).
#pragma once

#include <string_view>
#include <vector>

#include "tern/record.h"
#include "tern/status.h"

namespace tern::cli {

// kInvalidArgument with "operation N (name): what is wrong" for bad input.
Result<std::vector<Operation>> ParseOperations(std::string_view json_text);

}  // namespace tern::cli
