// tern::Value: one bin value as Tern stores it: null, integer, double, string, bytes (with an
// optional Aerospike blob subtype), bool, list, map or GeoJSON. Lists and maps nest.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tern {

class Value;

struct Bytes {
  std::string data;
  uint32_t subtype = 0;  // 0 = plain blob; 7-12 language blobs, 18 HLL (Aerospike codes)
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

struct GeoJson {
  std::string text;
  friend bool operator==(const GeoJson&, const GeoJson&) = default;
};

struct List {
  std::vector<Value> items;
  bool ordered = false;
  friend bool operator==(const List&, const List&);
};

struct Map {
  std::vector<std::pair<Value, Value>> entries;
  uint32_t order = 0;  // 0 unordered, 1 key ordered, 3 key-value ordered
  friend bool operator==(const Map&, const Map&);
};

class Value {
 public:
  using Storage =
      std::variant<std::monostate, int64_t, double, std::string, Bytes, bool, List, Map, GeoJson>;

  Value() = default;  // null
  Value(int64_t v) : v_(v) {}
  Value(int v) : v_(int64_t{v}) {}
  Value(double v) : v_(v) {}
  Value(bool v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(Bytes v) : v_(std::move(v)) {}
  Value(List v) : v_(std::move(v)) {}
  Value(Map v) : v_(std::move(v)) {}
  Value(GeoJson v) : v_(std::move(v)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_bytes() const { return std::holds_alternative<Bytes>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_list() const { return std::holds_alternative<List>(v_); }
  bool is_map() const { return std::holds_alternative<Map>(v_); }
  bool is_geojson() const { return std::holds_alternative<GeoJson>(v_); }

  // Accessors: the caller checked the kind (std::bad_variant_access otherwise).
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
  bool as_bool() const { return std::get<bool>(v_); }
  const List& as_list() const { return std::get<List>(v_); }
  const Map& as_map() const { return std::get<Map>(v_); }
  const GeoJson& as_geojson() const { return std::get<GeoJson>(v_); }

  const Storage& storage() const { return v_; }

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  Storage v_;
};

inline bool operator==(const List& a, const List& b) {
  return a.ordered == b.ordered && a.items == b.items;
}
inline bool operator==(const Map& a, const Map& b) {
  return a.order == b.order && a.entries == b.entries;
}

// A named value in a record.
struct Bin {
  std::string name;
  Value value;
  friend bool operator==(const Bin&, const Bin&) = default;
};

}  // namespace tern
