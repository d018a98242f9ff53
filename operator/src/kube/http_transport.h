// Transport over cpprestsdk's http_client (HTTPS with the config's CA and credentials).
#pragma once

#include <memory>

#include "kube/config.h"
#include "kube/transport.h"

namespace tern::kube {

std::shared_ptr<Transport> MakeHttpTransport(const Config& config);

}  // namespace tern::kube
