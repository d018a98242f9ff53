// Nested contexts: the path from a bin's list or map down to the nested list or map an
// operation works on (list index / rank / value, map index / rank / key / value), creating
// missing levels where the path's create flags allow (shared/protocol/aerospike-wire.md §8.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "record/packed_element.h"
#include "record/value.h"

namespace tern::record {

// One step of the path: its type code (with create flags) and its packed argument.
struct CtxItem {
  uint64_t type = 0;
  std::string_view value;
};

// The steps of a packed context list [type, value, type, value, ...].
absl::StatusOr<std::vector<CtxItem>> ParseContext(std::string_view packed);

// Runs `apply` on the element `ctx` selects inside `*root` (a packed list or map; empty when
// the bin does not exist). `apply` sees the element's bytes, or empty when it is being created.
// With `modify`, missing levels are created as the create flags say and the changed element is
// written back up the path (re-sorting ordered lists and maps); a created level `apply` left
// empty is dropped again. A step that finds nothing is kOpNotApplicable.
// Where one step (creating nothing) finds its element in `c`: the list index, or the map entry
// index with `c`'s entries in key order. Nullopt when the step finds nothing or does not fit the
// container's kind; kParameterError for a malformed step.
absl::StatusOr<std::optional<size_t>> FindContextElement(const PackedContainer& c,
                                                         const CtxItem& item);

absl::StatusOr<Value> ApplyInContext(std::string* root, const std::vector<CtxItem>& ctx,
                                     bool modify,
                                     absl::FunctionRef<absl::StatusOr<Value>(std::string*)> apply);

}  // namespace tern::record
