#include "record/collection.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/result_code.h"
#include "record/packed_element.h"
#include "record/value_order.h"

namespace tern::record {

namespace {

using base::MakeError;
using base::ResultCode;

constexpr uint8_t kStringPrefix = static_cast<uint8_t>(ParticleType::kString);

absl::Status Malformed(absl::string_view what) {
  return MakeError(ResultCode::kParameterError, absl::StrCat("malformed msgpack: ", what));
}

// ---- Writing ----------------------------------------------------------------------------

class Writer {
 public:
  void ArrayHeader(size_t n) { packer_.pack_array(static_cast<uint32_t>(n)); }
  void MapHeader(size_t n) { packer_.pack_map(static_cast<uint32_t>(n)); }
  void Element(const Value& v);
  std::string Take() const { return std::string(buf_.data(), buf_.size()); }

 private:
  void Prefixed(uint8_t prefix, std::string_view payload) {
    packer_.pack_str(static_cast<uint32_t>(payload.size() + 1));
    buf_.write(reinterpret_cast<const char*>(&prefix), 1);
    buf_.write(payload.data(), payload.size());
  }

  msgpack::sbuffer buf_;
  msgpack::packer<msgpack::sbuffer> packer_{buf_};
};

void Writer::Element(const Value& v) {
  switch (v.type()) {
    case ParticleType::kNull:
      packer_.pack_nil();
      return;
    case ParticleType::kBool:
      v.boolean() ? packer_.pack_true() : packer_.pack_false();
      return;
    case ParticleType::kInteger:
      packer_.pack_int64(v.integer());  // smallest form, as clients write
      return;
    case ParticleType::kFloat: {
      // Written by hand: msgpack-cxx's pack_double turns integral doubles into integers,
      // and Aerospike keeps the two types apart (1.0 is not 1).
      uint64_t bits = std::bit_cast<uint64_t>(v.dbl());
      char b[9];
      b[0] = static_cast<char>(0xcb);
      for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
      buf_.write(b, sizeof b);
      return;
    }
    case ParticleType::kList:
    case ParticleType::kMap:
      if (v.bytes().empty()) {  // a default-constructed collection: write it empty
        v.type() == ParticleType::kList ? ArrayHeader(0) : MapHeader(0);
      } else {
        buf_.write(v.bytes().data(), v.bytes().size());
      }
      return;
    default:
      // Strings (03), blobs (04, 07-0c), HLL (12) and GeoJSON (17): the particle type code is
      // the payload's first byte.
      Prefixed(static_cast<uint8_t>(v.type()), v.bytes());
      return;
  }
}

// ---- Reading ----------------------------------------------------------------------------

// One element as read by ElementVisitor; nested containers are known only by their extent.
struct Element {
  enum Kind { kNil, kBool, kInt, kFloat32, kFloat64, kStr, kArray, kMap, kExt } kind = kNil;
  int64_t i = 0;
  double d = 0;
  std::string_view bytes;  // str/bin payload, or the ext payload
  uint8_t ext_type = 0;
  std::string_view raw;  // the element's exact encoding
};

// Elements are read with msgpack-cxx's visitor parser (msgpack::parse), which handles every
// format and bounds-checks every length. A visitor is used instead of msgpack::unpack because
// unpack builds an object tree whose arrays are allocated up front from the claimed counts (a
// few hostile header bytes can ask for gigabytes), and because parsing one element at a time
// yields the element's exact byte extent, which nested lists and maps must keep verbatim.
class ElementVisitor : public msgpack::null_visitor {
 public:
  ElementVisitor(Element* out, int max_depth) : out_(out), max_depth_(max_depth) {}

