#include "record/geo_shape.h"

#include <s2/s1angle.h>
#include <s2/s2cap.h>
#include <s2/s2cell_id.h>
#include <s2/s2error.h>
#include <s2/s2latlng.h>
#include <s2/s2loop.h>
#include <s2/s2polygon.h>
#include <s2/s2region_coverer.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "record/geojson.h"

namespace tern::record {

namespace {

using nlohmann::json;

S2Point PointOf(const json& position) {
  // GeoJSON positions are [longitude, latitude].
  return S2LatLng::FromDegrees(position[1].get<double>(), position[0].get<double>()).ToPoint();
}

// One GeoJSON polygon (an outer ring, then holes) as an S2Polygon; null when S2 finds it invalid
// (a ring crossing itself, repeated vertices, a hole outside its shell or crossing another).
// Rings are normalised: whatever its orientation, a ring bounds the smaller of the two areas it
// splits the sphere in.
std::unique_ptr<S2Polygon> PolygonOf(const json& rings) {
  std::vector<std::unique_ptr<S2Loop>> loops;
  for (const json& ring : rings) {
    std::vector<S2Point> vertices;
    for (size_t i = 0; i + 1 < ring.size(); ++i) vertices.push_back(PointOf(ring[i]));  // closed
    // S2's debug checks abort on invalid input, and IsValid() logs it: checked quietly instead.
    auto loop = std::make_unique<S2Loop>(vertices, S2Debug::DISABLE);
    S2Error error;
    if (vertices.size() < 3 || loop->FindValidationError(&error)) return nullptr;
    loop->Normalize();
    // GeoJSON's later rings are holes of the first; S2 would take a disjoint one as a shell.
    if (!loops.empty() && !loops.front()->Contains(*loop)) return nullptr;
    loops.push_back(std::move(loop));
  }
  auto polygon = std::make_unique<S2Polygon>();
  polygon->set_s2debug_override(S2Debug::DISABLE);
  polygon->InitNested(std::move(loops));
  S2Error error;
  if (polygon->FindValidationError(&error)) return nullptr;
  return polygon;
}

}  // namespace

struct GeoShape::Impl {
  enum Kind { kPoint, kCircle, kPolygons } kind = kPoint;
  GeoCoverOptions options;
  S2Point point;                                     // kPoint
  S2Cap cap;                                         // kCircle
  std::vector<std::unique_ptr<S2Polygon>> polygons;  // kPolygons

  bool Contains(const S2Point& p) const {
    switch (kind) {
      case kPoint:
        return false;
      case kCircle:
        return cap.Contains(p);
      case kPolygons:
        return std::any_of(polygons.begin(), polygons.end(),
                           [&](const auto& poly) { return poly->Contains(p); });
    }
    return false;
  }

  std::vector<S2CellId> Covering() const {
    S2RegionCoverer::Options o;
    o.set_min_level(options.min_level);
    o.set_max_level(options.max_level);
    o.set_max_cells(options.max_cells);
    o.set_level_mod(options.level_mod);
    S2RegionCoverer coverer(o);
    if (kind == kCircle) return coverer.GetCovering(cap).Release();
    std::vector<S2CellId> cells;
    for (const auto& poly : polygons) {
      std::vector<S2CellId> part = coverer.GetCovering(*poly).Release();
      cells.insert(cells.end(), part.begin(), part.end());
    }
    std::sort(cells.begin(), cells.end());
    cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
    return cells;
  }
};

GeoShape::GeoShape(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GeoShape::~GeoShape() = default;

std::unique_ptr<const GeoShape> GeoShape::Parse(std::string_view geojson,
                                                const GeoCoverOptions& options) {
  if (!ValidateGeoJsonStructure(geojson).ok()) return nullptr;  // also each position's range
  const json j = json::parse(geojson, nullptr, /*allow_exceptions=*/false);
  const std::string type = j["type"].get<std::string>();
  const json& c = j["coordinates"];
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (type == "Point") {
    impl->point = PointOf(c);
  } else if (type == "AeroCircle") {
    impl->kind = Impl::kCircle;
    impl->cap = S2Cap(PointOf(c[0]), S1Angle::Radians(c[1].get<double>() / options.earth_radius_m));
  } else {
    impl->kind = Impl::kPolygons;
    const bool multi = type == "MultiPolygon";
    for (const json& rings : multi ? c : json::array({c})) {
      std::unique_ptr<S2Polygon> polygon = PolygonOf(rings);
      if (!polygon) return nullptr;
      impl->polygons.push_back(std::move(polygon));
    }
  }
  return std::unique_ptr<const GeoShape>(new GeoShape(std::move(impl)));
}

bool GeoShape::is_point() const { return impl_->kind == Impl::kPoint; }

std::vector<uint64_t> GeoShape::IndexCells() const {
  if (is_point()) return {S2CellId(impl_->point).id()};
  std::vector<uint64_t> ids;
  for (S2CellId cell : impl_->Covering()) ids.push_back(cell.id());
  return ids;
}

std::vector<std::pair<uint64_t, uint64_t>> GeoShape::QueryRanges() const {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  if (is_point()) {
    // A region containing the point is filed under one of the point's ancestors; every level
    // is looked up so that coverings made with other level options are found too.
    const S2CellId leaf(impl_->point);
    for (int level = 0; level <= S2CellId::kMaxLevel; ++level) {
      const uint64_t id = leaf.parent(level).id();
      ranges.emplace_back(id, id);
    }
    return ranges;
  }
  for (S2CellId cell : impl_->Covering()) {
    ranges.emplace_back(cell.range_min().id(), cell.range_max().id());
  }
  return ranges;
}

bool GeoShape::QueryMatches(const GeoShape& candidate) const {
  if (is_point()) return !candidate.is_point() && candidate.impl_->Contains(impl_->point);
  return candidate.is_point() && impl_->Contains(candidate.impl_->point);
}

}  // namespace tern::record
