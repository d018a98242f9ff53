// A cluster view: the succession list the principal published under one cluster key, and the
// partition table derived from it. Immutable once built; nodes swap in a new one on change.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/partition_table.h"

namespace tern::cluster {

struct MemberAddresses {
  std::string fabric;   // host:port
  std::string service;  // host:port (Aerospike wire protocol)
  std::string grpc;     // host:port
};

struct View {
  uint64_t key = 0;  // cluster key; 0 = no view yet
  uint64_t version = 0;
  std::vector<Member> members;  // succession order (highest node id first)
  std::vector<MemberAddresses> addresses;
  std::vector<uint64_t> lineage;  // per member: its cluster key when the view formed
  std::map<std::string, NamespaceTable, std::less<>> tables;
  int self = -1;  // this node's index in members; -1 = not a member

  const NamespaceTable* Table(std::string_view ns) const {
    auto it = tables.find(ns);
    return it == tables.end() ? nullptr : &it->second;
  }
  int IndexOf(uint64_t id) const {
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i].id == id) return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace tern::cluster
