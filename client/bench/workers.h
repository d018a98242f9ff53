// The two ways `tern bench` reaches a node: one Worker per in-flight request, each owning (or
// sharing) its connection. Integer keys; one string bin "v".
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bench/bench.h"

namespace tern::bench {

class Worker {
 public:
  virtual ~Worker() = default;
  // False on an error (a missing record on read is not one).
  virtual bool Read(uint64_t key) = 0;
  virtual bool Write(uint64_t key, const std::string& value) = 0;
  virtual std::string last_error() const = 0;
};

class WorkerFactory {
 public:
  virtual ~WorkerFactory() = default;
  // Null (and error() says why) when no connection could be made.
  virtual std::unique_ptr<Worker> Make() = 0;
  virtual const std::string& error() const = 0;
};

std::unique_ptr<WorkerFactory> MakeGrpcFactory(const Options& o);
std::unique_ptr<WorkerFactory> MakeWireFactory(const Options& o);

}  // namespace tern::bench