  bool visit_nil() { return Scalar(Element::kNil); }
  bool visit_boolean(bool v) {
    if (depth_ == 0) out_->i = v ? 1 : 0;
    return Scalar(Element::kBool);
  }
  bool visit_positive_integer(uint64_t v) {
    if (depth_ == 0) out_->i = static_cast<int64_t>(v);  // cf beyond INT64_MAX wraps (§8.1)
    return Scalar(Element::kInt);
  }
  bool visit_negative_integer(int64_t v) {
    if (depth_ == 0) out_->i = v;
    return Scalar(Element::kInt);
  }
  bool visit_float32(float v) {
    if (depth_ == 0) out_->d = v;
    return Scalar(Element::kFloat32);
  }
  bool visit_float64(double v) {
    if (depth_ == 0) out_->d = v;
    return Scalar(Element::kFloat64);
  }
  bool visit_str(const char* v, uint32_t size) {
    if (depth_ == 0) out_->bytes = std::string_view(v, v == nullptr ? 0 : size);
    return Scalar(Element::kStr);
  }
  bool visit_bin(const char* v, uint32_t size) { return visit_str(v, size); }
  bool visit_ext(const char* v, uint32_t size) {
    // `v` starts with the ext type byte; `size` counts it.
    if (depth_ == 0) {
      out_->ext_type = static_cast<uint8_t>(v[0]);
      out_->bytes = std::string_view(v + 1, size - 1);
    }
    return Scalar(Element::kExt);
  }
  bool start_array(uint32_t) { return Open(Element::kArray); }
  bool end_array() { return Close(); }
  bool start_map(uint32_t) { return Open(Element::kMap); }
  bool end_map() { return Close(); }
  void parse_error(size_t, size_t) { error_ = "invalid type byte"; }
  void insufficient_bytes(size_t, size_t) { error_ = "truncated"; }

  const char* error() const { return too_deep_ ? "nested too deeply" : error_; }

 private:
  bool Scalar(Element::Kind k) {
    if (depth_ == 0) out_->kind = k;
    return true;
  }
  bool Open(Element::Kind k) {
    if (depth_ == 0) out_->kind = k;
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }

  Element* out_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  const char* error_ = "truncated";
};

class Reader {
 public:
  Reader(std::string_view in, int max_depth) : in_(in), max_depth_(max_depth) {}

  size_t remaining() const { return in_.size() - off_; }
  bool at_end() const { return off_ == in_.size(); }

  // The count of the array (or map) header at the cursor. Written by hand: msgpack::parse
  // would go on to consume the whole collection, and the header is all that is needed here.
  absl::StatusOr<uint32_t> ContainerHeader(bool map) {
    if (at_end()) return Malformed("empty input");
    uint8_t b = static_cast<uint8_t>(in_[off_]);
    size_t width = 0;
    uint32_t count = 0;
    if ((b & 0xf0) == (map ? 0x80 : 0x90)) {
      count = b & 0x0f;
    } else if (b == (map ? 0xde : 0xdc)) {
      width = 2;
    } else if (b == (map ? 0xdf : 0xdd)) {
      width = 4;
    } else {
      return Malformed(map ? "not a map" : "not a list");
    }
    if (remaining() < 1 + width) return Malformed("truncated header");
    for (size_t i = 0; i < width; ++i) {
      count = (count << 8) | static_cast<uint8_t>(in_[off_ + 1 + i]);
    }
    off_ += 1 + width;
    // Every element takes at least one byte: reject impossible counts before reserving.
    if (count > remaining() / (map ? 2 : 1)) return Malformed("count exceeds the input");
    return count;
  }

  absl::StatusOr<Element> Next() {
    Element e;
    ElementVisitor visitor(&e, max_depth_);
    size_t start = off_;
    size_t off = off_;
    bool ok = false;
    try {
      ok = msgpack::parse(in_.data(), in_.size(), off, visitor);
    } catch (const std::exception& ex) {  // ext32 size overflow, allocation failure
      return Malformed(ex.what());
    }
    if (!ok || off <= start || off > in_.size()) return Malformed(visitor.error());
    off_ = off;
    e.raw = in_.substr(start, off - start);
    return e;
  }

