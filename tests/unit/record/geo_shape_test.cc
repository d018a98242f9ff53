#include "record/geo_shape.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::record {
namespace {

std::string Point(double lng, double lat) {
  return "{\"type\":\"Point\",\"coordinates\":[" + std::to_string(lng) + "," + std::to_string(lat) +
         "]}";
}

// The official suite's shapes: a 2°×2° square around Singapore (drawn clockwise), a smaller
// query box inside it, and a circle.
const char kSquare[] =
    R"({"type":"Polygon","coordinates":[[[102.913,0.308],[102.913,2.308],[104.913,2.308],)"
    R"([104.913,0.308],[102.913,0.308]]]})";
const char kBox[] =
    R"({"type":"Polygon","coordinates":[[[103,1.3],[104,1.3],[104,1.4],[103,1.4],[103,1.3]]]})";
const char kCircle[] = R"({"type":"AeroCircle","coordinates":[[103.9135,1.3085],15000]})";

bool InRanges(uint64_t id, const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  for (auto [lo, hi] : ranges) {
    if (id >= lo && id <= hi) return true;
  }
  return false;
}

TEST(GeoShapeTest, ParsesTheFourTypesAndRefusesBadShapes) {
  EXPECT_NE(GeoShape::Parse(Point(1, 2)), nullptr);
  EXPECT_NE(GeoShape::Parse(kSquare), nullptr);
  EXPECT_NE(GeoShape::Parse(kCircle), nullptr);
  EXPECT_NE(GeoShape::Parse(std::string(R"({"type":"MultiPolygon","coordinates":[)") +
                            R"([[[0,0],[1,0],[1,1],[0,1],[0,0]]],)" +
                            R"([[[5,5],[6,5],[6,6],[5,6],[5,5]]]]})"),
            nullptr);
  EXPECT_EQ(GeoShape::Parse("not json"), nullptr);
  EXPECT_EQ(GeoShape::Parse(R"({"type":"Point","coordinates":[200,0]})"), nullptr);
  // A bow tie crosses itself; a repeated vertex is degenerate: S2 refuses both, without aborting.
  EXPECT_EQ(
      GeoShape::Parse(R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]})"),
      nullptr);
  EXPECT_EQ(
      GeoShape::Parse(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,0],[0,1],[0,0]]]})"),
      nullptr);
}

TEST(GeoShapeTest, PointIsIndexedByItsLeafCell) {
  auto p = GeoShape::Parse(Point(103.913, 1.308));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->is_point());
  ASSERT_EQ(p->IndexCells().size(), 1u);
  EXPECT_EQ(p->IndexCells()[0] & 1, 1u);  // a leaf id ends in the lowest bit
}

TEST(GeoShapeTest, RegionQueryRangesHoldThePointsInsideAndTheExactTestDecides) {
  auto box = GeoShape::Parse(kBox);
  ASSERT_NE(box, nullptr);
  auto ranges = box->QueryRanges();
  ASSERT_FALSE(ranges.empty());
  EXPECT_LE(ranges.size(), 12u);  // max-cells
  auto inside = GeoShape::Parse(Point(103.913, 1.308));
  auto outside = GeoShape::Parse(Point(-122.101, 37.421));
  auto near = GeoShape::Parse(Point(103.5, 1.45));  // just north of the box
  EXPECT_TRUE(InRanges(inside->IndexCells()[0], ranges));
  EXPECT_FALSE(InRanges(outside->IndexCells()[0], ranges));
  EXPECT_TRUE(box->QueryMatches(*inside));
  EXPECT_FALSE(box->QueryMatches(*outside));
  EXPECT_FALSE(box->QueryMatches(*near));
  // Points within a region: a stored region never matches, even one overlapping the query.
  EXPECT_FALSE(box->QueryMatches(*GeoShape::Parse(kSquare)));
}

TEST(GeoShapeTest, CircleContainsByGreatCircleDistance) {
  auto circle = GeoShape::Parse(kCircle);
  ASSERT_NE(circle, nullptr);
  EXPECT_TRUE(circle->QueryMatches(*GeoShape::Parse(Point(103.913, 1.308))));
  // About 0.2° of latitude (22 km) north of the centre: outside 15 km.
  EXPECT_FALSE(circle->QueryMatches(*GeoShape::Parse(Point(103.9135, 1.5085))));
  EXPECT_TRUE(
      InRanges(GeoShape::Parse(Point(103.913, 1.308))->IndexCells()[0], circle->QueryRanges()));
}

TEST(GeoShapeTest, PointQueryFindsRegionsThroughTheirCoveringCells) {
  auto square = GeoShape::Parse(kSquare);
  auto point = GeoShape::Parse(Point(103.913, 1.308));
  ASSERT_NE(square, nullptr);
  auto ranges = point->QueryRanges();
  EXPECT_EQ(ranges.size(), 31u);  // the point's cell at levels 0..30
  bool found = false;
  for (uint64_t cell : square->IndexCells()) found = found || InRanges(cell, ranges);
  EXPECT_TRUE(found);
  EXPECT_TRUE(point->QueryMatches(*square));
  EXPECT_FALSE(GeoShape::Parse(Point(-122.101, 37.421))->QueryMatches(*square));
  // Regions containing a point: an equal stored point is not a region.
  EXPECT_FALSE(point->QueryMatches(*GeoShape::Parse(Point(103.913, 1.308))));
}

TEST(GeoShapeTest, RingOrientationDoesNotMatterAndHolesExclude) {
  const char ccw[] = R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]})";
  const char cw[] = R"({"type":"Polygon","coordinates":[[[0,0],[0,10],[10,10],[10,0],[0,0]]]})";
  const char holed[] = R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],)"
                       R"([[4,4],[6,4],[6,6],[4,6],[4,4]]]})";
  auto centre = GeoShape::Parse(Point(5, 5));
  auto corner = GeoShape::Parse(Point(2, 2));
  for (const char* text : {ccw, cw}) {
    auto poly = GeoShape::Parse(text);
    ASSERT_NE(poly, nullptr) << text;
    EXPECT_TRUE(centre->QueryMatches(*poly)) << text;
    EXPECT_LE(poly->IndexCells().size(), 12u);
  }
  auto poly = GeoShape::Parse(holed);
  ASSERT_NE(poly, nullptr);
  EXPECT_FALSE(centre->QueryMatches(*poly));
  EXPECT_TRUE(corner->QueryMatches(*poly));
}

TEST(GeoShapeTest, MultiPolygonContainsPointsOfEveryPart) {
  auto multi = GeoShape::Parse(std::string(R"({"type":"MultiPolygon","coordinates":[)") +
                               R"([[[0,0],[1,0],[1,1],[0,1],[0,0]]],)" +
                               R"([[[5,5],[6,5],[6,6],[5,6],[5,5]]]]})");
  ASSERT_NE(multi, nullptr);
  EXPECT_TRUE(multi->QueryMatches(*GeoShape::Parse(Point(0.5, 0.5))));
  EXPECT_TRUE(multi->QueryMatches(*GeoShape::Parse(Point(5.5, 5.5))));
  EXPECT_FALSE(multi->QueryMatches(*GeoShape::Parse(Point(3, 3))));
  EXPECT_TRUE(InRanges(GeoShape::Parse(Point(5.5, 5.5))->IndexCells()[0], multi->QueryRanges()));
}

}  // namespace
}  // namespace tern::record
