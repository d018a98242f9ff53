#include "record/value.h"

#include <cstring>

namespace tern::record {

Value Value::Double(double v) {
  int64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return Value(ParticleType::kFloat, bits);
}

double Value::dbl() const {
  double v;
  std::memcpy(&v, &scalar_, sizeof v);
  return v;
}

bool IsBytesType(ParticleType t) {
  switch (t) {
    case ParticleType::kNull:
    case ParticleType::kInteger:
    case ParticleType::kFloat:
    case ParticleType::kBool:
      return false;
    default:
      return true;
  }
}

bool IsKnownParticleType(uint8_t code) {
  switch (code) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
    case 17:
    case 18:
    case 19:
    case 20:
    case 23:
      return true;
    default:
      return false;
  }
}

std::string_view ParticleTypeName(ParticleType t) {
  switch (t) {
    case ParticleType::kNull:
      return "null";
    case ParticleType::kInteger:
      return "integer";
    case ParticleType::kFloat:
      return "double";
    case ParticleType::kString:
      return "string";
    case ParticleType::kBlob:
      return "blob";
    case ParticleType::kJavaBlob:
      return "java-blob";
    case ParticleType::kCsharpBlob:
      return "csharp-blob";
    case ParticleType::kPythonBlob:
      return "python-blob";
    case ParticleType::kRubyBlob:
      return "ruby-blob";
    case ParticleType::kPhpBlob:
      return "php-blob";
    case ParticleType::kErlangBlob:
      return "erlang-blob";
    case ParticleType::kBool:
      return "bool";
    case ParticleType::kHll:
      return "hll";
    case ParticleType::kMap:
      return "map";
    case ParticleType::kList:
      return "list";
    case ParticleType::kGeoJson:
      return "geojson";
  }
  return "unknown";
}

}  // namespace tern::record
