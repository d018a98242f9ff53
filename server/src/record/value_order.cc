#include "record/value_order.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "record/collection.h"
#include "record/packed_element.h"

namespace tern::record {

namespace {

constexpr int kMaxDepth = 64;

template <typename T>
int Sign(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareBytes(std::string_view a, std::string_view b) {
  int c = a.compare(b);  // unsigned bytes; a prefix sorts first
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int CompareDoubles(double a, double b) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  return Sign(a, b);
}

// Moves past the nested elements of a list or map whose head was just read.
bool SkipChildren(ElementReader& r, const ElementHead& h) {
  if (h.type != ElementType::kList && h.type != ElementType::kMap) return true;
  const uint64_t n = uint64_t{h.count} * (h.type == ElementType::kMap ? 2 : 1);
  for (uint64_t i = 0; i < n; ++i) {
    if (!r.Next(kMaxDepth)) return false;
  }
  return true;
}

// Drops a leading order-metadata element (a map's comes with a nil value) and returns the
// remaining count, or nullopt on malformed input.
std::optional<uint32_t> SkipMeta(ElementReader& r, uint32_t count, bool map) {
  if (count == 0) return count;
  ElementReader peek = r;
  ElementHead h;
  if (!peek.ReadHead(&h)) return std::nullopt;
  if (h.type != ElementType::kExt) return count;
  if (!r.Next(kMaxDepth) || (map && !r.Next(kMaxDepth))) return std::nullopt;
  return count - 1;
}

using Entry = std::pair<std::string_view, std::string_view>;

std::optional<std::vector<Entry>> SortedEntries(ElementReader& r, uint32_t count) {
  std::vector<Entry> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::optional<std::string_view> k = r.Next(kMaxDepth);
    if (!k) return std::nullopt;
    std::optional<std::string_view> v = r.Next(kMaxDepth);
    if (!v) return std::nullopt;
    out.emplace_back(*k, *v);
  }
  std::stable_sort(out.begin(), out.end(), [](const Entry& x, const Entry& y) {
    return CompareElements(x.first, y.first) < 0;
  });
  return out;
}

// Compares the elements at both cursors. On a 0 result both cursors are past their element;
// otherwise their positions are unspecified. *ok turns false on malformed input.
int CompareAt(ElementReader& ra, ElementReader& rb, int depth, bool* ok) {
  ElementHead a, b;
  if (depth > kMaxDepth || !ra.ReadHead(&a) || !rb.ReadHead(&b)) {
    *ok = false;
    return 0;
  }
  if (a.type == ElementType::kWildcard || b.type == ElementType::kWildcard) {
    if (!SkipChildren(ra, a) || !SkipChildren(rb, b)) *ok = false;
    return 0;
  }
  if (a.type != b.type) return Sign(a.type, b.type);
  switch (a.type) {
    case ElementType::kInt:
      return Sign(a.integer, b.integer);
    case ElementType::kDouble:
      return CompareDoubles(a.dbl, b.dbl);
    case ElementType::kString:
    case ElementType::kBytes:
    case ElementType::kGeoJson:
    case ElementType::kExt:
      return CompareBytes(a.payload, b.payload);
    case ElementType::kList: {
      std::optional<uint32_t> na = SkipMeta(ra, a.count, false);
      std::optional<uint32_t> nb = SkipMeta(rb, b.count, false);
      if (!na || !nb) {
        *ok = false;
        return 0;
      }
      const uint32_t n = std::min(*na, *nb);
      for (uint32_t i = 0; i < n; ++i) {
        if (int c = CompareAt(ra, rb, depth + 1, ok); c != 0 || !*ok) return c;
      }
      if (*na != *nb) return Sign(*na, *nb);
      return 0;
    }
    case ElementType::kMap: {
      std::optional<uint32_t> na = SkipMeta(ra, a.count, true);
      std::optional<uint32_t> nb = SkipMeta(rb, b.count, true);
      if (!na || !nb) {
        *ok = false;
        return 0;
      }
      if (*na != *nb) return Sign(*na, *nb);
      std::optional<std::vector<Entry>> ea = SortedEntries(ra, *na);
      std::optional<std::vector<Entry>> eb = SortedEntries(rb, *nb);
      if (!ea || !eb) {
        *ok = false;
        return 0;
      }
      for (uint32_t i = 0; i < *na; ++i) {
        if (int c = CompareElements((*ea)[i].first, (*eb)[i].first); c != 0) return c;
        if (int c = CompareElements((*ea)[i].second, (*eb)[i].second); c != 0) return c;
      }
      return 0;
    }
    default:  // nil, false, true, infinity: the type says it all
      return 0;
  }
}

}  // namespace

int CompareElements(std::string_view a, std::string_view b) {
  ElementReader ra(a), rb(b);
  bool ok = true;
  int c = CompareAt(ra, rb, 0, &ok);
  return ok ? c : CompareBytes(a, b);
}

int CompareValues(const Value& a, const Value& b) {
  return CompareElements(PackValue(a), PackValue(b));
}

}  // namespace tern::record
