// Lists and maps as Aerospike stores and sends them: msgpack particles with the string/blob
// type prefix and the order ext element (shared/protocol/aerospike-wire.md §8.1-8.2). Also the
// JSON form used by the admin API and the CLI. Ordering is record/value_order.h.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "record/value.h"

namespace tern::record {

// Order flags carried by the ext element at the head of a collection (§8.2).
inline constexpr uint8_t kListOrdered = 0x01;
inline constexpr uint8_t kMapKeyOrdered = 0x01;
inline constexpr uint8_t kMapKeyValueOrdered = 0x03;

// Nesting deeper than this is rejected when decoding (it only serves to exhaust the stack).
inline constexpr int kMaxCollectionDepth = 64;

// A list particle. An ordered list is sorted (record/value_order.h) and carries the ext element.
std::string EncodeList(std::span<const Value> items, bool ordered = false);

// A map particle. `order_flags` is 0 (unordered), kMapKeyOrdered or kMapKeyValueOrdered; when
// ordered, entries are sorted by key and the ext element is written.
std::string EncodeMap(std::span<const std::pair<Value, Value>> entries, uint8_t order_flags = 0);

// The elements of a list / map particle, without the order ext element. Nested lists and maps
// come back as Value::List / Value::Map holding the element's exact bytes. Malformed input is
// a kParameterError.
absl::StatusOr<std::vector<Value>> DecodeList(std::string_view msgpack);
absl::StatusOr<std::vector<std::pair<Value, Value>>> DecodeMap(std::string_view msgpack);

// The order flags of a list / map particle (0 when it has no ext element or is malformed).
uint8_t CollectionOrderFlags(std::string_view msgpack);

// One value as a msgpack element (the form it takes inside a list or map), and back. A nested
// list or map stays packed inside the Value.
std::string PackValue(const Value& v);
absl::StatusOr<Value> UnpackValue(std::string_view element);

// JSON form: integers and doubles as numbers, strings, bools, null; lists as arrays; maps as
// objects when every key is a string, else as arrays of [key, value]; blobs as
// {"blob": "<base64>"} (plus "subtype" for language blobs and HLLs); GeoJSON as
// {"geojson": <parsed JSON, or the text when it does not parse>}. A list or map that does not
// decode becomes {"invalid": ..., "bytes": "<base64>"}. Strings are not checked for UTF-8:
// serialise with nlohmann::json::error_handler_t::replace where that matters.
nlohmann::json ValueToJson(const Value& v);
absl::StatusOr<Value> ValueFromJson(const nlohmann::json& j);

}  // namespace tern::record
