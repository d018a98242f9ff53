#include "record/geojson.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "record/geo_shape.h"

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

absl::Status ValidateGeoJsonStructure(std::string_view text) {
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

absl::Status ValidateGeoJson(std::string_view text) {
  if (absl::Status s = ValidateGeoJsonStructure(text); !s.ok()) return s;
  if (!GeoShape::Parse(text)) {
    return base::MakeError(base::ResultCode::kGeoInvalidGeoJson,
                           "GeoJSON region is not a valid shape on the sphere");
  }
  return absl::OkStatus();
}

namespace {

using Pos = std::pair<double, double>;  // longitude, latitude
using Ring = std::vector<Pos>;

struct Shape {
  enum Kind { kPoint, kCircle, kPolygons } kind = kPoint;
  Pos point;                                // the point, or the circle's centre
  double radius_m = 0;                      // kCircle
  std::vector<std::vector<Ring>> polygons;  // kPolygons: each an outer ring and its holes
};

std::optional<Shape> ParseShape(std::string_view text) {
  if (!ValidateGeoJson(text).ok()) return std::nullopt;
  json j = json::parse(text, nullptr, false);
  const std::string type = j["type"].get<std::string>();
  const json& c = j["coordinates"];
  auto pos = [](const json& p) { return Pos{p[0].get<double>(), p[1].get<double>()}; };
  auto polygon = [&](const json& rings) {
    std::vector<Ring> out;
    for (const json& r : rings) {
      Ring ring;
      for (const json& p : r) ring.push_back(pos(p));
      out.push_back(std::move(ring));
    }
    return out;
  };
  Shape s;
  if (type == "Point") {
    s.point = pos(c);
  } else if (type == "AeroCircle") {
    s.kind = Shape::kCircle;
    s.point = pos(c[0]);
    s.radius_m = c[1].get<double>();
  } else if (type == "Polygon") {
    s.kind = Shape::kPolygons;
    s.polygons.push_back(polygon(c));
  } else {
    s.kind = Shape::kPolygons;
    for (const json& poly : c) s.polygons.push_back(polygon(poly));
  }
  return s;
}

double DistanceMeters(Pos a, Pos b) {
  constexpr double kEarthRadiusM = 6371000.0;
  constexpr double kRad = M_PI / 180.0;
  const double dlat = (b.second - a.second) * kRad, dlng = (b.first - a.first) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.second * kRad) * std::cos(b.second * kRad) * std::sin(dlng / 2) *
                       std::sin(dlng / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

// Even-odd ray casting.
bool InRing(Pos p, const Ring& ring) {
  bool in = false;
  for (size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    const Pos& a = ring[i];
    const Pos& b = ring[j];
    if ((a.second > p.second) != (b.second > p.second) &&
        p.first < (b.first - a.first) * (p.second - a.second) / (b.second - a.second) + a.first) {
      in = !in;
    }
  }
  return in;
}

bool Contains(const Shape& region, Pos p) {
  switch (region.kind) {
    case Shape::kPoint:
      return region.point == p;
    case Shape::kCircle:
      return DistanceMeters(region.point, p) <= region.radius_m;
    case Shape::kPolygons:
      for (const auto& poly : region.polygons) {
        if (poly.empty() || !InRing(p, poly[0])) continue;
        bool in_hole = false;
        for (size_t h = 1; h < poly.size() && !in_hole; ++h) in_hole = InRing(p, poly[h]);
        if (!in_hole) return true;
      }
      return false;
  }
  return false;
}

// Points that stand for a shape when testing overlap: its centre or its vertices.
std::vector<Pos> Probes(const Shape& s) {
  if (s.kind != Shape::kPolygons) return {s.point};
  std::vector<Pos> out;
  for (const auto& poly : s.polygons) {
    if (!poly.empty()) out.insert(out.end(), poly[0].begin(), poly[0].end());
  }
  return out;
}

}  // namespace

bool GeoCompare(std::string_view a, std::string_view b) {
  std::optional<Shape> sa = ParseShape(a), sb = ParseShape(b);
  if (!sa || !sb) return false;
  if (sa->kind == Shape::kPoint) return Contains(*sb, sa->point);
  if (sb->kind == Shape::kPoint) return Contains(*sa, sb->point);
  for (const Pos& p : Probes(*sa)) {
    if (Contains(*sb, p)) return true;
  }
  for (const Pos& p : Probes(*sb)) {
    if (Contains(*sa, p)) return true;
  }
  return false;
}

}  // namespace tern::record
