// GeoJSON bin values: the shapes Aerospike accepts (Point, Polygon, MultiPolygon and its
// AeroCircle extension), checked when written so a bad value is refused with
// ERR_GEO_INVALID_GEOJSON instead of being stored (and never indexed).
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace tern::record {

// Also refuses regions S2 cannot use (GeoShape::Parse: rings crossing themselves, repeated
// vertices, holes outside their shell), as Aerospike does.
absl::Status ValidateGeoJson(std::string_view text);
// The structure alone: JSON, type, coordinate nesting, position ranges, closed rings.
absl::Status ValidateGeoJsonStructure(std::string_view text);

// The expression geo comparison: true when one value is a point inside the region the other
// describes (circle, polygon with holes, multipolygon), when two points are equal, or when two
// regions share a point (a vertex or centre of one inside the other). Regions are treated as
// planar in longitude/latitude; circles use great-circle distance. Invalid GeoJSON is false.
bool GeoCompare(std::string_view a, std::string_view b);

}  // namespace tern::record
