#include "tern/v1/operation_layout.h"

#include <sstream>

#include "tern/v1/kv.pb.h"

namespace tern::v1 {

namespace {

std::optional<LayoutItem::Type> TypeNamed(const std::string& t) {
  if (t == "int") return LayoutItem::Type::kInt;
  if (t == "any") return LayoutItem::Type::kAny;
  if (t == "list") return LayoutItem::Type::kList;
  if (t == "map") return LayoutItem::Type::kMap;
  if (t == "bool") return LayoutItem::Type::kBool;
  if (t == "bytes") return LayoutItem::Type::kBytes;
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<LayoutItem>> LayoutOf(const google::protobuf::EnumValueDescriptor* kind) {
  if (kind == nullptr || !kind->options().HasExtension(layout)) return std::nullopt;
  std::vector<LayoutItem> items;
  std::istringstream in(kind->options().GetExtension(layout));
  for (std::string part; std::getline(in, part, ',');) {
    LayoutItem item;
    if (part.starts_with('$')) {
      item.type = LayoutItem::Type::kPolicy;
      item.name = part.substr(1);
    } else {
      const size_t colon = part.find(':');
      if (colon == std::string::npos) return std::nullopt;
      std::optional<LayoutItem::Type> t = TypeNamed(part.substr(colon + 1));
      if (!t) return std::nullopt;
      item.type = *t;
      item.name = part.substr(0, colon);
      if (item.name.ends_with('?')) {
        item.optional = true;
        item.name.pop_back();
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace tern::v1
