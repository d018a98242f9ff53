#include "record/geojson.h"

#include <gtest/gtest.h>

#include "base/result_code.h"

namespace tern::record {
namespace {

bool Invalid(std::string_view text) {
  return base::ResultCodeOf(ValidateGeoJson(text)) == base::ResultCode::kGeoInvalidGeoJson;
}

TEST(GeoJsonTest, AcceptsTheFourShapes) {
  EXPECT_TRUE(ValidateGeoJson(R"({"type":"Point","coordinates":[103.9,1.3]})").ok());
  EXPECT_TRUE(
      ValidateGeoJson(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]})")
          .ok());
  EXPECT_TRUE(ValidateGeoJson(R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],)"
                              R"([0,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,6],[5,5]]]]})")
                  .ok());
  EXPECT_TRUE(ValidateGeoJson(R"({"type":"AeroCircle","coordinates":[[1,2],300]})").ok());
}

TEST(GeoJsonTest, RefusesBadStructureWith160) {
  EXPECT_TRUE(Invalid("[1,2]"));
  EXPECT_TRUE(Invalid(R"({"type":"Line","coordinates":[0,0]})"));
  EXPECT_TRUE(Invalid(R"({"type":"Point","coordinates":[0,91]})"));
  EXPECT_TRUE(Invalid(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})"));
  EXPECT_TRUE(Invalid(R"({"type":"AeroCircle","coordinates":[[1,2],-1]})"));
}

TEST(GeoJsonTest, RefusesRegionsTheSphereCannotHoldWith160) {
  // Well-formed JSON, but a bow tie crosses itself and a repeated vertex is degenerate.
  const char bow_tie[] = R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]})";
  EXPECT_TRUE(ValidateGeoJsonStructure(bow_tie).ok());
  EXPECT_TRUE(Invalid(bow_tie));
  EXPECT_TRUE(Invalid(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,0],[0,1],[0,0]]]})"));
  // A hole outside its shell.
  EXPECT_TRUE(Invalid(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],)"
                      R"([[5,5],[6,5],[6,6],[5,6],[5,5]]]})"));
}

}  // namespace
}  // namespace tern::record
