// libFuzzer target for the wire front door: frame header checks plus the message, batch, scan,
// info and admin parsers behind wire::Dispatcher, against a real in-memory engine.
// Input: a stream of frames exactly as a client would send them on one connection.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/info_commands.h"
#include "ns/catalog.h"
#include "txn/engine.h"
#include "wire/dispatcher.h"
#include "wire/proto.h"

namespace {

struct Node {
  Node() {
    tern::base::Config config;
    tern::base::NamespaceConfig ns;
    ns.name = "test";
    ns.sprigs_per_partition = 1;
    ns.memory_size = 64 << 20;
    config.namespaces.push_back(ns);
    catalog = std::move(*tern::ns::Catalog::Open(config));
    engine = std::make_unique<tern::txn::Engine>(*catalog, nullptr);
    info = std::make_unique<tern::api::InfoCommands>(
        *engine, tern::api::NodeIdentity{1, "1", "tern", "127.0.0.1", 3000});
    dispatcher =
        std::make_unique<tern::wire::Dispatcher>(*engine, *info, tern::wire::DispatchOptions{});
  }
  std::unique_ptr<tern::ns::Catalog> catalog;
  std::unique_ptr<tern::txn::Engine> engine;
  std::unique_ptr<tern::api::InfoCommands> info;
  std::unique_ptr<tern::wire::Dispatcher> dispatcher;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Node* node = new Node();
  using namespace tern::wire;
  // Frames as the connection splits them: bad headers end the "connection", as in Server.
  while (size >= kProtoHeaderSize) {
    ProtoHeader h = ParseProtoHeader(data);
    if (h.version != kProtoVersion || h.type == 0 || h.type > 4 || h.size > size - kProtoHeaderSize)
      break;
    std::string out;
    std::string_view body(reinterpret_cast<const char*>(data + kProtoHeaderSize), h.size);
    auto job = node->dispatcher->Handle(h.type, body, &out);
    for (int i = 0; job && i < 64 && job->Produce(&out, 1 << 16); ++i) {
    }
    data += kProtoHeaderSize + h.size;
    size -= kProtoHeaderSize + h.size;
  }
  return 0;
}
