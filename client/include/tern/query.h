// tern::QuerySpec: a secondary-index query for Client::Query — one predicate over one indexed
// bin (docs/indexes.md), streamed and resumable like a scan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tern/record.h"
#include "tern/value.h"

namespace tern {

struct QuerySpec {
  // Which of the bin's indexes: its own value, or the elements of a list / keys or values of
  // a map (the numbering of tern.v1.QueryRequest.Collection).
  enum class Collection { kDefault = 0, kList = 1, kMapKeys = 2, kMapValues = 3 };
  struct Equal {  // integer, string or bytes: the value picks the index type
    Value value;
  };
  struct Range {  // inclusive, over a numeric index
    int64_t low = 0;
    int64_t high = 0;
  };
  struct GeoWithin {  // GeoJSON region: the points within it
    std::string geojson;
  };
  struct GeoContains {  // GeoJSON point: the regions containing it
    std::string geojson;
  };

  std::string ns;
  std::string set;                // empty = every set
  std::vector<std::string> bins;  // empty = every bin
  std::string index_bin;
  Collection collection = Collection::kDefault;
  std::variant<Equal, Range, GeoWithin, GeoContains> where;
  bool metadata_only = false;
  uint64_t max_records = 0;          // 0 = no limit
  std::optional<ScanCursor> resume;  // continue a previous query
};

}  // namespace tern
