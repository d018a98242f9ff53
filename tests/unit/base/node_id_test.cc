#include "base/node_id.h"

#include <gtest/gtest.h>

namespace tern::base {
namespace {

TEST(NodeIdTest, ConfiguredOrHashedFromAddressAndPort) {
  EXPECT_EQ(*ResolveNodeId("bb9", "127.0.0.1", 3000), 0xbb9u);
  EXPECT_FALSE(ResolveNodeId("xyz", "127.0.0.1", 3000).ok());
  EXPECT_FALSE(ResolveNodeId("0", "127.0.0.1", 3000).ok());
  // Stable for one address, different for another.
  EXPECT_EQ(*ResolveNodeId("", "127.0.0.11", 3000), *ResolveNodeId("", "127.0.0.11", 3000));
  EXPECT_NE(*ResolveNodeId("", "127.0.0.11", 3000), *ResolveNodeId("", "127.0.0.12", 3000));
  EXPECT_EQ(NodeName(0xbb9), "BB9");
}

TEST(NodeIdTest, AdvertisedAddress) {
  EXPECT_EQ(*AdvertiseAddress("127.0.0.5", ""), "127.0.0.5");
  EXPECT_EQ(*AdvertiseAddress("0.0.0.0", "10.1.2.3"), "10.1.2.3");
  EXPECT_FALSE(AdvertiseAddress("127.0.0.5", "0.0.0.0").ok());
  // A wildcard listen address advertises a real interface's address, never itself or loopback.
  auto found = AdvertiseAddress("0.0.0.0", "");
  if (found.ok()) {
    EXPECT_FALSE(IsWildcardAddress(*found));
    EXPECT_NE(found->rfind("127.", 0), 0u) << *found;
  } else {
    EXPECT_NE(found.status().message().find("advertise_address"), std::string::npos);
  }
}

}  // namespace
}  // namespace tern::base