 private:
  std::string_view in_;
  int max_depth_;
  size_t off_ = 0;
};

absl::StatusOr<Value> ToValue(const Element& e) {
  switch (e.kind) {
    case Element::kNil:
      return Value();
    case Element::kBool:
      return Value::Bool(e.i != 0);
    case Element::kInt:
      return Value::Integer(e.i);
    case Element::kFloat32:
    case Element::kFloat64:
      return Value::Double(e.d);
    case Element::kArray:
      return Value::List(std::string(e.raw));
    case Element::kMap:
      return Value::Map(std::string(e.raw));
    case Element::kExt:
      return Malformed(absl::StrCat("unexpected ext element (type ", e.ext_type, ")"));
    case Element::kStr:
      break;
  }
  if (e.bytes.empty()) return Value::Blob("");  // no prefix byte at all (§8.1)
  uint8_t prefix = static_cast<uint8_t>(e.bytes[0]);
  std::string payload(e.bytes.substr(1));
  auto type = static_cast<ParticleType>(prefix);
  switch (type) {
    case ParticleType::kString:
      return Value::String(std::move(payload));
    case ParticleType::kGeoJson:
      return Value::GeoJson(std::move(payload));
    case ParticleType::kHll:
      return Value::Hll(std::move(payload));
    case ParticleType::kNull:
    case ParticleType::kInteger:
    case ParticleType::kFloat:
    case ParticleType::kBool:
    case ParticleType::kList:
    case ParticleType::kMap:
      // These would make a Value whose bytes contradict its type.
      return Malformed(absl::StrCat("string payload with particle type ", prefix));
    default:
      // Any other first byte is a blob subtype (§8.1), kept so it is written back unchanged.
      return Value::Blob(std::move(payload), type);
  }
}

// Runs `fn` with `msgpack` checked to be one list (map) and nothing more.
template <typename Fn>
absl::Status ReadCollection(std::string_view msgpack, bool map, Fn fn) {
  try {
    Reader r(msgpack, kMaxCollectionDepth - 1);
    absl::StatusOr<uint32_t> count = r.ContainerHeader(map);
    if (!count.ok()) return count.status();
    if (absl::Status s = fn(r, *count); !s.ok()) return s;
    if (!r.at_end()) return Malformed("trailing bytes after the collection");
    return absl::OkStatus();
  } catch (const std::exception& e) {  // allocation failure while building the result
    return Malformed(e.what());
  }
}

// ---- JSON -------------------------------------------------------------------------------

nlohmann::json BlobJson(const Value& v) {
  nlohmann::json j = {{"blob", absl::Base64Escape(v.bytes())}};
  if (v.type() != ParticleType::kBlob) j["subtype"] = static_cast<int>(v.type());
  return j;
}

nlohmann::json InvalidJson(const Value& v) {
  std::string_view type = ParticleTypeName(v.type());
  return {{"invalid", std::string(type) + " that does not decode"},
          {"bytes", absl::Base64Escape(v.bytes())}};
}

absl::Status JsonError(std::string_view what) {
  return MakeError(ResultCode::kParameterError, what);
}

absl::StatusOr<Value> FromJson(const nlohmann::json& j, int depth);

// {"blob": "<base64>"} or {"blob": "<base64>", "subtype": n}; nullopt when `j` is another map.
std::optional<absl::StatusOr<Value>> SpecialObject(const nlohmann::json& j) {
  if (j.size() == 1 && j.contains("geojson")) {
    const nlohmann::json& g = j["geojson"];
    return absl::StatusOr<Value>(Value::GeoJson(g.is_string() ? g.get<std::string>() : g.dump()));
  }
  auto blob = j.find("blob");
  if (blob == j.end() || !blob->is_string()) return std::nullopt;
  auto subtype = j.find("subtype");
  if (j.size() != 1 && !(j.size() == 2 && subtype != j.end() && subtype->is_number_integer())) {
    return std::nullopt;
  }
  std::string bytes;
  if (!absl::Base64Unescape(blob->get<std::string>(), &bytes)) {
    return absl::StatusOr<Value>(JsonError("\"blob\" is not valid base64"));
  }
  int64_t code =
      subtype == j.end() ? static_cast<int64_t>(ParticleType::kBlob) : subtype->get<int64_t>();
  switch (code) {
    case 4:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
      return absl::StatusOr<Value>(Value::Blob(std::move(bytes), static_cast<ParticleType>(code)));
    case 18:
      return absl::StatusOr<Value>(Value::Hll(std::move(bytes)));
    default:
      return absl::StatusOr<Value>(
          JsonError(absl::StrCat("blob subtype ", code, " is not a blob type")));
  }
}

absl::StatusOr<Value> FromJson(const nlohmann::json& j, int depth) {
  using Type = nlohmann::json::value_t;
  switch (j.type()) {
    case Type::null:
      return Value();
    case Type::boolean:
      return Value::Bool(j.get<bool>());
    case Type::number_integer:
      return Value::Integer(j.get<int64_t>());
    case Type::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return JsonError(absl::StrCat("integer ", u, " does not fit in 64 signed bits"));
      }
      return Value::Integer(static_cast<int64_t>(u));
    }
    case Type::number_float:
      return Value::Double(j.get<double>());
    case Type::string:
      return Value::String(j.get<std::string>());
    case Type::binary: {
      const auto& bin = j.get_binary();
      return Value::Blob(std::string(bin.begin(), bin.end()));
    }
    case Type::array:
    case Type::object:
      break;
    default:
      return JsonError("unsupported JSON value");
  }
  if (depth >= kMaxCollectionDepth) return JsonError("JSON nested too deeply");
  if (j.is_array()) {
    std::vector<Value> items;
    items.reserve(j.size());
    for (const nlohmann::json& e : j) {
      absl::StatusOr<Value> v = FromJson(e, depth + 1);
      if (!v.ok()) return v.status();
      items.push_back(*std::move(v));
    }
    return Value::List(EncodeList(items));
  }
  if (std::optional<absl::StatusOr<Value>> special = SpecialObject(j)) return *std::move(special);
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    absl::StatusOr<Value> v = FromJson(it.value(), depth + 1);
    if (!v.ok()) return v.status();
    entries.emplace_back(Value::String(it.key()), *std::move(v));
  }
  return Value::Map(EncodeMap(entries));
}

}  // namespace

