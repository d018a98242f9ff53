// Aerospike's ordering of values (shared/protocol/aerospike-wire.md §8.3, checked against the
// CE 8.1.2 server): nil < false < true < integer < string < list < map < blob < double <
// GeoJSON, then the argument-only infinity above everything; a wildcard equals anything.
// Ordered lists, map key order, ranks and value ranges all sort by it.
#pragma once

#include <string_view>

#include "record/value.h"

namespace tern::record {

// Compares two packed msgpack elements: <0, 0 or >0. Within a type: integers and doubles
// numerically (NaN above every double, so sorting stays a strict weak order), strings, blobs
// and GeoJSON byte-wise with a prefix first, lists element by element and then the shorter
// first, maps by entry count and then entry by entry in key order. Order metadata (the ext
// element) is skipped. Malformed input compares by its bytes.
int CompareElements(std::string_view a, std::string_view b);

// The same order between Values.
int CompareValues(const Value& a, const Value& b);

}  // namespace tern::record
