#include "record/geojson.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"

namespace tern::record {

namespace {

using nlohmann::json;

bool IsPosition(const json& p) {
  if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number()) return false;
  const double lng = p[0].get<double>(), lat = p[1].get<double>();
  return lng >= -180 && lng <= 180 && lat >= -90 && lat <= 90;
}

// A linear ring: at least four positions, closed (first == last).
bool IsRing(const json& r) {
  if (!r.is_array() || r.size() < 4) return false;
  for (const json& p : r) {
    if (!IsPosition(p)) return false;
  }
  return r.front()[0] == r.back()[0] && r.front()[1] == r.back()[1];
}

bool IsPolygon(const json& c) {
  if (!c.is_array() || c.empty()) return false;
  for (const json& ring : c) {
    if (!IsRing(ring)) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateGeoJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](std::string_view why) {
    return base::MakeError(base::ResultCode::kGeoInvalidGeoJson, why);
  };
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return bad("GeoJSON must be an object with a string \"type\"");
  }
  const std::string type = j["type"].get<std::string>();
  const json& c = j.contains("coordinates") ? j["coordinates"] : json();
  if (type == "Point") {
    if (IsPosition(c)) return absl::OkStatus();
  } else if (type == "Polygon") {
    if (IsPolygon(c)) return absl::OkStatus();
  } else if (type == "MultiPolygon") {
    bool ok = c.is_array() && !c.empty();
    for (const json& poly : c.is_array() ? c : json::array()) ok = ok && IsPolygon(poly);
    if (ok) return absl::OkStatus();
  } else if (type == "AeroCircle") {
    // [[lng, lat], radius in meters]
    if (c.is_array() && c.size() == 2 && IsPosition(c[0]) && c[1].is_number() &&
        c[1].get<double>() >= 0) {
      return absl::OkStatus();
    }
  } else {
    return bad("GeoJSON type must be Point, Polygon, MultiPolygon or AeroCircle");
  }
  return bad("GeoJSON coordinates do not fit the type");
}

}  // namespace tern::record
