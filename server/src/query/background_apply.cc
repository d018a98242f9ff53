#include "query/background_apply.h"

#include <string>
#include <utility>
#include <vector>

#include "base/digest.h"
#include "base/result_code.h"

namespace tern::query {

JobManager::Work BackgroundApply(txn::Engine& engine, txn::ScanOptions opts, txn::Request tmpl) {
  opts.metadata_only = true;
  // Only records that exist are touched, even if one vanishes while the job runs.
  if (tmpl.command == txn::Command::kWrite && tmpl.exists_action == txn::ExistsAction::kUpdate) {
    tmpl.exists_action = txn::ExistsAction::kUpdateOnly;
  }
  return [&engine, opts = std::move(opts), tmpl = std::move(tmpl)](JobProgress& progress) {
    std::vector<std::pair<base::Digest, std::string>> batch;
    for (uint32_t p = 0; p < base::kPartitionCount && !progress.abort; ++p) {
      batch.clear();
      progress.partitions_done = p + 1;
      if (!engine.Serves(opts.ns, p)) continue;  // the node that masters it runs it there
      (void)engine.ScanPartition(opts, p, std::nullopt, [&](const txn::ScannedRecord& r) {
        batch.emplace_back(r.digest, r.set);
        return true;
      });
      for (const auto& [digest, set] : batch) {
        if (progress.abort) break;
        txn::Request req = tmpl;
        req.digest = digest;
        req.set = set;  // the record's own set, also when scanning a whole namespace
        ++progress.records_read;
        const base::ResultCode rc = engine.Execute(req).result;
        // A record deleted since it was listed is not a failure.
        if (rc == base::ResultCode::kRecordNotFound) continue;
        ++(rc == base::ResultCode::kOk ? progress.succeeded : progress.failed);
      }
    }
  };
}

}  // namespace tern::query
