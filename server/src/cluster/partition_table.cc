#include "cluster/partition_table.h"

#include <algorithm>
#include <set>

namespace tern::cluster {

uint64_t RendezvousScore(uint32_t partition, uint64_t node_id) {
  // splitmix64 of the pair: cheap, well mixed, and the same on every platform.
  uint64_t z = node_id ^ (uint64_t{partition} * 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<uint8_t> PreferenceOrder(uint32_t partition, std::span<const Member> members) {
  std::vector<uint8_t> order(members.size());
  for (size_t i = 0; i < members.size(); ++i) order[i] = static_cast<uint8_t>(i);
  std::sort(order.begin(), order.end(), [&](uint8_t a, uint8_t b) {
    const Member& ma = members[a];
    const Member& mb = members[b];
    if (ma.quiesced != mb.quiesced) return !ma.quiesced;
    const uint64_t sa = RendezvousScore(partition, ma.id), sb = RendezvousScore(partition, mb.id);
    return sa != sb ? sa > sb : ma.id > mb.id;
  });
  return order;
}

std::vector<uint8_t> OwnersOf(uint32_t partition, std::span<const Member> members,
                              uint32_t copies) {
  const std::vector<uint8_t> order = PreferenceOrder(partition, members);
  copies = std::min<uint32_t>(copies, static_cast<uint32_t>(members.size()));
  std::vector<uint8_t> owners;
  std::set<uint32_t> racks;
  // First one copy per rack, then the rest in preference order: with every node on rack 0
  // this is plain preference order.
  for (uint8_t m : order) {
    if (owners.size() == copies) break;
    if (racks.insert(members[m].rack).second) owners.push_back(m);
  }
  for (uint8_t m : order) {
    if (owners.size() == copies) break;
    if (std::find(owners.begin(), owners.end(), m) == owners.end()) owners.push_back(m);
  }
  // The master is the most preferred owner, so rack spreading never changes who masters.
  return owners;
}

bool NamespaceTable::IsOwner(uint32_t p, uint8_t member) const {
  for (uint8_t o : OwnersOf(p)) {
    if (o == member) return true;
  }
  return false;
}

std::vector<uint8_t> NamespaceTable::ClientOrder(uint32_t p) const {
  std::vector<uint8_t> out{ActingOf(p)};
  for (uint8_t o : OwnersOf(p)) {
    if (out.size() == copies) break;
    if (o != out[0]) out.push_back(o);
  }
  return out;
}

NamespaceTable MakeOwners(std::span<const Member> members, uint32_t replication_factor) {
  NamespaceTable t;
  t.copies = std::min<uint32_t>(replication_factor, static_cast<uint32_t>(members.size()));
  t.owners.reserve(size_t{base::kPartitionCount} * t.copies);
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    for (uint8_t o : OwnersOf(p, members, t.copies)) t.owners.push_back(o);
  }
  t.acting.assign(base::kPartitionCount, t.copies ? t.owners[0] : kNoNode);
  return t;
}

void ChooseActing(std::span<const Member> members, std::span<const PartitionBits> full,
                  NamespaceTable* t) {
  if (t->copies == 0) return;
  for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
    auto owners = t->OwnersOf(p);
    uint8_t acting = kNoNode;
    for (uint8_t o : owners) {
      if (TestBit(full[o], p)) {
        acting = o;
        break;
      }
    }
    if (acting == kNoNode) {
      for (uint8_t m : PreferenceOrder(p, members)) {
        if (TestBit(full[m], p)) {
          acting = m;
          break;
        }
      }
    }
    t->acting[p] = acting == kNoNode ? static_cast<uint8_t>(owners[0] | kFreshFlag) : acting;
  }
}

}  // namespace tern::cluster
