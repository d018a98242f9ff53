#include "api/proto_value.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "record/collection.h"

namespace tern::api {

using base::MakeError;
using base::ResultCode;
using record::ParticleType;
using record::Value;

namespace {

bool IsBlobSubtype(uint32_t t) {
  return t == static_cast<uint32_t>(ParticleType::kBlob) ||
         (t >= static_cast<uint32_t>(ParticleType::kJavaBlob) &&
          t <= static_cast<uint32_t>(ParticleType::kErlangBlob)) ||
         t == static_cast<uint32_t>(ParticleType::kHll);
}

}  // namespace

absl::StatusOr<Value> ValueFromProto(const tern::v1::Value& v) {
  switch (v.kind_case()) {
    case tern::v1::Value::kIntValue:
      return Value::Integer(v.int_value());
    case tern::v1::Value::kDoubleValue:
      return Value::Double(v.double_value());
    case tern::v1::Value::kStringValue:
      return Value::String(v.string_value());
    case tern::v1::Value::kBytesValue: {
      const uint32_t sub = v.bytes_subtype() == 0 ? 4 : v.bytes_subtype();
      if (!IsBlobSubtype(sub)) {
        return MakeError(ResultCode::kParameterError,
                         absl::StrCat("bytes_subtype ", sub, " is not a blob type"));
      }
      return Value::Blob(v.bytes_value(), static_cast<ParticleType>(sub));
    }
    case tern::v1::Value::kBoolValue:
      return Value::Bool(v.bool_value());
    case tern::v1::Value::kListValue: {
      std::vector<Value> items;
      items.reserve(v.list_value().items_size());
      for (const auto& item : v.list_value().items()) {
        auto x = ValueFromProto(item);
        if (!x.ok()) return x.status();
        items.push_back(std::move(*x));
      }
      return Value::List(record::EncodeList(items, v.list_value().ordered()));
    }
    case tern::v1::Value::kMapValue: {
      const uint32_t order = v.map_value().order();
      if (order != 0 && order != record::kMapKeyOrdered && order != record::kMapKeyValueOrdered) {
        return MakeError(ResultCode::kParameterError, absl::StrCat("map order ", order));
      }
      std::vector<std::pair<Value, Value>> entries;
      entries.reserve(v.map_value().entries_size());
      for (const auto& e : v.map_value().entries()) {
        auto k = ValueFromProto(e.key());
        if (!k.ok()) return k.status();
        auto x = ValueFromProto(e.value());
        if (!x.ok()) return x.status();
        entries.emplace_back(std::move(*k), std::move(*x));
      }
      return Value::Map(record::EncodeMap(entries, static_cast<uint8_t>(order)));
    }
    case tern::v1::Value::kGeojsonValue:
      return Value::GeoJson(v.geojson_value());
    case tern::v1::Value::KIND_NOT_SET:
      return Value();
  }
  return Value();
}

absl::Status ValueToProto(const Value& v, tern::v1::Value* out) {
  out->Clear();
  switch (v.type()) {
    case ParticleType::kNull:
      return absl::OkStatus();
    case ParticleType::kInteger:
      out->set_int_value(v.integer());
      return absl::OkStatus();
    case ParticleType::kFloat:
      out->set_double_value(v.dbl());
      return absl::OkStatus();
    case ParticleType::kString:
      out->set_string_value(v.bytes());
      return absl::OkStatus();
    case ParticleType::kBool:
      out->set_bool_value(v.boolean());
      return absl::OkStatus();
    case ParticleType::kGeoJson:
      out->set_geojson_value(v.bytes());
      return absl::OkStatus();
    case ParticleType::kList: {
      auto items = record::DecodeList(v.bytes());
      if (!items.ok()) return items.status();
      auto* list = out->mutable_list_value();
      list->set_ordered(record::CollectionOrderFlags(v.bytes()) & record::kListOrdered);
      for (const Value& item : *items) {
        if (absl::Status s = ValueToProto(item, list->add_items()); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    case ParticleType::kMap: {
      auto entries = record::DecodeMap(v.bytes());
      if (!entries.ok()) return entries.status();
      auto* map = out->mutable_map_value();
      map->set_order(record::CollectionOrderFlags(v.bytes()));
      for (const auto& [k, x] : *entries) {
        auto* e = map->add_entries();
        if (absl::Status s = ValueToProto(k, e->mutable_key()); !s.ok()) return s;
        if (absl::Status s = ValueToProto(x, e->mutable_value()); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    default:  // blobs of every subtype, HLL
      out->set_bytes_value(v.bytes());
      if (v.type() != ParticleType::kBlob) {
        out->set_bytes_subtype(static_cast<uint32_t>(v.type()));
      }
      return absl::OkStatus();
  }
}

}  // namespace tern::api
