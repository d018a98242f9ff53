#include "base/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/result_code.h"
#include "base/strings.h"

namespace tern::base {

namespace {

constexpr int64_t kMaxTtlSec = 315360000;  // 10 years, Aerospike's limit
constexpr uint64_t kMinRecordSize = uint64_t{1} << 10;
constexpr uint64_t kMaxRecordSize = uint64_t{128} << 20;
constexpr size_t kMaxNamespaceNameLength = 31;
constexpr size_t kMaxSetNameLength = 63;

// Debian builds abseil with its own absl::string_view (not std::string_view), so text that
// goes through absl::StrCat is held as absl::string_view here.

// One `key: value` entry of a YAML map, with its dotted path for error messages.
struct Field {
  absl::string_view key;
  YAML::Node key_node;  // nodes are cheap handles
  YAML::Node value;
  std::string path;
};

std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      // yaml-cpp tags plain scalars "?" and quoted ones "!".
      return n.Tag() == "!" ? absl::StrCat("the quoted string \"", n.Scalar(), "\"")
                            : absl::StrCat("'", n.Scalar(), "'");
    default:
      return "an undefined value";
  }
}

bool IsPlainScalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() != "!"; }

// "12", "-3", "512K", "4g", "30d": an optional sign, digits, an optional one-letter suffix.
bool SplitNumber(absl::string_view text, bool* negative, uint64_t* digits, char* suffix) {
  text = absl::StripAsciiWhitespace(text);
  *negative = false;
  *suffix = 0;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    *negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (!text.empty() && absl::ascii_isalpha(static_cast<unsigned char>(text.back()))) {
    *suffix = absl::ascii_tolower(static_cast<unsigned char>(text.back()));
    text.remove_suffix(1);
  }
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return false;
  }
  return absl::SimpleAtoi(text, digits);
}

// Bits a size suffix shifts by (none, K, M, G, T), or -1 for another letter.
int SizeShift(char suffix) {
  switch (suffix) {
    case 0:
      return 0;
    case 'k':
      return 10;
    case 'm':
      return 20;
    case 'g':
      return 30;
    case 't':
      return 40;
    default:
      return -1;
  }
}

// 1048576 -> "1M": sizes in messages read as they are written in the file.
std::string FormatSize(uint64_t bytes) {
  static constexpr std::array<std::pair<int, char>, 4> kUnits = {
      {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}}};
  for (const auto& [shift, unit] : kUnits) {
    if (bytes != 0 && bytes % (uint64_t{1} << shift) == 0) {
      return absl::StrCat(bytes >> shift, std::string(1, unit));
    }
  }
  return absl::StrCat(bytes);
}

bool IsHexDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); });
}

