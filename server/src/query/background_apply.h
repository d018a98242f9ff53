// The work of a background job: one request (a record UDF call or write operations, its digest
// left to fill) applied to every live record of a namespace or set in the partitions this
// node masters — the other nodes run the same job over theirs. Records are listed a partition
// at a time before they are changed, so the scan never waits on a record lock. Used by the
// wire protocol's background scans and by SQL's EXECUTE without a key.
#pragma once

#include "query/job_manager.h"
#include "txn/engine.h"

namespace tern::query {

JobManager::Work BackgroundApply(txn::Engine& engine, txn::ScanOptions opts, txn::Request tmpl);

}  // namespace tern::query
