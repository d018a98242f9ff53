// Msgpack read one element at a time, each with its exact bytes: collection operations
// compare, copy and splice packed elements without decoding them into Values. Every read is
// bounds-checked, since the bytes may come straight from a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::record {

// Value kinds in Aerospike's sort order, lowest first (shared/protocol/aerospike-wire.md §8.3).
// kExt is collection metadata; wildcard and infinity exist only in operation arguments.
enum class ElementType : uint8_t {
  kNil,
  kFalse,
  kTrue,
  kInt,
  kString,
  kList,
  kMap,
  kBytes,
  kDouble,
  kGeoJson,
  kExt,
  kWildcard,
  kInfinity,
};

// What the head of one element says.
struct ElementHead {
  ElementType type = ElementType::kNil;
  int64_t integer = 0;       // kInt (uint64 beyond INT64_MAX wraps, as clients expect)
  double dbl = 0;            // kDouble
  uint32_t count = 0;        // kList: elements, kMap: pairs (both counting an ext element)
  std::string_view payload;  // str/bin payload (with its type prefix byte) or ext data
  uint8_t ext_type = 0;
};

class ElementReader {
 public:
  explicit ElementReader(std::string_view in) : in_(in) {}

  bool at_end() const { return off_ == in_.size(); }
  size_t offset() const { return off_; }
  std::string_view rest() const { return in_.substr(off_); }

  // Reads one element's head and moves past it only: after a list or map header the cursor is
  // at its first nested element. False (cursor unchanged) on malformed or truncated input.
  bool ReadHead(ElementHead* head);
  // The next element's exact bytes, nested elements included; nullopt on malformed input or
  // nesting deeper than `max_depth`.
  std::optional<std::string_view> Next(int max_depth = 64);
  // The next element as an integer (any msgpack integer form).
  std::optional<int64_t> NextInt();

 private:
  std::string_view in_;
  size_t off_ = 0;
};

// True when `element` is exactly one well-formed element nested at most `max_depth` deep.
bool IsElement(std::string_view element, int max_depth = 64);
// True when `element` may be stored: no wildcard, infinity or stray ext inside (an ext is
// allowed only as the first element of a list or the first key of a map: order metadata).
bool IsStorable(std::string_view element);
// The type of a well-formed element (kNil for empty input).
ElementType TypeOf(std::string_view element);

// A packed list or map split into its elements (a map's as key, value, key, value, ...) and the
// order flags of its metadata element (0 without one).
struct PackedContainer {
  bool map = false;
  uint8_t flags = 0;
  std::vector<std::string_view> elements;
};
std::optional<PackedContainer> SplitContainer(std::string_view packed);
// The reverse; a metadata element is written when `flags` is not 0.
std::string JoinContainer(bool map, uint8_t flags, const std::vector<std::string_view>& elements);

// Writers for the scalars operations return or build.
std::string PackInt(int64_t v);
std::string PackDouble(double v);
std::string PackBool(bool v);
std::string PackNil();
void AppendArrayHeader(uint32_t n, std::string* out);
void AppendMapHeader(uint32_t n, std::string* out);
// The order ext element `c7 00 <flags>`.
void AppendOrderExt(uint8_t flags, std::string* out);

}  // namespace tern::record
