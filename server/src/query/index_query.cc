#include "query/index_query.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/digest.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "record/geo_shape.h"

namespace tern::query {

using base::MakeError;
using base::ResultCode;

namespace {

// The index type a predicate needs: the equality value's type, numeric for ranges.
absl::StatusOr<index::SindexType> TypeFor(const IndexPredicate& p) {
  if (std::holds_alternative<IndexRange>(p)) return index::SindexType::kNumeric;
  if (!std::holds_alternative<IndexEqual>(p)) return index::SindexType::kGeo2dSphere;
  switch (std::get<IndexEqual>(p).value.type()) {
    case record::ParticleType::kInteger:
      return index::SindexType::kNumeric;
    case record::ParticleType::kString:
      return index::SindexType::kString;
    case record::ParticleType::kBlob:
      return index::SindexType::kBlob;
    case record::ParticleType::kGeoJson:
      return MakeError(ResultCode::kParameterError, "GeoJSON takes WITHIN or CONTAINS");
    default:
      return MakeError(ResultCode::kParameterError, "an index matches integers, strings, blobs");
  }
}

std::shared_ptr<index::SecondaryIndex> FindIndex(const ns::Namespace& ns, const IndexQuery& q,
                                                 index::SindexType type) {
  auto all = ns.sindexes();
  if (!all) return nullptr;
  for (const auto& i : *all) {
    const index::SindexDef& d = i->def();
    // Expression and nested-context indexes are addressed through the wire protocol only.
    if (d.bin == q.bin && d.expression.empty() && d.context.empty() && d.type == type &&
        d.collection == q.collection && (d.set.empty() || d.set == q.set) && !i->dropped()) {
      return i;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<txn::QueryMatches> IndexMatches(const ns::Catalog& catalog, const IndexQuery& q) {
  const ns::Namespace* ns = catalog.Find(q.ns);
  if (!ns) return MakeError(ResultCode::kNamespaceNotFound, "no namespace " + q.ns);
  absl::StatusOr<index::SindexType> type = TypeFor(q.predicate);
  if (!type.ok()) return type.status();
  std::shared_ptr<index::SecondaryIndex> idx = FindIndex(*ns, q, *type);
  if (!idx) {
    const std::string collection =
        q.collection == index::SindexCollection::kDefault
            ? std::string()
            : absl::StrCat(base::Absl(index::SindexCollectionName(q.collection)), " ");
    return MakeError(ResultCode::kIndexNotFound,
                     absl::StrCat("no ", collection, "index on bin '", q.bin, "' of ", q.ns,
                                  q.set.empty() ? "" : ".", q.set));
  }

  std::vector<std::pair<std::string, std::string>> ranges;
  txn::QueryMatches m;
  const auto* within = std::get_if<GeoWithin>(&q.predicate);
  const auto* contains = std::get_if<GeoContains>(&q.predicate);
  if (within || contains) {
    std::shared_ptr<const record::GeoShape> shape =
        record::GeoShape::Parse(within ? within->geojson : contains->geojson, idx->geo_options());
    if (!shape) return MakeError(ResultCode::kGeoInvalidGeoJson, "not a valid GeoJSON shape");
    if (shape->is_point() != (contains != nullptr)) {
      return MakeError(ResultCode::kParameterError, "WITHIN takes a region, CONTAINS a point");
    }
    for (auto [lo, hi] : shape->QueryRanges()) {
      ranges.emplace_back(index::SecondaryIndex::CellKey(lo), index::SecondaryIndex::CellKey(hi));
    }
    m.still_matches = [idx, shape](const record::Record& rec) {
      return idx->GeoMatches(rec, *shape);
    };
  } else {
    std::string lo, hi;
    bool keyed;
    if (const auto* range = std::get_if<IndexRange>(&q.predicate)) {
      keyed = idx->KeyOf(record::Value::Integer(range->low), &lo) &&
              idx->KeyOf(record::Value::Integer(range->high), &hi);
    } else {
      keyed = idx->KeyOf(std::get<IndexEqual>(q.predicate).value, &lo);
      hi = lo;
    }
    if (!keyed || lo > hi) return MakeError(ResultCode::kParameterError, "bad index range");
    m.still_matches = [idx, lo, hi](const record::Record& rec) {
      for (const std::string& k : idx->KeysOf(rec)) {
        if (k >= lo && k <= hi) return true;
      }
      return false;
    };
    ranges.emplace_back(std::move(lo), std::move(hi));
  }
  for (const auto& [lo, hi] : ranges) {
    idx->Range(lo, hi, [&](std::string_view, const base::Digest& d) {
      m.digests.push_back(d);
      return true;
    });
  }
  // A record with several matching values (or cells) is read once.
  std::sort(m.digests.begin(), m.digests.end());
  m.digests.erase(std::unique(m.digests.begin(), m.digests.end()), m.digests.end());
  return m;
}

}  // namespace tern::query
