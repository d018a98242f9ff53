// Routing with synthetic partition maps: each key goes to the node the map names for its
// partition (master, or a replica when asked), and malformed maps are refused.
#include "partition_router.h"

#include <gtest/gtest.h>

#include "tern/key.h"

namespace tern::client_internal {
namespace {

// Three nodes, two copies: partition p is mastered by node p % 3, its replica is (p + 1) % 3.
tern::v1::PartitionMap ThreeNodeMap() {
  tern::v1::PartitionMap m;
  m.set_generation(5);
  for (const char* a : {"10.0.0.1:3100", "10.0.0.2:3100", "10.0.0.3:3100"}) {
    auto* n = m.add_nodes();
    n->set_name(a);
    n->set_grpc_address(a);
  }
  auto* ns = m.add_namespaces();
  ns->set_namespace_("test");
  ns->set_copies(2);
  for (uint32_t p = 0; p < kPartitionCount; ++p) {
    ns->add_owners(p % 3);
    ns->add_owners((p + 1) % 3);
  }
  return m;
}

std::string NodeOf(uint32_t i) { return "10.0.0." + std::to_string(i + 1) + ":3100"; }

TEST(PartitionRouterTest, KeysGoToTheirPartitionsMaster) {
  auto r = PartitionRouter::FromProto(ThreeNodeMap());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->generation(), 5u);
  EXPECT_EQ(r->nodes().size(), 3u);
  for (int i = 0; i < 200; ++i) {
    Key k("test", "demo", "key" + std::to_string(i));
    const uint32_t p = k.partition();
    EXPECT_EQ(r->NodeFor("test", p), NodeOf(p % 3));
    EXPECT_EQ(r->NodeFor("test", p, Replica::kPreferReplica), NodeOf((p + 1) % 3));
    // A retry of a replica read tries the other copy (the master).
    EXPECT_EQ(r->NodeFor("test", p, Replica::kPreferReplica, 1), NodeOf(p % 3));
  }
}

TEST(PartitionRouterTest, PartitionIsTheDigestsLow12Bits) {
  Key k = Key::FromDigest("test", "", Digest{0x34, 0x12});
  EXPECT_EQ(k.partition(), 0x234u);
  Key all = Key::FromDigest("test", "", Digest{0xff, 0xff});
  EXPECT_EQ(all.partition(), 4095u);
}

TEST(PartitionRouterTest, UnknownNamespaceGoesToAnyNode) {
  auto r = PartitionRouter::FromProto(ThreeNodeMap());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->NodeFor("nope", 7), NodeOf(0));  // which answers "namespace not found"
  auto empty = PartitionRouter::FromProto(tern::v1::PartitionMap());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->NodeFor("test", 7), "");
}

TEST(PartitionRouterTest, SingleCopyMapIgnoresReplicaPreference) {
  tern::v1::PartitionMap m = ThreeNodeMap();
  auto* ns = m.mutable_namespaces(0);
  ns->set_copies(1);
  ns->clear_owners();
  for (uint32_t p = 0; p < kPartitionCount; ++p) ns->add_owners(2);
  auto r = PartitionRouter::FromProto(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->NodeFor("test", 100, Replica::kPreferReplica), NodeOf(2));
}

TEST(PartitionRouterTest, RejectsMalformedMaps) {
  tern::v1::PartitionMap short_map = ThreeNodeMap();
  short_map.mutable_namespaces(0)->mutable_owners()->RemoveLast();
  EXPECT_FALSE(PartitionRouter::FromProto(short_map).ok());
  tern::v1::PartitionMap bad_node = ThreeNodeMap();
  bad_node.mutable_namespaces(0)->set_owners(10, 9);
  EXPECT_FALSE(PartitionRouter::FromProto(bad_node).ok());
  tern::v1::PartitionMap no_copies = ThreeNodeMap();
  no_copies.mutable_namespaces(0)->set_copies(0);
  EXPECT_FALSE(PartitionRouter::FromProto(no_copies).ok());
}

}  // namespace
}  // namespace tern::client_internal
