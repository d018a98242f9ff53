// Runs record UDFs: Lua 5.4 states with every registered module loaded, each module in its
// own environment over a sandboxed global table (no io, no os beyond the clock, no loading of
// files or bytecode; `require` finds only registered modules), an instruction budget per call
// and a memory cap per state. States are pooled and rebuilt when the module set changes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "base/digest.h"
#include "record/record.h"
#include "udf/module_registry.h"

namespace tern::udf {

struct Limits {
  uint64_t instructions = 50'000'000;      // per call; a runaway loop ends with an error
  size_t memory_bytes = size_t{64} << 20;  // per Lua state
};

// The record as a UDF sees it, and what the UDF asked for. txn fills it under the record lock
// and commits the outcome after the call.
struct RecordContext {
  bool exists = false;
  record::Record record;  // working copy: bin changes land here
  uint16_t generation = 0;
  uint32_t void_time = 0;  // seconds since 2010-01-01; 0 = never
  uint64_t last_update_ms = 0;
  std::string set_name;
  base::Digest digest;

  enum class Action { kNone, kWrite, kRemove };
  Action action = Action::kNone;  // set by aerospike:create/update/remove
  std::optional<int64_t> ttl;     // set by record.set_ttl
};

class LuaRuntime {
 public:
  LuaRuntime(const ModuleRegistry& modules, Limits limits);
  ~LuaRuntime();

  // Calls module.function(rec, args...) and returns its result. Errors raised by the UDF, a
  // runtime error, a missing module or function, or an exceeded budget are kUdfError with
  // the message the client shows.
  absl::StatusOr<record::Value> CallRecordUdf(std::string_view module, std::string_view function,
                                              std::span<const record::Value> args,
                                              RecordContext& ctx);

  // Runs a stream UDF, module.function(stream, args...), over the records `next` fills in
  // one by one (false = no more; the UDF sees them read-only), passing each value the
  // pipeline yields to `emit`: the stages up to the first reduce, a node's part
  // (MergeAggregates does the rest). The instruction budget applies per record.
  absl::Status Aggregate(std::string_view module, std::string_view function,
                         std::span<const record::Value> args,
                         absl::FunctionRef<bool(RecordContext&)> next,
                         absl::FunctionRef<void(record::Value)> emit);
  // Merges the values each node's Aggregate yielded, as Aerospike's clients do: the stream's
  // first reduce runs once more over them, then the stages after it (without a reduce the
  // values pass through).
  absl::Status MergeAggregates(std::string_view module, std::string_view function,
                               std::span<const record::Value> args,
                               std::span<const record::Value> partials,
                               absl::FunctionRef<void(record::Value)> emit);

 private:
  struct State;
  absl::Status RunStream(std::string_view module, std::string_view function,
                         std::span<const record::Value> args,
                         absl::FunctionRef<bool(RecordContext&)> next,
                         std::span<const record::Value> partials, bool final,
                         absl::FunctionRef<void(record::Value)> emit);
  std::unique_ptr<State> Acquire();
  void Release(std::unique_ptr<State> state);

  const ModuleRegistry& modules_;
  Limits limits_;
  std::mutex mu_;
  std::vector<std::unique_ptr<State>> idle_;
};

}  // namespace tern::udf
