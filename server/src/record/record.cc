#include "record/record.h"

#include <algorithm>

namespace tern::record {

const Bin* Record::Find(std::string_view name) const {
  for (const Bin& b : bins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

Bin* Record::Find(std::string_view name) {
  for (Bin& b : bins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

void Record::Set(std::string_view name, Value value) {
  if (value.is_null()) {
    std::erase_if(bins, [&](const Bin& b) { return b.name == name; });
    return;
  }
  if (Bin* b = Find(name)) {
    b->value = std::move(value);
  } else {
    bins.push_back(Bin{std::string(name), std::move(value)});
  }
}

size_t Record::DataSize() const {
  size_t n = key ? key->StoredSize() : 0;
  for (const Bin& b : bins) n += b.name.size() + 1 + b.value.StoredSize();
  return n;
}

}  // namespace tern::record
