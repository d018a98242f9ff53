// Requests and responses in fabric form, for proxying a command to the node that masters its
// partition. Every field of txn::Request and txn::Response travels: add new ones here too.
#pragma once

#include "absl/status/statusor.h"
#include "tern/fabric/v1/fabric.pb.h"
#include "txn/request.h"

namespace tern::txn {

fabric::v1::ProxyRequest ToProxy(const Request& req);
absl::StatusOr<Request> FromProxy(const fabric::v1::ProxyRequest& req);
void ToProxyReply(const Response& resp, fabric::v1::ProxyReply* out);
Response FromProxyReply(const fabric::v1::ProxyReply& reply);

}  // namespace tern::txn
