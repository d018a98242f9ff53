// The typed syntax tree of the SQL-like language (DESIGN.md §5, docs/sql.md): one struct per
// statement form. Literals are record::Value, lists and maps already msgpack particles, so the
// CLI and the gRPC `Sql` call hand them to the engine unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "record/value.h"

namespace tern::sql {

using record::Value;

// 1-based position in the source text.
struct Location {
  int line = 1;
  int column = 1;
  friend bool operator==(const Location&, const Location&) = default;
};

// `ns` or `ns.set`; an empty set means the whole namespace (or the null set for a record).
struct Target {
  std::string ns;
  std::string set;
  friend bool operator==(const Target&, const Target&) = default;
};

// WHERE PK = v
struct PrimaryKeyEquals {
  Value key;
};
// WHERE bin = v
struct BinEquals {
  std::string bin;
  Value value;
};
// WHERE bin BETWEEN low AND high (inclusive)
struct BinBetween {
  std::string bin;
  Value low;
  Value high;
};
// WHERE bin WITHIN GEOJSON('region') (points within it) | bin CONTAINS GEOJSON('point')
// (regions containing it): a geo2dsphere index query.
struct BinGeo {
  std::string bin;
  Value shape;  // GeoJSON
  bool contains = false;
};
using Predicate = std::variant<PrimaryKeyEquals, BinEquals, BinBetween, BinGeo>;

struct BinValue {
  std::string name;
  Value value;
};

// INSERT INTO ns.set (PK, bin, ...) VALUES (key, v, ...)
struct Insert {
  Target target;
  std::optional<Value> key;  // absent when the column list has no PK
  std::vector<BinValue> bins;
};

// Which values of a bin an index holds: the bin itself, or a list's items, a map's keys or
// values (CREATE LIST|MAPKEYS|MAPVALUES INDEX, and SELECT/AGGREGATE ... IN LIST|...).
enum class IndexCollection { kNone, kList, kMapKeys, kMapValues };

// SELECT * | bin, ... FROM ns[.set] [IN LIST|MAPKEYS|MAPVALUES] [WHERE ...] [LIMIT n]
struct Select {
  Target target;
  std::vector<std::string> bins;                // empty = every bin (*)
  IndexCollection in = IndexCollection::kNone;  // the collection index WHERE uses
  std::optional<Predicate> where;
  std::optional<int64_t> limit;
};

// DELETE FROM ns.set WHERE PK = v
struct Delete {
  Target target;
  Value key;
};

enum class IndexType { kNumeric, kString, kBlob, kGeo2dSphere };

// CREATE [LIST|MAPKEYS|MAPVALUES] INDEX name ON ns[.set] (bin) NUMERIC|STRING|BLOB|GEO2DSPHERE
struct CreateIndex {
  std::string name;
  Target target;
  std::string bin;
  IndexType type = IndexType::kNumeric;
  IndexCollection collection = IndexCollection::kNone;
};

// DROP INDEX ns[.set] name
struct DropIndex {
  Target target;
  std::string name;
};

// REGISTER MODULE 'path/file.lua' (the CLI reads the file)
struct RegisterModule {
  std::string path;
};

// REMOVE MODULE name
struct RemoveModule {
  std::string name;
};

// EXECUTE module.function(args) ON ns[.set] [WHERE PK = v]; without a key it is a background
// scan applying the record UDF to every record.
struct Execute {
  std::string module;
  std::string function;
  std::vector<Value> args;
  Target target;
  std::optional<Value> key;
};

// AGGREGATE module.function(args) ON ns[.set] [IN LIST|MAPKEYS|MAPVALUES]
//   [WHERE bin = v | WHERE bin BETWEEN a AND b]
struct Aggregate {
  std::string module;
  std::string function;
  std::vector<Value> args;
  Target target;
  IndexCollection in = IndexCollection::kNone;
  std::optional<Predicate> where;  // a bin predicate, never PrimaryKeyEquals
};

enum class ShowWhat { kNamespaces, kSets, kBins, kIndexes, kModules };

// SHOW NAMESPACES | SETS [ns] | BINS [ns] | INDEXES [ns[.set]] | MODULES
struct Show {
  ShowWhat what = ShowWhat::kNamespaces;
  Target target;  // optional filter; empty ns = all
};

// TRUNCATE ns[.set]
struct Truncate {
  Target target;
};

using StatementBody = std::variant<Insert, Select, Delete, CreateIndex, DropIndex, RegisterModule,
                                   RemoveModule, Execute, Aggregate, Show, Truncate>;

struct Statement {
  StatementBody body;
  bool explain = false;  // EXPLAIN <statement>: describe the plan instead of running it
  Location location;     // where the statement (or its EXPLAIN) starts
  std::string text;      // its source text, without the terminating ';'
};

// "INSERT", "SELECT", "CREATE INDEX", ... for messages.
std::string_view StatementName(const StatementBody& body);

}  // namespace tern::sql