// Walks the YAML tree into a Config, stopping at the first error. Marks of every key seen are
// kept so that checks spanning several keys can still point at a line.
class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source.data(), source.size()) {}

  absl::Status Parse(const YAML::Node& root, Config* config);

 private:
  absl::Status Error(const YAML::Mark& mark, absl::string_view path, absl::string_view msg) const {
    std::string where =
        mark.is_null() ? std::string(source_) : absl::StrCat(source_, ":", mark.line + 1);
    return MakeError(ResultCode::kParameterError, path.empty()
                                                      ? absl::StrCat(where, ": ", msg)
                                                      : absl::StrCat(where, ": ", path, ": ", msg));
  }
  absl::Status Error(const Field& f, absl::string_view msg) const {
    // An empty value's mark points past the line; its key's is the one a reader looks for.
    return Error(f.value.IsNull() ? f.key_node.Mark() : f.value.Mark(), f.path, msg);
  }
  absl::Status UnknownKey(const Field& f) const {
    return Error(f.key_node.Mark(), f.path, "unknown key");
  }
  // The mark of a key parsed earlier, or `fallback` when the key was not given.
  YAML::Mark MarkOf(const std::string& path, const YAML::Mark& fallback) const {
    auto it = marks_.find(path);
    return it == marks_.end() ? fallback : it->second;
  }

  // Calls `fn` for every entry of the map `n`; null counts as an empty map.
  absl::Status ForEachField(const YAML::Node& n, const std::string& path,
                            absl::FunctionRef<absl::Status(const Field&)> fn);

  absl::StatusOr<int64_t> ReadInt(const Field& f, int64_t min, int64_t max) const;
  template <typename T>
  absl::Status ReadUnsigned(const Field& f, T min, T max, T* out) const {
    absl::StatusOr<int64_t> v = ReadInt(f, static_cast<int64_t>(min), static_cast<int64_t>(max));
    if (!v.ok()) return v.status();
    *out = static_cast<T>(*v);
    return absl::OkStatus();
  }
  absl::Status ReadBool(const Field& f, bool* out) const;
  absl::Status ReadString(const Field& f, std::string* out, bool allow_empty = false) const;
  absl::Status ReadSize(const Field& f, uint64_t min, uint64_t max, uint64_t* out) const;
  absl::Status ReadTtl(const Field& f, int64_t* out) const;
  absl::Status ReadPercent(const Field& f, uint32_t* out) const {
    return ReadUnsigned<uint32_t>(f, 0, 100, out);
  }

  absl::Status ParseNode(const YAML::Node& n, NodeConfig* out);
  absl::Status ParsePorts(const YAML::Node& n, PortsConfig* out);
  absl::Status ParseLogging(const YAML::Node& n, LoggingConfig* out);
  absl::Status ParseService(const YAML::Node& n, ServiceConfig* out);
  absl::Status ParseCluster(const YAML::Node& n, ClusterConfig* out);
  absl::Status ParseNamespace(const YAML::Node& n, const std::string& path, NamespaceConfig* out);
  absl::Status ParseSet(const YAML::Node& n, const std::string& path, SetConfig* out);
  absl::Status ParseGeo(const Field& f, GeoConfig* out);
  absl::Status CheckPorts(const PortsConfig& ports, const YAML::Mark& root_mark) const;

  absl::string_view source_;
  std::map<std::string, YAML::Mark> marks_;
};

