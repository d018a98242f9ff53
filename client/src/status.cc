#include "tern/status.h"

#include "tern/record.h"

namespace tern {

std::string Status::ToString() const {
  if (ok()) return "ok";
  return message_ + " (result code " + std::to_string(code_) + ")";
}

const Value* Record::Get(const std::string& name) const {
  for (const Bin& b : bins) {
    if (b.name == name) return &b.value;
  }
  return nullptr;
}

}  // namespace tern
