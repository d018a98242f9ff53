#include "cluster/partition_table.h"

#include <map>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace tern::cluster {
namespace {

std::vector<Member> Members(size_t n) {
  std::vector<Member> out;
  for (size_t i = 0; i < n; ++i) out.push_back(Member{0xBB9000000000 + i * 7919, 0, false});
  return out;
}

TEST(PartitionTableTest, OwnersAreDistinctAndTheSameForTheSameInputs) {
  auto members = Members(5);
  NamespaceTable a = MakeOwners(members, 3);
  NamespaceTable b = MakeOwners(members, 3);
  ASSERT_EQ(a.copies, 3u);
  EXPECT_EQ(a.owners, b.owners);
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    auto o = a.OwnersOf(p);
    std::set<uint8_t> distinct(o.begin(), o.end());
    EXPECT_EQ(distinct.size(), 3u) << "partition " << p;
  }
}

TEST(PartitionTableTest, CopiesAreCappedByTheClusterSize) {
  NamespaceTable t = MakeOwners(Members(2), 3);
  EXPECT_EQ(t.copies, 2u);
  EXPECT_EQ(MakeOwners(Members(1), 2).copies, 1u);
}

TEST(PartitionTableTest, MastersSpreadEvenly) {
  for (size_t n : {2, 3, 4, 7}) {
    NamespaceTable t = MakeOwners(Members(n), 2);
    std::map<uint8_t, int> masters;
    for (uint32_t p = 0; p < base::kPartitionCount; ++p) ++masters[t.OwnersOf(p)[0]];
    const double fair = base::kPartitionCount / static_cast<double>(n);
    for (const auto& [m, count] : masters) {
      EXPECT_NEAR(count, fair, fair * 0.15) << n << " nodes, member " << int(m);
    }
  }
}

TEST(PartitionTableTest, AddingANodeMovesOnlyItsShare) {
  auto three = Members(3);
  auto four = three;
  four.push_back(Member{0xCC00000000, 0, false});
  NamespaceTable before = MakeOwners(three, 1);
  NamespaceTable after = MakeOwners(four, 1);
  int moved = 0;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    const uint8_t a = after.OwnersOf(p)[0];
    if (a != before.OwnersOf(p)[0]) {
      ++moved;
      EXPECT_EQ(a, 3) << "a partition moved between two old nodes";
    }
  }
  // Rendezvous hashing: about a quarter moves, all of it to the new node.
  EXPECT_NEAR(moved, base::kPartitionCount / 4.0, base::kPartitionCount * 0.05);
}

TEST(PartitionTableTest, ReplicasSpreadOverRacks) {
  std::vector<Member> m = Members(4);
  m[0].rack = m[1].rack = 1;
  m[2].rack = m[3].rack = 2;
  NamespaceTable t = MakeOwners(m, 2);
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    auto o = t.OwnersOf(p);
    EXPECT_NE(m[o[0]].rack, m[o[1]].rack) << "partition " << p;
    EXPECT_EQ(o[0], PreferenceOrder(p, m)[0]) << "rack spreading changed the master";
  }
}

TEST(PartitionTableTest, QuiescedNodesOwnNothingWhileOthersCan) {
  std::vector<Member> m = Members(3);
  m[1].quiesced = true;
  NamespaceTable t = MakeOwners(m, 2);
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) EXPECT_FALSE(t.IsOwner(p, 1));
}

TEST(PartitionTableTest, ActingMasterIsTheFirstOwnerWithACompleteCopy) {
  std::vector<Member> m = Members(3);
  NamespaceTable t = MakeOwners(m, 2);
  std::vector<PartitionBits> full(3, PartitionBits{});
  const uint32_t p = 77;
  auto owners = t.OwnersOf(p);
  uint8_t outsider = 0;
  while (t.IsOwner(p, outsider)) ++outsider;

  // Nobody holds it: the master starts it fresh.
  ChooseActing(m, full, &t);
  EXPECT_EQ(t.ActingOf(p), owners[0]);
  EXPECT_TRUE(t.Fresh(p));

  // Only a non-owner holds it (a node that joined took it over): it serves until filled.
  SetBit(full[outsider], p, true);
  ChooseActing(m, full, &t);
  EXPECT_EQ(t.ActingOf(p), outsider);
  EXPECT_FALSE(t.Fresh(p));

  // The replica got its copy first: it serves; then the master does.
  SetBit(full[owners[1]], p, true);
  ChooseActing(m, full, &t);
  EXPECT_EQ(t.ActingOf(p), owners[1]);
  SetBit(full[owners[0]], p, true);
  ChooseActing(m, full, &t);
  EXPECT_EQ(t.ActingOf(p), owners[0]);
  EXPECT_EQ(t.ClientOrder(p), (std::vector<uint8_t>{owners[0], owners[1]}));
}

TEST(PartitionTableTest, ClientOrderPutsTheActingMasterFirst) {
  std::vector<Member> m = Members(3);
  NamespaceTable t = MakeOwners(m, 2);
  std::vector<PartitionBits> full(3, PartitionBits{});
  const uint32_t p = 5;
  auto owners = t.OwnersOf(p);
  SetBit(full[owners[1]], p, true);
  ChooseActing(m, full, &t);
  EXPECT_EQ(t.ClientOrder(p), (std::vector<uint8_t>{owners[1], owners[0]}));
}

}  // namespace
}  // namespace tern::cluster
