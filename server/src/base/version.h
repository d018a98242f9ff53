// Version strings. Official Aerospike clients gate protocol features (batch-any, partition
// queries, ...) on the server build they see in the `build` info reply, so Tern reports the
// Aerospike build whose protocol it speaks, and its own version separately.
#pragma once

namespace tern::base {

inline constexpr const char* kTernVersion = "0.1.0";
inline constexpr const char* kCompatibleBuild = "8.1.2.0";
inline constexpr const char* kEdition = "Tern Community Edition";

}  // namespace tern::base