std::string PackValue(const Value& v) {
  Writer w;
  w.Element(v);
  return w.Take();
}

absl::StatusOr<Value> UnpackValue(std::string_view element) {
  try {
    Reader r(element, kMaxCollectionDepth - 1);
    absl::StatusOr<Element> e = r.Next();
    if (!e.ok()) return e.status();
    if (!r.at_end()) return Malformed("trailing bytes after the element");
    return ToValue(*e);
  } catch (const std::exception& e) {
    return Malformed(e.what());
  }
}

std::string EncodeList(std::span<const Value> items, bool ordered) {
  std::vector<std::string> packed;
  packed.reserve(items.size());
  for (const Value& v : items) packed.push_back(PackValue(v));
  if (ordered) {
    std::stable_sort(packed.begin(), packed.end(), [](const std::string& a, const std::string& b) {
      return CompareElements(a, b) < 0;
    });
  }
  std::string out;
  AppendArrayHeader(static_cast<uint32_t>(items.size() + (ordered ? 1 : 0)), &out);
  if (ordered) AppendOrderExt(kListOrdered, &out);
  for (const std::string& e : packed) out += e;
  return out;
}

std::string EncodeMap(std::span<const std::pair<Value, Value>> entries, uint8_t order_flags) {
  std::vector<std::pair<std::string, std::string>> packed;
  packed.reserve(entries.size());
  for (const auto& [k, v] : entries) packed.emplace_back(PackValue(k), PackValue(v));
  if (order_flags & kMapKeyOrdered) {
    std::stable_sort(packed.begin(), packed.end(), [](const auto& a, const auto& b) {
      return CompareElements(a.first, b.first) < 0;
    });
  }
  std::string out;
  AppendMapHeader(static_cast<uint32_t>(entries.size() + (order_flags != 0 ? 1 : 0)), &out);
  if (order_flags != 0) {
    AppendOrderExt(order_flags, &out);
    out += PackNil();  // the ext key's value
  }
  for (const auto& [k, v] : packed) out += k + v;
  return out;
}

