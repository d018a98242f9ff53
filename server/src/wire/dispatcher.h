// Answers one request frame: info (type 1), admin (type 2, "security not enabled"), AS_MSG
// (type 3) and compressed AS_MSG (type 4). Single-record commands and batches are answered
// whole; scans return a StreamJob that the connection drains as the socket accepts bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/info_commands.h"
#include "query/job_manager.h"
#include "txn/engine.h"
#include "wire/message.h"

namespace tern::wire {

// A response produced in pieces (scan/query streams).
class StreamJob {
 public:
  virtual ~StreamJob() = default;
  // Appends up to about `budget` bytes of complete frames to `out`. Returns false once the
  // final frame (ending with the LAST msg) has been appended.
  virtual bool Produce(std::string* out, size_t budget) = 0;
  // Monotonic nanoseconds before which Produce should not be called (records-per-second
  // throttling); 0 = now.
  virtual int64_t not_before_ns() const { return 0; }
};

// A partition a scan or query covers, and where to resume it (digests strictly after `after`).
struct ScanPart {
  uint32_t partition;
  std::optional<base::Digest> after;
};

struct DispatchOptions {
  uint32_t max_batch_rows = 10000;
};

class Dispatcher {
 public:
  // `jobs` runs background scans; without it they are refused.
  Dispatcher(txn::Engine& engine, api::InfoCommands& info, DispatchOptions options,
             query::JobManager* jobs = nullptr);

  // Handles one frame (`type`, `body` after the proto header). Appends the whole response to
  // `out`, or returns a job that streams it.
  std::unique_ptr<StreamJob> Handle(uint8_t type, std::string_view body, std::string* out);

 private:
  void HandleInfo(std::string_view body, std::string* out);
  void HandleAdmin(std::string_view body, std::string* out);
  std::unique_ptr<StreamJob> HandleMessage(std::string_view body, std::string* out);
  void HandleRecord(const ParsedMsg& msg, std::string* out);
  void HandleBatch(const ParsedMsg& msg, std::string* out);
  std::unique_ptr<StreamJob> HandleScan(const ParsedMsg& msg, std::string* out);
  void HandleBackgroundScan(const ParsedMsg& msg, std::string* out);
  void HandleAggregate(const ParsedMsg& msg, std::string* out);
  std::unique_ptr<StreamJob> HandleQuery(const ParsedMsg& msg, std::vector<ScanPart> parts,
                                         uint64_t max_records, txn::ScanOptions opts,
                                         std::string* out);

  txn::Engine& engine_;
  api::InfoCommands& info_;
  DispatchOptions options_;
  query::JobManager* jobs_;
};

}  // namespace tern::wire
