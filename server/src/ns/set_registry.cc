#include "ns/set_registry.h"

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "base/strings.h"

namespace tern::ns {

SetRegistry::SetRegistry() {
  for (auto& s : sets_) s.store(nullptr, std::memory_order_relaxed);
}

absl::StatusOr<uint16_t> SetRegistry::IdFor(std::string_view name) {
  if (name.empty()) return 0;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = ids_.find(base::Absl(name));
    if (it != ids_.end()) return it->second;
  }
  if (name.size() > 63) {
    return base::MakeError(base::ResultCode::kParameterError,
                           absl::StrCat("set name longer than 63 bytes: ", base::Absl(name)));
  }
  absl::MutexLock lock(&mu_);
  auto it = ids_.find(base::Absl(name));
  if (it != ids_.end()) return it->second;
  if (owned_.size() >= kMaxSets) {
    return base::MakeError(base::ResultCode::kServerFull, "too many sets in namespace (1023)");
  }
  auto info = std::make_unique<SetInfo>();
  info->name = std::string(name);
  info->id = static_cast<uint16_t>(owned_.size() + 1);
  sets_[info->id].store(info.get(), std::memory_order_release);
  ids_.emplace(info->name, info->id);
  owned_.push_back(std::move(info));
  return owned_.back()->id;
}

uint16_t SetRegistry::Find(std::string_view name) const {
  if (name.empty()) return 0;
  absl::ReaderMutexLock lock(&mu_);
  auto it = ids_.find(base::Absl(name));
  return it == ids_.end() ? 0 : it->second;
}

std::vector<SetInfo*> SetRegistry::All() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<SetInfo*> out;
  for (const auto& s : owned_) out.push_back(s.get());
  return out;
}

}  // namespace tern::ns
