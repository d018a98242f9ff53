#include "query_where.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include "sql/parser.h"

namespace tern::cli {

namespace {

Status Bad(const std::string& message) { return Status(result::kInvalidArgument, message); }

// The literal of an equality: the kinds an index holds.
Result<Value> EqualValue(const record::Value& v) {
  switch (v.type()) {
    case record::ParticleType::kInteger:
      return Value(v.integer());
    case record::ParticleType::kString:
      return Value(std::string(v.bytes()));
    case record::ParticleType::kBlob:
      return Value(Bytes{std::string(v.bytes())});
    default:
      return Bad("--where: an index matches integers, strings or bytes");
  }
}

}  // namespace

Result<QuerySpec> ParseQuery(const std::string& target, const std::string& where,
                             const std::string& in) {
  std::string collection = in;
  std::transform(collection.begin(), collection.end(), collection.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  QuerySpec spec;
  if (collection == "list") {
    spec.collection = QuerySpec::Collection::kList;
  } else if (collection == "mapkeys") {
    spec.collection = QuerySpec::Collection::kMapKeys;
  } else if (collection == "mapvalues") {
    spec.collection = QuerySpec::Collection::kMapValues;
  } else if (!collection.empty()) {
    return Bad("--in takes list, mapkeys or mapvalues, not '" + in + "'");
  }
  // The target and the predicate are read as the SQL parser reads them in a SELECT.
  auto target_only = sql::ParseOne("SELECT * FROM " + target);
  if (!target_only.ok() || !std::holds_alternative<sql::Select>(target_only->body) ||
      std::get<sql::Select>(target_only->body).where) {
    return Bad("'" + target + "' is not ns or ns.set");
  }
  auto statement = sql::ParseOne("SELECT * FROM " + target + " WHERE " + where);
  if (!statement.ok()) {
    return Bad("--where '" + where + "': expected bin = value, bin BETWEEN a AND b, " +
               "bin WITHIN GEOJSON('...') or bin CONTAINS GEOJSON('...')");
  }
  const sql::Select& select = std::get<sql::Select>(statement->body);
  if (select.limit) return Bad("--where: use --limit");
  spec.ns = select.target.ns;
  spec.set = select.target.set;
  if (const auto* eq = std::get_if<sql::BinEquals>(&*select.where)) {
    spec.index_bin = eq->bin;
    Result<Value> v = EqualValue(eq->value);
    if (!v.ok()) return v.status();
    spec.where = QuerySpec::Equal{*std::move(v)};
  } else if (const auto* between = std::get_if<sql::BinBetween>(&*select.where)) {
    if (between->low.type() != record::ParticleType::kInteger ||
        between->high.type() != record::ParticleType::kInteger) {
      return Bad("--where: BETWEEN takes integers");
    }
    spec.index_bin = between->bin;
    spec.where = QuerySpec::Range{between->low.integer(), between->high.integer()};
  } else if (const auto* geo = std::get_if<sql::BinGeo>(&*select.where)) {
    spec.index_bin = geo->bin;
    std::string text(geo->shape.bytes());
    if (geo->contains) {
      spec.where = QuerySpec::GeoContains{std::move(text)};
    } else {
      spec.where = QuerySpec::GeoWithin{std::move(text)};
    }
  } else {
    return Bad("--where names an indexed bin, not PK (use tern get)");
  }
  return spec;
}

}  // namespace tern::cli
