// Secondary-index lookups shared by every front door that queries an index (SQL, gRPC
// Query): finds the index a predicate names and the records it matches.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "index/secondary_index.h"
#include "ns/catalog.h"
#include "record/value.h"
#include "txn/engine.h"

namespace tern::query {

// bin = value (integer, string or blob; the value's type picks the index type).
struct IndexEqual {
  record::Value value;
};
// low <= bin <= high over a numeric index.
struct IndexRange {
  int64_t low = 0;
  int64_t high = 0;
};
// Points of a geo2dsphere index within a GeoJSON region.
struct GeoWithin {
  std::string geojson;
};
// Regions of a geo2dsphere index that contain a GeoJSON point.
struct GeoContains {
  std::string geojson;
};
using IndexPredicate = std::variant<IndexEqual, IndexRange, GeoWithin, GeoContains>;

struct IndexQuery {
  std::string ns;
  std::string set;  // empty = an index over every set
  std::string bin;
  index::SindexCollection collection = index::SindexCollection::kDefault;
  IndexPredicate predicate;
};

// The matching records (each digest once, ascending) and the test a record read again must
// still pass. Errors: kNamespaceNotFound, kIndexNotFound (201), kParameterError (4: a range
// whose low is above its high, a value no index type takes, a point for WITHIN or a region
// for CONTAINS), kGeoInvalidGeoJson (160).
absl::StatusOr<txn::QueryMatches> IndexMatches(const ns::Catalog& catalog, const IndexQuery& q);

}  // namespace tern::query
