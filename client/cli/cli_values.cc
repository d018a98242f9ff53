#include "cli_values.h"

#include <cerrno>
#include <cstdlib>
#include <utility>
#include <vector>

#include "record/collection.h"
#include "record/value.h"

namespace tern::cli {

namespace {

// tern::Value ↔ record::Value: the CLI's JSON form is the server's (record/collection.h).
record::Value ToRecord(const Value& v) {
  struct Visitor {
    record::Value operator()(std::monostate) const { return {}; }
    record::Value operator()(int64_t x) const { return record::Value::Integer(x); }
    record::Value operator()(double x) const { return record::Value::Double(x); }
    record::Value operator()(const std::string& x) const { return record::Value::String(x); }
    record::Value operator()(const Bytes& x) const {
      return record::Value::Blob(x.data, x.subtype ? static_cast<record::ParticleType>(x.subtype)
                                                   : record::ParticleType::kBlob);
    }
    record::Value operator()(bool x) const { return record::Value::Bool(x); }
    record::Value operator()(const List& x) const {
      std::vector<record::Value> items;
      for (const Value& i : x.items) items.push_back(ToRecord(i));
      return record::Value::List(record::EncodeList(items, x.ordered));
    }
    record::Value operator()(const Map& x) const {
      std::vector<std::pair<record::Value, record::Value>> entries;
      for (const auto& [k, val] : x.entries) entries.emplace_back(ToRecord(k), ToRecord(val));
      return record::Value::Map(record::EncodeMap(entries, static_cast<uint8_t>(x.order)));
    }
    record::Value operator()(const GeoJson& x) const { return record::Value::GeoJson(x.text); }
  };
  return std::visit(Visitor{}, v.storage());
}

Result<Value> FromRecord(const record::Value& v) {
  using record::ParticleType;
  switch (v.type()) {
    case ParticleType::kNull:
      return Value();
    case ParticleType::kInteger:
      return Value(v.integer());
    case ParticleType::kFloat:
      return Value(v.dbl());
    case ParticleType::kString:
      return Value(v.bytes());
    case ParticleType::kBool:
      return Value(v.boolean());
    case ParticleType::kGeoJson:
      return Value(GeoJson{v.bytes()});
    case ParticleType::kList: {
      auto items = record::DecodeList(v.bytes());
      if (!items.ok())
        return Status(result::kInvalidArgument, std::string(items.status().message()));
      List out;
      out.ordered = record::CollectionOrderFlags(v.bytes()) & record::kListOrdered;
      for (const auto& i : *items) {
        auto x = FromRecord(i);
        if (!x.ok()) return x.status();
        out.items.push_back(std::move(*x));
      }
      return Value(std::move(out));
    }
    case ParticleType::kMap: {
      auto entries = record::DecodeMap(v.bytes());
      if (!entries.ok()) {
        return Status(result::kInvalidArgument, std::string(entries.status().message()));
      }
      Map out;
      out.order = record::CollectionOrderFlags(v.bytes());
      for (const auto& [k, x] : *entries) {
        auto kk = FromRecord(k);
        if (!kk.ok()) return kk.status();
        auto xx = FromRecord(x);
        if (!xx.ok()) return xx.status();
        out.entries.emplace_back(std::move(*kk), std::move(*xx));
      }
      return Value(std::move(out));
    }
    default:
      return Value(
          Bytes{v.bytes(), v.type() == ParticleType::kBlob ? 0u : static_cast<uint32_t>(v.type())});
  }
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  std::string text(s);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return false;
  *out = v;
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string text(s);
  // Only plain decimal notation: "inf", "nan" and hex floats stay strings.
  if (text.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size()) return false;
  *out = v;
  return true;
}

}  // namespace

nlohmann::json ToJson(const Value& v) { return record::ValueToJson(ToRecord(v)); }

Result<Value> FromJson(const nlohmann::json& j) {
  auto v = record::ValueFromJson(j);
  if (!v.ok()) return Status(result::kInvalidArgument, std::string(v.status().message()));
  return FromRecord(*v);
}

Result<Value> ParseValueArg(std::string_view text) {
  int64_t i;
  if (ParseInt(text, &i)) return Value(i);
  double d;
  if (ParseDouble(text, &d)) return Value(d);
  if (text == "true") return Value(true);
  if (text == "false") return Value(false);
  if (!text.empty() && (text.front() == '[' || text.front() == '{')) {
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return Status(result::kInvalidArgument, "invalid JSON value: " + std::string(text));
    }
    return FromJson(j);
  }
  return Value(std::string(text));
}

Result<Bin> ParseBinArg(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status(result::kInvalidArgument, "expected bin=value, got '" + std::string(arg) + "'");
  }
  if (eq > 15) {
    return Status(result::kInvalidArgument,
                  "bin name '" + std::string(arg.substr(0, eq)) + "' is longer than 15 bytes");
  }
  auto v = ParseValueArg(arg.substr(eq + 1));
  if (!v.ok()) return v.status();
  return Bin{std::string(arg.substr(0, eq)), std::move(*v)};
}

std::string Display(const Value& v) {
  if (v.is_string()) return v.as_string();
  return ToJson(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tern::cli
