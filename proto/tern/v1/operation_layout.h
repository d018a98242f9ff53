// The argument layout of a typed operation kind, read from its `layout` option in kv.proto:
// the server packs operations by it and the CLI names their arguments by it, so the order of
// every operation's arguments is written down once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace tern::v1 {

struct LayoutItem {
  enum class Type { kInt, kAny, kList, kMap, kBool, kBytes, kPolicy };
  Type type = Type::kAny;
  std::string name;  // an argument's name, or the policy's ("return", "order", "flags", ...)
  bool optional = false;
};

// The layout of `kind` (a ListOperation/MapOperation/BitOperation/HllOperation Kind value);
// nullopt for a value without one (unknown or unspecified kinds).
std::optional<std::vector<LayoutItem>> LayoutOf(const google::protobuf::EnumValueDescriptor* kind);

}  // namespace tern::v1
