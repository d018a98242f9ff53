#include "record/cdt_args.h"

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "record/packed_element.h"

namespace tern::record {

namespace {

absl::Status BadArgument(std::string_view what) {
  return base::MakeError(base::ResultCode::kParameterError, what);
}

}  // namespace

absl::Status CdtArgs::Count(size_t min, size_t max) const {
  if (args_.size() < min || args_.size() > max) {
    return BadArgument(
        absl::StrCat("operation takes ", min, " to ", max, " arguments, got ", args_.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CdtArgs::Int(size_t i) const {
  ElementReader r(args_[i]);
  std::optional<int64_t> v = r.NextInt();
  if (!v) return BadArgument(absl::StrCat("argument ", i + 1, " must be an integer"));
  return *v;
}

absl::StatusOr<std::optional<uint64_t>> CdtArgs::OptionalUint(size_t i) const {
  if (i >= args_.size()) return std::optional<uint64_t>();
  absl::StatusOr<int64_t> v = Int(i);
  if (!v.ok()) return v.status();
  return std::optional<uint64_t>(static_cast<uint64_t>(*v));
}

absl::StatusOr<std::string_view> CdtArgs::Storable(size_t i) const {
  if (!IsStorable(args_[i])) {
    return BadArgument(absl::StrCat("argument ", i + 1, " cannot be stored"));
  }
  return args_[i];
}

absl::StatusOr<std::vector<std::string_view>> CdtArgs::List(size_t i) const {
  ElementReader r(args_[i]);
  ElementHead h;
  if (!r.ReadHead(&h) || h.type != ElementType::kList) {
    return BadArgument(absl::StrCat("argument ", i + 1, " must be a list"));
  }
  std::vector<std::string_view> out;
  for (uint32_t k = 0; k < h.count; ++k) {
    std::optional<std::string_view> e = r.Next();
    if (!e) return BadArgument("malformed list argument");
    if (k == 0 && TypeOf(*e) == ElementType::kExt) continue;
    out.push_back(*e);
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string_view, std::string_view>>> CdtArgs::Map(
    size_t i) const {
  ElementReader r(args_[i]);
  ElementHead h;
  if (!r.ReadHead(&h) || h.type != ElementType::kMap) {
    return BadArgument(absl::StrCat("argument ", i + 1, " must be a map"));
  }
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (uint32_t k = 0; k < h.count; ++k) {
    std::optional<std::string_view> key = r.Next();
    std::optional<std::string_view> value = key ? r.Next() : std::nullopt;
    if (!value) return BadArgument("malformed map argument");
    if (k == 0 && TypeOf(*key) == ElementType::kExt) continue;
    if (!IsStorable(*key) || !IsStorable(*value)) return BadArgument("map entry cannot be stored");
    out.emplace_back(*key, *value);
  }
  return out;
}

}  // namespace tern::record
