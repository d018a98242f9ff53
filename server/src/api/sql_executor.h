// Runs statements of the SQL-like language (docs/sql.md) for the whole cluster: parsed by tern_sql,
// executed through the one txn::Engine (puts, gets, scans, index queries, UDFs, aggregates),
// the IndexCatalog, the ModuleRegistry and the info commands (SHOW). The gRPC `Sql` call
// answers from here.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "api/info_commands.h"
#include "query/index_catalog.h"
#include "sql/ast.h"
#include "tern/fabric/v1/fabric.pb.h"
#include "tern/v1/kv.pb.h"
#include "txn/engine.h"
#include "udf/module_registry.h"

namespace tern::api {

class SqlExecutor {
 public:
  // `indexes` and `modules` may be null: their statements then answer kUnsupportedFeature.
  // In a cluster the executor also runs the shares other nodes send it (fabric `Sql`).
  SqlExecutor(txn::Engine& engine, InfoCommands& info, query::IndexCatalog* indexes,
              udf::ModuleRegistry* modules);
  ~SqlExecutor();
  SqlExecutor(const SqlExecutor&) = delete;
  SqlExecutor& operator=(const SqlExecutor&) = delete;

  // Parses and runs exactly one statement. Scans, index queries, aggregations and EXECUTE
  // without a key run on every node of the cluster, each over the partitions it masters, and
  // the answers are merged here. Errors carry the Aerospike result code (parse errors
  // kParameterError with "line L, column C: ..."; no usable index kIndexNotFound).
  absl::Status Run(std::string_view text, tern::v1::SqlResponse* out);

 private:
  // The statement over this node's share: scans, index queries, aggregations and jobs cover
  // the partitions it masters (every partition on a single node); the rest runs whole.
  absl::Status RunShare(const sql::Statement& statement, uint64_t job_id,
                        tern::v1::SqlResponse* out);
  // A share another node sent.
  void OnShare(const fabric::v1::SqlShare& share, fabric::v1::SqlShareReply* reply);

  absl::Status Insert(const sql::Insert& s, tern::v1::SqlResponse* out);
  absl::Status Select(const sql::Select& s, tern::v1::SqlResponse* out);
  absl::Status Delete(const sql::Delete& s, tern::v1::SqlResponse* out);
  absl::Status CreateIndex(const sql::CreateIndex& s, tern::v1::SqlResponse* out);
  absl::Status DropIndex(const sql::DropIndex& s, tern::v1::SqlResponse* out);
  absl::Status RemoveModule(const sql::RemoveModule& s, tern::v1::SqlResponse* out);
  absl::Status Execute(const sql::Execute& s, tern::v1::SqlResponse* out);
  // EXECUTE without a key: a background job applying the record UDF to every record.
  absl::Status ExecuteAll(const sql::Execute& s, uint64_t job_id, tern::v1::SqlResponse* out);
  absl::Status Aggregate(const sql::Aggregate& s, tern::v1::SqlResponse* out);
  // The nodes' values (the rows of `out`) through the stream's final reduce, as a client does.
  absl::Status MergeAggregates(const sql::Aggregate& s, tern::v1::SqlResponse* out);
  absl::Status Show(const sql::Show& s, tern::v1::SqlResponse* out);
  absl::Status Truncate(const sql::Truncate& s, tern::v1::SqlResponse* out);

  txn::Engine& engine_;
  InfoCommands& info_;
  query::IndexCatalog* indexes_;
  udf::ModuleRegistry* modules_;
};

}  // namespace tern::api
