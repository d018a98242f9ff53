// A GeoJSON value as a shape on the sphere, for geo2dsphere indexes and queries: the S2 cells
// an index files it under, the cell-id ranges a query looks up, and the exact test a query
// applies to each candidate. Built on Google's S2 library (Debian libs2), kept behind this
// header so only geo_shape.cc sees it.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::record {

// How regions are covered (Aerospike's geo2dsphere-within defaults).
struct GeoCoverOptions {
  int min_level = 1;
  int max_level = 20;
  int max_cells = 12;
  int level_mod = 1;
  double earth_radius_m = 6371000;
};

class GeoShape {
 public:
  // Null for text that is not a valid Point, Polygon, MultiPolygon or AeroCircle (for
  // instance a ring that crosses itself).
  static std::unique_ptr<const GeoShape> Parse(std::string_view geojson,
                                               const GeoCoverOptions& options = {});
  ~GeoShape();

  bool is_point() const;

  // The cell ids an index keys this value by: a point's leaf cell, a region's covering.
  std::vector<uint64_t> IndexCells() const;

  // The inclusive cell-id ranges holding every index entry this shape, as a query, can match:
  // for a point (regions containing it) its cell at every level; for a region (points
  // within it) the id ranges its covering spans.
  std::vector<std::pair<uint64_t, uint64_t>> QueryRanges() const;

  // The exact test of this shape as a query against a stored value: a point query matches
  // regions that contain it; a region query matches points inside it.
  bool QueryMatches(const GeoShape& candidate) const;

 private:
  struct Impl;
  explicit GeoShape(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern::record