absl::StatusOr<std::vector<Value>> DecodeList(std::string_view msgpack) {
  std::vector<Value> out;
  absl::Status s = ReadCollection(msgpack, false, [&](Reader& r, uint32_t count) -> absl::Status {
    out.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      absl::StatusOr<Element> e = r.Next();
      if (!e.ok()) return e.status();
      if (i == 0 && e->kind == Element::kExt) continue;  // order metadata
      absl::StatusOr<Value> v = ToValue(*e);
      if (!v.ok()) return v.status();
      out.push_back(*std::move(v));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<std::pair<Value, Value>>> DecodeMap(std::string_view msgpack) {
  std::vector<std::pair<Value, Value>> out;
  absl::Status s = ReadCollection(msgpack, true, [&](Reader& r, uint32_t count) -> absl::Status {
    out.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      absl::StatusOr<Element> k = r.Next();
      if (!k.ok()) return k.status();
      absl::StatusOr<Element> v = r.Next();
      if (!v.ok()) return v.status();
      if (i == 0 && k->kind == Element::kExt) continue;  // order metadata; its value is nil
      absl::StatusOr<Value> key = ToValue(*k);
      if (!key.ok()) return key.status();
      absl::StatusOr<Value> value = ToValue(*v);
      if (!value.ok()) return value.status();
      out.emplace_back(*std::move(key), *std::move(value));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

uint8_t CollectionOrderFlags(std::string_view msgpack) {
  if (msgpack.empty()) return 0;
  bool map = (static_cast<uint8_t>(msgpack[0]) & 0xf0) == 0x80 ||
             static_cast<uint8_t>(msgpack[0]) == 0xde || static_cast<uint8_t>(msgpack[0]) == 0xdf;
  Reader r(msgpack, kMaxCollectionDepth - 1);
  absl::StatusOr<uint32_t> count = r.ContainerHeader(map);
  if (!count.ok() || *count == 0) return 0;
  absl::StatusOr<Element> first = r.Next();
  return first.ok() && first->kind == Element::kExt ? first->ext_type : 0;
}

nlohmann::json ValueToJson(const Value& v) {
  switch (v.type()) {
    case ParticleType::kNull:
      return nullptr;
    case ParticleType::kBool:
      return v.boolean();
    case ParticleType::kInteger:
      return v.integer();
    case ParticleType::kFloat:
      return v.dbl();
    case ParticleType::kString:
      return v.bytes();
    case ParticleType::kGeoJson: {
      nlohmann::json parsed = nlohmann::json::parse(v.bytes(), nullptr, /*allow_exceptions=*/false);
      return {{"geojson", parsed.is_discarded() ? nlohmann::json(v.bytes()) : std::move(parsed)}};
    }
    case ParticleType::kList: {
      absl::StatusOr<std::vector<Value>> items = DecodeList(v.bytes());
      if (!items.ok()) return InvalidJson(v);
      nlohmann::json arr = nlohmann::json::array();
      for (const Value& item : *items) arr.push_back(ValueToJson(item));
      return arr;
    }
    case ParticleType::kMap: {
      absl::StatusOr<std::vector<std::pair<Value, Value>>> entries = DecodeMap(v.bytes());
      if (!entries.ok()) return InvalidJson(v);
      bool string_keys = std::all_of(entries->begin(), entries->end(), [](const auto& e) {
        return e.first.type() == ParticleType::kString;
      });
      if (string_keys) {
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& [k, val] : *entries) obj[k.bytes()] = ValueToJson(val);
        return obj;
      }
      nlohmann::json pairs = nlohmann::json::array();
      for (const auto& [k, val] : *entries) {
        pairs.push_back(nlohmann::json::array({ValueToJson(k), ValueToJson(val)}));
      }
      return pairs;
    }
    default:
      return BlobJson(v);
  }
}

absl::StatusOr<Value> ValueFromJson(const nlohmann::json& j) {
  try {
    return FromJson(j, 0);
  } catch (const std::exception& e) {  // nlohmann type errors; not expected after type checks
    return JsonError(e.what());
  }
}

}  // namespace tern::record
