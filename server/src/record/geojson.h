// GeoJSON bin values: the shapes Aerospike accepts (Point, Polygon, MultiPolygon and its
// AeroCircle extension), checked when written so a bad value is refused with
// ERR_GEO_INVALID_GEOJSON instead of being stored.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace tern::record {

absl::Status ValidateGeoJson(std::string_view text);

}  // namespace tern::record
