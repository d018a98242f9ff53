#include "tern/wire/cluster_client.h"

#include <ctime>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/digest.h"
#include "base/strings.h"

namespace tern::wire {

namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

using absl::string_view;  // Debian's abseil does not take std::string_view

absl::Status Malformed(string_view what, string_view text) {
  return absl::DataLossError(absl::StrCat("malformed ", what, ": '", text.substr(0, 200), "'"));
}

bool SplitHostPort(string_view s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == string_view::npos) return false;
  uint32_t p = 0;
  if (!absl::SimpleAtoi(s.substr(colon + 1), &p) || p == 0 || p > 65535) return false;
  *host = std::string(s.substr(0, colon));
  *port = static_cast<uint16_t>(p);
  return !host->empty();
}

}  // namespace

absl::StatusOr<std::vector<PeerAddress>> ParsePeers(std::string_view peers) {
  const string_view text = base::Absl(peers);
  // <generation>,<default port>,[ entries ]
  std::vector<string_view> head = absl::StrSplit(text, absl::MaxSplits(',', 2));
  uint32_t default_port = 0;
  if (head.size() != 3 || !absl::SimpleAtoi(head[1], &default_port) || head[2].size() < 2 ||
      head[2].front() != '[' || head[2].back() != ']') {
    return Malformed("peers", text);
  }
  string_view rest = head[2].substr(1, head[2].size() - 2);
  std::vector<PeerAddress> out;
  while (!rest.empty()) {
    // [<node>,<tls name>,[<addr>,...]]
    if (rest.front() == ',') rest.remove_prefix(1);
    if (rest.size() < 2 || rest.front() != '[') return Malformed("peers", text);
    size_t inner = rest.find('[', 1);
    size_t end = rest.find("]]");
    if (inner == string_view::npos || end == string_view::npos || end < inner) {
      return Malformed("peers", text);
    }
    std::vector<string_view> fields = absl::StrSplit(rest.substr(1, inner - 1), ',');
    string_view addrs = rest.substr(inner + 1, end - inner - 1);
    rest.remove_prefix(end + 2);
    if (fields.size() < 2 || fields[0].empty()) return Malformed("peers", text);
    string_view first = addrs.substr(0, addrs.find(','));
    PeerAddress p{std::string(fields[0]), {}, static_cast<uint16_t>(default_port)};
    if (!SplitHostPort(first, &p.host, &p.port)) p.host = std::string(first);
    if (p.host.empty() || p.port == 0) return Malformed("peers", text);
    out.push_back(std::move(p));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ClusterClient>> ClusterClient::Connect(ClusterOptions options) {
  if (options.seeds.empty()) return absl::InvalidArgumentError("no seed nodes");
  std::unique_ptr<ClusterClient> c(new ClusterClient(std::move(options)));
  if (absl::Status s = c->Refresh(); !s.ok()) return s;
  return c;
}

absl::Status ClusterClient::Refresh() {
  // Every address we know of: the nodes of the last map, then the seeds.
  std::vector<std::string> contacts;
  for (const Node& n : nodes_) contacts.push_back(n.client->address());
  contacts.insert(contacts.end(), options_.seeds.begin(), options_.seeds.end());

  std::vector<Node> nodes;
  absl::Status last = absl::UnavailableError("no seed answered");
  auto reuse = [&](const std::string& address) -> std::unique_ptr<Client> {
    for (Node& n : nodes_) {
      if (n.client && n.client->address() == address) return std::move(n.client);
    }
    ClientOptions o = options_.node;
    if (!SplitHostPort(base::Absl(address), &o.host, &o.port)) return nullptr;
    auto c = Client::Connect(o);
    if (!c.ok()) {
      last = c.status();
      return nullptr;
    }
    return *std::move(c);
  };
  std::vector<PeerAddress> peers;
  for (const std::string& contact : contacts) {
    std::unique_ptr<Client> seed = reuse(contact);
    if (!seed) continue;
    auto reply = seed->Info({"node", "peers-clear-std"});
    if (!reply.ok() || reply->size() != 2) {
      last = reply.ok() ? Malformed("info reply", base::Absl(contact)) : reply.status();
      continue;
    }
    auto parsed = ParsePeers((*reply)[1].second);
    if (!parsed.ok()) {
      last = parsed.status();
      continue;
    }
    peers = *std::move(parsed);
    nodes.push_back(Node{(*reply)[0].second, std::move(seed), {}});
    break;
  }
  if (nodes.empty()) return last;
  for (const PeerAddress& p : peers) {
    if (std::unique_ptr<Client> c = reuse(absl::StrCat(p.host, ":", p.port))) {
      nodes.push_back(Node{p.name, std::move(c), {}});
    }
  }

  std::map<std::string, std::vector<int>, std::less<>> masters;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto reply = nodes[i].client->Info({"partition-generation", "replicas-master"});
    if (!reply.ok() || reply->size() != 2) continue;  // stays unmapped: retried at the next check
    nodes[i].generation = (*reply)[0].second;
    for (string_view entry : absl::StrSplit((*reply)[1].second, ';', absl::SkipEmpty())) {
      size_t colon = entry.find(':');
      std::string bits;
      if (colon == string_view::npos ||
          !absl::Base64Unescape(entry.substr(colon + 1), &bits) ||
          bits.size() != base::kPartitionCount / 8) {
        return Malformed("replicas-master", entry);
      }
      auto& owners = masters[std::string(entry.substr(0, colon))];
      owners.resize(base::kPartitionCount, -1);
      for (uint32_t p = 0; p < base::kPartitionCount; ++p) {
        if (static_cast<uint8_t>(bits[p >> 3]) & (0x80 >> (p & 7))) owners[p] = static_cast<int>(i);
      }
    }
  }
  nodes_ = std::move(nodes);
  masters_ = std::move(masters);
  next_check_ns_ = NowNs() + int64_t{options_.refresh_ms} * 1'000'000;
  return absl::OkStatus();
}

bool ClusterClient::GenerationsMoved() {
  for (Node& n : nodes_) {
    auto g = n.client->InfoValue("partition-generation");
    if (!g.ok() || *g != n.generation) return true;
  }
  return false;
}

absl::StatusOr<Client*> ClusterClient::Route(const Key& key) {
  if (NowNs() >= next_check_ns_) {
    if (GenerationsMoved()) {
      if (absl::Status s = Refresh(); !s.ok()) return s;
    } else {
      next_check_ns_ = NowNs() + int64_t{options_.refresh_ms} * 1'000'000;
    }
  }
  auto it = masters_.find(key.ns);
  const int node = it == masters_.end() ? -1 : it->second[base::PartitionOf(key.digest)];
  // A namespace or partition no node claims: any node answers (it proxies, or says why).
  return nodes_[node < 0 ? 0 : node].client.get();
}

std::string ClusterClient::AddressFor(const Key& key) const {
  auto it = masters_.find(key.ns);
  if (it == masters_.end() || it->second[base::PartitionOf(key.digest)] < 0) return {};
  return nodes_[it->second[base::PartitionOf(key.digest)]].client->address();
}

template <typename Call>
absl::StatusOr<RecordReply> ClusterClient::Run(const Key& key, Call call) {
  auto client = Route(key);
  if (!client.ok()) return client.status();
  auto r = call(**client);
  if (r.ok() || !absl::IsUnavailable(r.status())) return r;
  // The node is gone or restarting: read the map again and try once more.
  if (absl::Status s = Refresh(); !s.ok()) return r;
  client = Route(key);
  if (!client.ok()) return client.status();
  return call(**client);
}

absl::StatusOr<RecordReply> ClusterClient::Get(const Key& key, std::span<const std::string> bins) {
  return Run(key, [&](Client& c) { return c.Get(key, bins); });
}
absl::StatusOr<RecordReply> ClusterClient::Exists(const Key& key) {
  return Run(key, [&](Client& c) { return c.Exists(key); });
}
absl::StatusOr<RecordReply> ClusterClient::Put(const Key& key, const std::vector<record::Bin>& bins,
                                               const WritePolicy& policy) {
  return Run(key, [&](Client& c) { return c.Put(key, bins, policy); });
}
absl::StatusOr<RecordReply> ClusterClient::Delete(const Key& key, const WritePolicy& policy) {
  return Run(key, [&](Client& c) { return c.Delete(key, policy); });
}
absl::StatusOr<RecordReply> ClusterClient::Operate(const Key& key, const std::vector<Op>& ops,
                                                   const WritePolicy& policy) {
  return Run(key, [&](Client& c) { return c.Operate(key, ops, policy); });
}

}  // namespace tern::wire
