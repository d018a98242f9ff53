// What the cluster layer needs from this node's data, implemented by the transaction engine
// (txn sits above cluster, so cluster defines the interface and txn fills it in).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/digest.h"

namespace tern::fabric::v1 {
class ProxyRequest;
class ProxyReply;
}  // namespace tern::fabric::v1

namespace tern::cluster {

class LocalData {
 public:
  virtual ~LocalData() = default;

  // Stores a record image (record::EncodeRecord bytes; empty = delete). With `merge`, an
  // existing copy that is newer (higher generation, then later update) is kept. Returns
  // whether the image was applied.
  virtual absl::StatusOr<bool> ApplyImage(std::string_view ns, const base::Digest& digest,
                                          std::string_view image, bool merge) = 0;
  // Visits every stored record of a partition (expired ones excepted) as images.
  virtual absl::Status ForEachImage(
      std::string_view ns, uint32_t partition,
      absl::FunctionRef<bool(const base::Digest&, std::string image)> fn) = 0;
  virtual uint64_t RecordsIn(std::string_view ns, uint32_t partition) = 0;
  // Drops every record of a partition (it moved to other nodes, or a complete copy replaces it).
  virtual absl::Status DropPartition(std::string_view ns, uint32_t partition) = 0;
  // Runs a request another node proxied here, never proxying it again.
  virtual void ExecuteProxied(const fabric::v1::ProxyRequest& req,
                              fabric::v1::ProxyReply* reply) = 0;
};

}  // namespace tern::cluster
