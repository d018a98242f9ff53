// Who holds each partition: the pure function every node evaluates identically. Final owners
// come from rendezvous hashing of (partition, node id) over the succession list; the acting
// master is the node that serves a partition while migrations fill its final owners.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/digest.h"

namespace tern::cluster {

inline constexpr uint8_t kFreshFlag = 0x80;  // acting byte: the master starts the partition
inline constexpr uint8_t kNoNode = 0x7f;
inline constexpr size_t kBitmapBytes = base::kPartitionCount / 8;

// A member as the partition table sees it.
struct Member {
  uint64_t id = 0;
  uint32_t rack = 0;
  bool quiesced = false;  // hands its roles to others: sorts after every active node
};

// One bit per partition, most significant bit first (the `replicas` info layout).
using PartitionBits = std::array<uint8_t, kBitmapBytes>;
inline bool TestBit(const PartitionBits& b, uint32_t p) { return b[p >> 3] & (0x80 >> (p & 7)); }
inline void SetBit(PartitionBits& b, uint32_t p, bool on) {
  if (on) {
    b[p >> 3] |= static_cast<uint8_t>(0x80 >> (p & 7));
  } else {
    b[p >> 3] &= static_cast<uint8_t>(~(0x80 >> (p & 7)));
  }
}

// The rendezvous weight of a node for a partition: highest wins.
uint64_t RendezvousScore(uint32_t partition, uint64_t node_id);

// Members' indexes in preference order for `partition`: active nodes by score, then
// quiesced ones.
std::vector<uint8_t> PreferenceOrder(uint32_t partition, std::span<const Member> members);

// The final owners (master first) of `partition`: `copies` distinct members, spread over
// racks first (one per rack in preference order), then by preference.
std::vector<uint8_t> OwnersOf(uint32_t partition, std::span<const Member> members, uint32_t copies);

// Per namespace: final owners and the acting master of every partition.
struct NamespaceTable {
  uint32_t copies = 0;          // min(replication factor, members)
  std::vector<uint8_t> owners;  // kPartitionCount * copies member indexes
  std::vector<uint8_t> acting;  // kPartitionCount: member index | kFreshFlag

  std::span<const uint8_t> OwnersOf(uint32_t p) const {
    return {owners.data() + size_t{p} * copies, copies};
  }
  uint8_t ActingOf(uint32_t p) const { return acting[p] & ~kFreshFlag; }
  bool Fresh(uint32_t p) const { return acting[p] & kFreshFlag; }
  bool IsOwner(uint32_t p, uint8_t member) const;
  // The nodes a client sees for `p`: acting master, then the other owners (at most `copies`).
  std::vector<uint8_t> ClientOrder(uint32_t p) const;
};

// Builds owners for every partition.
NamespaceTable MakeOwners(std::span<const Member> members, uint32_t replication_factor);

// Chooses each partition's acting master from who holds a complete copy (`full[i]` for
// member i): the first owner that does; else the most preferred member that does; else the
// master, starting the partition fresh.
void ChooseActing(std::span<const Member> members, std::span<const PartitionBits> full,
                  NamespaceTable* table);

}  // namespace tern::cluster