absl::Status Parser::ForEachField(const YAML::Node& n, const std::string& path,
                                  absl::FunctionRef<absl::Status(const Field&)> fn) {
  if (n.IsNull()) return absl::OkStatus();
  if (!n.IsMap()) return Error(n.Mark(), path, absl::StrCat("expected a map, got ", Describe(n)));
  marks_.emplace(path, n.Mark());
  for (auto it = n.begin(); it != n.end(); ++it) {
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    if (!key.IsScalar()) {
      return Error(key.Mark(), path, absl::StrCat("keys must be names, got ", Describe(key)));
    }
    Field f{key.Scalar(), key, value,
            path.empty() ? key.Scalar() : absl::StrCat(path, ".", key.Scalar())};
    // yaml-cpp accepts a repeated key and keeps both entries; which one counts would be luck.
    if (!marks_.emplace(f.path, value.IsNull() ? key.Mark() : value.Mark()).second) {
      return Error(key.Mark(), f.path, "duplicate key");
    }
    if (absl::Status s = fn(f); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Parser::ReadInt(const Field& f, int64_t min, int64_t max) const {
  int64_t v = 0;
  if (!IsPlainScalar(f.value) || !absl::SimpleAtoi(f.value.Scalar(), &v)) {
    return Error(f, absl::StrCat("expected an integer, got ", Describe(f.value)));
  }
  if (v < min || v > max) {
    return Error(f, absl::StrCat("must be between ", min, " and ", max, " (got ", v, ")"));
  }
  return v;
}

absl::Status Parser::ReadBool(const Field& f, bool* out) const {
  std::string text = IsPlainScalar(f.value) ? absl::AsciiStrToLower(f.value.Scalar()) : "";
  if (text == "true") {
    *out = true;
  } else if (text == "false") {
    *out = false;
  } else {
    return Error(f, absl::StrCat("expected true or false, got ", Describe(f.value)));
  }
  return absl::OkStatus();
}

absl::Status Parser::ReadString(const Field& f, std::string* out, bool allow_empty) const {
  if (!f.value.IsScalar()) {
    return Error(f, absl::StrCat("expected a string, got ", Describe(f.value)));
  }
  if (!allow_empty && f.value.Scalar().empty()) return Error(f, "must not be empty");
  *out = f.value.Scalar();
  return absl::OkStatus();
}

absl::Status Parser::ReadSize(const Field& f, uint64_t min, uint64_t max, uint64_t* out) const {
  uint64_t bytes = 0;
  if (!f.value.IsScalar() || !ParseSize(f.value.Scalar(), &bytes)) {
    bool negative = false;
    uint64_t n = 0;
    char suffix = 0;
    const bool looks_like_size = f.value.IsScalar() &&
                                 SplitNumber(f.value.Scalar(), &negative, &n, &suffix) &&
                                 !negative && SizeShift(suffix) >= 0;
    if (looks_like_size) {
      return Error(f, absl::StrCat("size is too large (got ", f.value.Scalar(), ")"));
    }
    return Error(f, absl::StrCat("expected a size in bytes such as 1048576, 512K, 64M or 4G; got ",
                                 Describe(f.value)));
  }
  if (bytes < min || bytes > max) {
    return Error(
        f, max == std::numeric_limits<uint64_t>::max()
               ? absl::StrCat("must be at least ", FormatSize(min), " (got ", f.value.Scalar(), ")")
               : absl::StrCat("must be between ", FormatSize(min), " and ", FormatSize(max),
                              " (got ", f.value.Scalar(), ")"));
  }
  *out = bytes;
  return absl::OkStatus();
}

absl::Status Parser::ReadTtl(const Field& f, int64_t* out) const {
  bool negative = false;
  uint64_t n = 0;
  char suffix = 0;
  uint64_t unit = 0;
  if (f.value.IsScalar() && SplitNumber(f.value.Scalar(), &negative, &n, &suffix)) {
    switch (suffix) {
      case 0:
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
    }
  }
  if (unit == 0) {
    return Error(f,
                 absl::StrCat("expected seconds or a duration such as 30s, 10m, 12h or 30d; got ",
                              Describe(f.value)));
  }
  if (negative && n != 0) {
    return Error(
        f, absl::StrCat("must be between 0 and ", kMaxTtlSec, " (got ", f.value.Scalar(), ")"));
  }
  if (n > static_cast<uint64_t>(kMaxTtlSec) / unit) {
    return Error(f, absl::StrCat("must be at most ", kMaxTtlSec, " seconds (10 years) (got ",
                                 f.value.Scalar(), ")"));
  }
  *out = static_cast<int64_t>(n * unit);
  return absl::OkStatus();
}

absl::Status Parser::ParseNode(const YAML::Node& n, NodeConfig* out) {
  return ForEachField(n, "node", [&](const Field& f) -> absl::Status {
    if (f.key == "id") {
      if (absl::Status s = ReadString(f, &out->id); !s.ok()) return s;
      uint64_t id = 0;
      if (out->id.size() > 16 || !IsHexDigits(out->id) || !absl::SimpleHexAtoi(out->id, &id) ||
          id == 0) {
        return Error(f,
                     absl::StrCat("must be 1-16 hex digits, not all zero (got '", out->id, "')"));
      }
      return absl::OkStatus();
    }
    if (f.key == "address") return ReadString(f, &out->address);
    if (f.key == "advertise_address") return ReadString(f, &out->advertise_address);
    if (f.key == "data_dir") return ReadString(f, &out->data_dir);
    if (f.key == "cluster_name") return ReadString(f, &out->cluster_name);
    if (f.key == "rack_id") {
      return ReadUnsigned<uint32_t>(f, 0, std::numeric_limits<uint32_t>::max(), &out->rack_id);
    }
    return UnknownKey(f);
  });
}

absl::Status Parser::ParsePorts(const YAML::Node& n, PortsConfig* out) {
  return ForEachField(n, "ports", [&](const Field& f) -> absl::Status {
    uint16_t* port = f.key == "service"   ? &out->service
                     : f.key == "fabric"  ? &out->fabric
                     : f.key == "grpc"    ? &out->grpc
                     : f.key == "admin"   ? &out->admin
                     : f.key == "metrics" ? &out->metrics
                                          : nullptr;
    if (port == nullptr) return UnknownKey(f);
    return ReadUnsigned<uint16_t>(f, 1, 65535, port);
  });
}

absl::Status Parser::CheckPorts(const PortsConfig& p, const YAML::Mark& root_mark) const {
  const std::array<std::pair<absl::string_view, uint16_t>, 5> ports = {{{"service", p.service},
                                                                        {"fabric", p.fabric},
                                                                        {"grpc", p.grpc},
                                                                        {"admin", p.admin},
                                                                        {"metrics", p.metrics}}};
  for (size_t j = 1; j < ports.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      if (ports[i].second != ports[j].second) continue;
      // Point at whichever of the two was written in the file (the later one if both were).
      std::string pj = absl::StrCat("ports.", ports[j].first);
      std::string pi = absl::StrCat("ports.", ports[i].first);
      bool j_given = marks_.count(pj) > 0;
      return Error(MarkOf(j_given ? pj : pi, root_mark), j_given ? pj : pi,
                   absl::StrCat("port ", ports[j].second, " is also used by ports.",
                                j_given ? ports[i].first : ports[j].first));
    }
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseService(const YAML::Node& n, ServiceConfig* out) {
  return ForEachField(n, "service", [&](const Field& f) -> absl::Status {
    if (f.key == "threads") return ReadUnsigned<uint32_t>(f, 0, 256, &out->threads);
    if (f.key == "max_connections") {
      return ReadUnsigned<uint32_t>(f, 1, 1000000, &out->max_connections);
    }
    if (f.key == "max_message_size") {
      return ReadSize(f, 1 << 10, uint64_t{128} << 20, &out->max_message_size);
    }
    if (f.key == "idle_timeout_sec") {
      return ReadUnsigned<uint32_t>(f, 0, 86400 * 7, &out->idle_timeout_sec);
    }
    if (f.key == "max_batch_rows")
      return ReadUnsigned<uint32_t>(f, 1, 1000000, &out->max_batch_rows);
    return UnknownKey(f);
  });
}

absl::Status Parser::ParseCluster(const YAML::Node& n, ClusterConfig* out) {
  return ForEachField(n, "cluster", [&](const Field& f) -> absl::Status {
    if (f.key == "seeds") {
      if (!f.value.IsSequence() && !f.value.IsNull()) {
        return Error(f, absl::StrCat("expected a list of host:port, got ", Describe(f.value)));
      }
      for (size_t i = 0; i < f.value.size(); ++i) {
        const YAML::Node& seed = f.value[i];
        if (!seed.IsScalar() || seed.Scalar().empty()) {
          return Error(seed.Mark(), absl::StrCat("cluster.seeds[", i, "]"),
                       "expected host or host:port");
        }
        out->seeds.push_back(seed.Scalar());
      }
      return absl::OkStatus();
    }
    if (f.key == "heartbeat_interval_ms") {
      return ReadUnsigned<uint32_t>(f, 10, 10000, &out->heartbeat_interval_ms);
    }
    if (f.key == "heartbeat_timeout_beats") {
      return ReadUnsigned<uint32_t>(f, 3, 1000, &out->heartbeat_timeout_beats);
    }
    if (f.key == "replication_timeout_ms") {
      return ReadUnsigned<uint32_t>(f, 10, 600000, &out->replication_timeout_ms);
    }
    if (f.key == "migrate_fill_delay_sec") {
      return ReadUnsigned<uint32_t>(f, 0, 86400, &out->migrate_fill_delay_sec);
    }
    if (f.key == "migrate_max_records_per_sec") {
      return ReadUnsigned<uint32_t>(f, 0, 100000000, &out->migrate_max_records_per_sec);
    }
    return UnknownKey(f);
  });
}

absl::Status Parser::ParseLogging(const YAML::Node& n, LoggingConfig* out) {
  return ForEachField(n, "logging", [&](const Field& f) -> absl::Status {
    if (f.key != "level") return UnknownKey(f);
    if (absl::Status s = ReadString(f, &out->level); !s.ok()) return s;
    static constexpr std::array<std::string_view, 6> kLevels = {"trace", "debug", "info",
                                                                "warn",  "error", "off"};
    if (std::find(kLevels.begin(), kLevels.end(), out->level) == kLevels.end()) {
      return Error(f, absl::StrCat("must be one of trace, debug, info, warn, error, off (got '",
                                   out->level, "')"));
    }
    return absl::OkStatus();
  });
}

absl::Status Parser::ParseSet(const YAML::Node& n, const std::string& path, SetConfig* out) {
  if (!n.IsMap()) return Error(n.Mark(), path, absl::StrCat("expected a map, got ", Describe(n)));
  absl::Status s = ForEachField(n, path, [&](const Field& f) -> absl::Status {
    if (f.key == "name") {
      if (absl::Status s = ReadString(f, &out->name); !s.ok()) return s;
      if (out->name.size() > kMaxSetNameLength) {
        return Error(f, absl::StrCat("set names are at most ", kMaxSetNameLength, " bytes (got ",
                                     out->name.size(), ")"));
      }
      if (out->name.find_first_of(":;") != std::string::npos) {
        return Error(f, absl::StrCat("must not contain ':' or ';' (got '", out->name, "')"));
      }
      return absl::OkStatus();
    }
    if (f.key == "default_ttl") {
      int64_t ttl = 0;
      if (absl::Status s = ReadTtl(f, &ttl); !s.ok()) return s;
      out->default_ttl = ttl;
      return absl::OkStatus();
    }
    if (f.key == "stop_writes_count") {
      return ReadUnsigned<uint64_t>(f, 0, std::numeric_limits<int64_t>::max(),
                                    &out->stop_writes_count);
    }
    if (f.key == "disable_eviction") return ReadBool(f, &out->disable_eviction);
    return UnknownKey(f);
  });
  if (!s.ok()) return s;
  if (out->name.empty()) return Error(n.Mark(), absl::StrCat(path, ".name"), "is required");
  return absl::OkStatus();
}

absl::Status Parser::ParseGeo(const Field& geo, GeoConfig* out) {
  absl::Status s = ForEachField(geo.value, geo.path, [&](const Field& f) -> absl::Status {
    if (f.key == "min_level") return ReadUnsigned<uint32_t>(f, 0, 30, &out->min_level);
    if (f.key == "max_level") return ReadUnsigned<uint32_t>(f, 0, 30, &out->max_level);
    if (f.key == "max_cells") return ReadUnsigned<uint32_t>(f, 1, 256, &out->max_cells);
    if (f.key == "level_mod") return ReadUnsigned<uint32_t>(f, 1, 3, &out->level_mod);
    if (f.key == "earth_radius_meters") {
      return ReadUnsigned<uint64_t>(f, 1, 1ull << 40, &out->earth_radius_meters);
    }
    return UnknownKey(f);
  });
  if (!s.ok()) return s;
  if (out->max_level < out->min_level) {
    std::string max_path = absl::StrCat(geo.path, ".max_level");
    return Error(MarkOf(max_path, geo.value.Mark()), max_path,
                 absl::StrCat("must not be below min_level (", out->min_level, ") (got ",
                              out->max_level, ")"));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseNamespace(const YAML::Node& n, const std::string& path,
                                    NamespaceConfig* out) {
  if (!n.IsMap()) return Error(n.Mark(), path, absl::StrCat("expected a map, got ", Describe(n)));
  absl::Status status = ForEachField(n, path, [&](const Field& f) -> absl::Status {
    if (f.key == "name") {
      if (absl::Status s = ReadString(f, &out->name); !s.ok()) return s;
      if (out->name.size() > kMaxNamespaceNameLength) {
        return Error(f, absl::StrCat("namespace names are at most ", kMaxNamespaceNameLength,
                                     " characters (got ", out->name.size(), ")"));
      }
      for (char c : out->name) {
        if (c == ':' || c == ';' || absl::ascii_isspace(static_cast<unsigned char>(c))) {
          return Error(
              f, absl::StrCat("must not contain ':', ';' or whitespace (got '", out->name, "')"));
        }
      }
      return absl::OkStatus();
    }
    if (f.key == "storage") {
      std::string kind;
      if (absl::Status s = ReadString(f, &kind); !s.ok()) return s;
      if (kind == "memory") {
        out->storage = StorageKind::kMemory;
      } else if (kind == "flash") {
        out->storage = StorageKind::kFlash;
      } else {
        return Error(f, absl::StrCat("must be memory or flash (got '", kind, "')"));
      }
      return absl::OkStatus();
    }
    if (f.key == "data_dir") return ReadString(f, &out->data_dir);
    if (f.key == "commit_to_device") return ReadBool(f, &out->commit_to_device);
    if (f.key == "replication_factor") {
      return ReadUnsigned<uint32_t>(f, 1, 8, &out->replication_factor);
    }
    if (f.key == "default_ttl") return ReadTtl(f, &out->default_ttl);
    if (f.key == "max_record_size") {
      return ReadSize(f, kMinRecordSize, kMaxRecordSize, &out->max_record_size);
    }
    if (f.key == "memory_size") {
      return ReadSize(f, 1, std::numeric_limits<uint64_t>::max(), &out->memory_size);
    }
    if (f.key == "disk_size") {
      return ReadSize(f, 1, std::numeric_limits<uint64_t>::max(), &out->disk_size);
    }
    if (f.key == "stop_writes_pct") return ReadPercent(f, &out->stop_writes_pct);
    if (f.key == "evict_pct") return ReadPercent(f, &out->evict_pct);
    if (f.key == "nsup_period_sec") {
      return ReadUnsigned<uint32_t>(f, 0, 86400, &out->nsup_period_sec);
    }
    if (f.key == "sprigs_per_partition") {
      if (absl::Status s = ReadUnsigned<uint32_t>(f, 1, 256, &out->sprigs_per_partition); !s.ok()) {
        return s;
      }
      if ((out->sprigs_per_partition & (out->sprigs_per_partition - 1)) != 0) {
        return Error(f, absl::StrCat("must be a power of two between 1 and 256 (got ",
                                     out->sprigs_per_partition, ")"));
      }
      return absl::OkStatus();
    }
    if (f.key == "consistency") {
      std::string mode;
      if (absl::Status s = ReadString(f, &mode); !s.ok()) return s;
      // Strong consistency (rosters) is designed (DESIGN.md §4) but not built: refused rather
      // than run as AP under a name that promises more.
      if (mode == "strong") {
        return Error(f, "strong is not available yet: namespaces run AP (consistency: available)");
      }
      if (mode != "available") {
        return Error(f, absl::StrCat("must be available (got '", mode, "')"));
      }
      return absl::OkStatus();
    }
    if (f.key == "geo2dsphere_within") return ParseGeo(f, &out->geo2dsphere_within);
    if (f.key == "sets") {
      if (f.value.IsNull()) return absl::OkStatus();
      if (!f.value.IsSequence()) {
        return Error(f, absl::StrCat("expected a list, got ", Describe(f.value)));
      }
      for (size_t i = 0; i < f.value.size(); ++i) {
        std::string set_path = absl::StrCat(f.path, "[", i, "]");
        SetConfig set;
        if (absl::Status s = ParseSet(f.value[i], set_path, &set); !s.ok()) return s;
        for (const SetConfig& other : out->sets) {
          if (other.name == set.name) {
            return Error(MarkOf(set_path + ".name", f.value[i].Mark()), set_path + ".name",
                         absl::StrCat("duplicate set '", set.name, "'"));
          }
        }
        out->sets.push_back(std::move(set));
      }
      return absl::OkStatus();
    }
    return UnknownKey(f);
  });
  if (!status.ok()) return status;

  if (out->name.empty()) return Error(n.Mark(), absl::StrCat(path, ".name"), "is required");
  if (out->evict_pct > 0 && out->evict_pct >= out->stop_writes_pct) {
    std::string evict_path = absl::StrCat(path, ".evict_pct");
    return Error(MarkOf(evict_path, n.Mark()), evict_path,
                 absl::StrCat("must be below stop_writes_pct (", out->stop_writes_pct, ") (got ",
                              out->evict_pct, ")"));
  }
  return absl::OkStatus();
}

absl::Status Parser::Parse(const YAML::Node& root, Config* config) {
  if (!root.IsMap() && !root.IsNull()) {
    return Error(root.Mark(), "", absl::StrCat("expected a map at the top, got ", Describe(root)));
  }
  absl::Status status = ForEachField(root, "", [&](const Field& f) -> absl::Status {
    if (f.key == "node") return ParseNode(f.value, &config->node);
    if (f.key == "ports") return ParsePorts(f.value, &config->ports);
    if (f.key == "logging") return ParseLogging(f.value, &config->logging);
    if (f.key == "service") return ParseService(f.value, &config->service);
    if (f.key == "cluster") return ParseCluster(f.value, &config->cluster);
    if (f.key == "namespaces") {
      if (!f.value.IsSequence() && !f.value.IsNull()) {
        return Error(f, absl::StrCat("expected a list, got ", Describe(f.value)));
      }
      for (size_t i = 0; i < f.value.size(); ++i) {
        std::string ns_path = absl::StrCat("namespaces[", i, "]");
        NamespaceConfig ns;
        if (absl::Status s = ParseNamespace(f.value[i], ns_path, &ns); !s.ok()) return s;
        if (config->FindNamespace(ns.name) != nullptr) {
          return Error(MarkOf(ns_path + ".name", f.value[i].Mark()), ns_path + ".name",
                       absl::StrCat("duplicate namespace '", ns.name, "'"));
        }
        config->namespaces.push_back(std::move(ns));
      }
      return absl::OkStatus();
    }
    return UnknownKey(f);
  });
  if (!status.ok()) return status;

  YAML::Mark root_mark = root.IsNull() ? YAML::Mark::null_mark() : root.Mark();
  if (config->namespaces.empty()) {
    return Error(MarkOf("namespaces", root_mark), "namespaces",
                 "at least one namespace is required");
  }
  return CheckPorts(config->ports, root_mark);
}

}  // namespace

const NamespaceConfig* Config::FindNamespace(std::string_view name) const {
  for (const NamespaceConfig& ns : namespaces) {
    if (ns.name == name) return &ns;
  }
  return nullptr;
}

bool ParseSize(std::string_view text, uint64_t* bytes) {
  bool negative = false;
  uint64_t n = 0;
  char suffix = 0;
  if (!SplitNumber(Absl(text), &negative, &n, &suffix) || negative) return false;
  const int shift = SizeShift(suffix);
  if (shift < 0 || n > (std::numeric_limits<uint64_t>::max() >> shift)) return false;
  *bytes = n << shift;
  return true;
}

absl::StatusOr<Config> ParseConfig(std::string_view yaml, std::string_view source_name) {
  absl::string_view source(source_name.data(), source_name.size());
  // yaml-cpp reports syntax errors (and any internal failure) by throwing; none leave here.
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    Config config;
    if (absl::Status s = Parser(source_name).Parse(root, &config); !s.ok()) return s;
    return config;
  } catch (const YAML::Exception& e) {
    std::string where =
        e.mark.is_null() ? std::string(source) : absl::StrCat(source, ":", e.mark.line + 1);
    return MakeError(ResultCode::kParameterError, absl::StrCat(where, ": invalid YAML: ", e.msg));
  } catch (const std::exception& e) {
    return MakeError(ResultCode::kParameterError, absl::StrCat(source, ": ", e.what()));
  }
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ResultCode::kParameterError,
                     absl::StrCat("cannot read config file '", path, "': ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return MakeError(ResultCode::kParameterError,
                     absl::StrCat("cannot read config file '", path, "': ", std::strerror(errno)));
  }
  return ParseConfig(text.str(), path);
}

}  // namespace tern::base
