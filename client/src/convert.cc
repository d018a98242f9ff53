#include "convert.h"

#include <algorithm>

namespace tern::client_internal {

namespace v1 = tern::v1;

void ValueToProto(const Value& v, v1::Value* out) {
  out->Clear();
  struct Visitor {
    v1::Value* out;
    void operator()(std::monostate) const {}
    void operator()(int64_t x) const { out->set_int_value(x); }
    void operator()(double x) const { out->set_double_value(x); }
    void operator()(const std::string& x) const { out->set_string_value(x); }
    void operator()(const Bytes& x) const {
      out->set_bytes_value(x.data);
      out->set_bytes_subtype(x.subtype);
    }
    void operator()(bool x) const { out->set_bool_value(x); }
    void operator()(const List& x) const {
      v1::List* l = out->mutable_list_value();
      l->set_ordered(x.ordered);
      for (const Value& item : x.items) ValueToProto(item, l->add_items());
    }
    void operator()(const Map& x) const {
      v1::Map* m = out->mutable_map_value();
      m->set_order(x.order);
      for (const auto& [k, val] : x.entries) {
        v1::MapEntry* e = m->add_entries();
        ValueToProto(k, e->mutable_key());
        ValueToProto(val, e->mutable_value());
      }
    }
    void operator()(const GeoJson& x) const { out->set_geojson_value(x.text); }
  };
  std::visit(Visitor{out}, v.storage());
}

Value ValueFromProto(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kIntValue:
      return Value(v.int_value());
    case v1::Value::kDoubleValue:
      return Value(v.double_value());
    case v1::Value::kStringValue:
      return Value(v.string_value());
    case v1::Value::kBytesValue:
      return Value(Bytes{v.bytes_value(), v.bytes_subtype()});
    case v1::Value::kBoolValue:
      return Value(v.bool_value());
    case v1::Value::kListValue: {
      List l;
      l.ordered = v.list_value().ordered();
      l.items.reserve(v.list_value().items_size());
      for (const auto& item : v.list_value().items()) l.items.push_back(ValueFromProto(item));
      return Value(std::move(l));
    }
    case v1::Value::kMapValue: {
      Map m;
      m.order = v.map_value().order();
      m.entries.reserve(v.map_value().entries_size());
      for (const auto& e : v.map_value().entries()) {
        m.entries.emplace_back(ValueFromProto(e.key()), ValueFromProto(e.value()));
      }
      return Value(std::move(m));
    }
    case v1::Value::kGeojsonValue:
      return Value(GeoJson{v.geojson_value()});
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return Value();
}

void KeyToProto(const Key& k, v1::Key* out) {
  out->set_namespace_(k.ns());
  out->set_set(k.set());
  struct Visitor {
    v1::Key* out;
    const Key& k;
    void operator()(std::monostate) const {
      out->set_digest(reinterpret_cast<const char*>(k.digest().data()), k.digest().size());
    }
    void operator()(const std::string& s) const { out->set_string_key(s); }
    void operator()(int64_t i) const { out->set_int_key(i); }
    void operator()(const Bytes& b) const { out->set_bytes_key(b.data); }
  };
  std::visit(Visitor{out, k}, k.user_key());
}

Key KeyFromProto(const v1::Key& k) {
  switch (k.user_key_case()) {
    case v1::Key::kStringKey:
      return Key(k.namespace_(), k.set(), k.string_key());
    case v1::Key::kIntKey:
      return Key(k.namespace_(), k.set(), k.int_key());
    case v1::Key::kBytesKey:
      return Key::FromBytes(k.namespace_(), k.set(), k.bytes_key());
    case v1::Key::USER_KEY_NOT_SET:
      break;
  }
  Digest d{};
  std::copy_n(k.digest().begin(), std::min(k.digest().size(), d.size()), d.begin());
  return Key::FromDigest(k.namespace_(), k.set(), d);
}

void RecordFromProto(const v1::Record& in, bool with_key, Record* out) {
  if (with_key) out->key = KeyFromProto(in.key());
  out->generation = in.generation();
  out->ttl = in.ttl();
  out->bins.clear();
  out->bins.reserve(in.bins_size());
  for (const v1::Bin& b : in.bins()) out->bins.push_back(Bin{b.name(), ValueFromProto(b.value())});
}

void WritePolicyToProto(const WritePolicy& p, v1::WritePolicy* out) {
  out->set_ttl(p.ttl);
  switch (p.exists) {
    case ExistsAction::kUpdate:
      out->set_exists_action(v1::UPDATE);
      break;
    case ExistsAction::kUpdateOnly:
      out->set_exists_action(v1::UPDATE_ONLY);
      break;
    case ExistsAction::kReplace:
      out->set_exists_action(v1::REPLACE);
      break;
    case ExistsAction::kReplaceOnly:
      out->set_exists_action(v1::REPLACE_ONLY);
      break;
    case ExistsAction::kCreateOnly:
      out->set_exists_action(v1::CREATE_ONLY);
      break;
  }
  switch (p.generation_policy) {
    case GenerationPolicy::kNone:
      out->set_generation_policy(v1::GENERATION_NONE);
      break;
    case GenerationPolicy::kEqual:
      out->set_generation_policy(v1::GENERATION_EQUAL);
      break;
    case GenerationPolicy::kGreater:
      out->set_generation_policy(v1::GENERATION_GREATER);
      break;
  }
  out->set_generation(p.generation);
  out->set_send_key(p.send_key);
  out->set_durable_delete(p.durable_delete);
}

}  // namespace tern::client_internal
