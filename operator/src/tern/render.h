// What a TernCluster should own, rendered from its spec: pure functions, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tern::op {

using nlohmann::json;

inline constexpr char kConfigHashAnnotation[] = "tern.dev/config-hash";
inline constexpr char kRestartHashAnnotation[] = "tern.dev/restart-hash";
// On the TernCluster: a value here forces every pod to roll once (set when a live policy
// change could not be applied).
inline constexpr char kRestartTokenAnnotation[] = "tern.dev/restart-token";
inline constexpr char kScaleDownAnnotation[] = "tern.dev/scale-down";
inline constexpr char kManagedBy[] = "tern-operator";
inline constexpr char kDataRoot[] = "/var/lib/tern";

struct RenderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The spec with the CRD's defaults filled in (the API server defaults too; this keeps the
// operator right against objects stored before a default existed). Throws RenderError.
json SpecWithDefaults(const json& spec);

// "4Gi", "512Mi", "1G", "1000" -> bytes. Throws RenderError.
uint64_t ParseQuantity(const std::string& q);
std::string Sha256Hex(std::string_view data);

json Labels(const std::string& cluster);
std::string SelectorString(const std::string& cluster);  // for status.selector
json OwnerReference(const json& tc);

// Policy ternd can change live (no restart), per namespace.
struct NamespacePolicy {
  std::string name;
  int64_t default_ttl = 0;
  std::optional<int64_t> stop_writes_pct;
  std::map<std::string, uint64_t> set_stop_writes;  // set -> stop_writes_count
};
std::vector<NamespacePolicy> LivePolicies(const json& spec);

// One StatefulSet of a cluster: the whole cluster when spec.racks is empty ("<name>", as
// before racks existed), else one rack ("<name>-<rackId>").
struct RackSet {
  std::string name;
  std::optional<int64_t> rack_id;
  int replicas = 0;
  std::string restart_hash;  // changes only when this set's pods must restart to take a change
  json statefulset;
};

// Pod counts per rack for `size` pods over `racks` racks, as even as possible; the first
// racks take the remainder (5 over 2 -> 3, 2).
std::vector<int> RackSizes(int size, size_t racks);

inline constexpr char kRackLabel[] = "tern.dev/rack-id";

struct Desired {
  std::string config_yaml;
  std::string config_hash;  // sha256(tern.yaml): pod template annotation
  json config_map, headless_service, client_service, pdb;
  std::vector<RackSet> sets;  // in spec.racks order
  const RackSet* Find(const std::string& set) const;
};
// `tc` is the whole TernCluster (metadata for names and owner, spec).
Desired Render(const json& tc);

// tern.yaml text for a spec; live_fields=false leaves out what LivePolicies covers.
std::string RenderConfigYaml(const std::string& name, const std::string& ns, const json& spec,
                             bool live_fields = true);

// "a=1;b=x" -> {a:1, b:x} (an info command's answer).
std::map<std::string, std::string> ParseInfo(std::string_view text);

// True when every key of `want` is in `have` with an equal value (objects recursively,
// arrays element by element with equal length): fields the server adds do not count.
bool Contains(const json& have, const json& want);

// metadata.annotations[key] as a string; "" when absent (or when any level is null).
std::string AnnotationOf(const json& obj, const std::string& key);

// The ordinal of a StatefulSet pod name "<sts>-<n>", or -1.
int PodOrdinal(const std::string& sts, const std::string& pod);

}  // namespace tern::op
