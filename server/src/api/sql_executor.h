// Runs statements of the SQL-like language (docs/sql.md) on this node: parsed by tern_sql,
// executed through the one txn::Engine (puts, gets, scans, index queries, UDFs, aggregates),
// the IndexCatalog, the ModuleRegistry and the info commands (SHOW). The gRPC `Sql` call
// answers from here.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "api/info_commands.h"
#include "query/index_catalog.h"
#include "sql/ast.h"
#include "tern/v1/kv.pb.h"
#include "txn/engine.h"
#include "udf/module_registry.h"

namespace tern::api {

class SqlExecutor {
 public:
  // `indexes` and `modules` may be null: their statements then answer kUnsupportedFeature.
  SqlExecutor(txn::Engine& engine, InfoCommands& info, query::IndexCatalog* indexes,
              udf::ModuleRegistry* modules)
      : engine_(engine), info_(info), indexes_(indexes), modules_(modules) {}

  // Parses and runs exactly one statement. Errors carry the Aerospike result code (parse
  // errors kParameterError with "line L, column C: ..."; no usable index kIndexNotFound).
  absl::Status Run(std::string_view text, tern::v1::SqlResponse* out);
  absl::Status Run(const sql::Statement& statement, tern::v1::SqlResponse* out);

 private:
  absl::Status Insert(const sql::Insert& s, tern::v1::SqlResponse* out);
  absl::Status Select(const sql::Select& s, tern::v1::SqlResponse* out);
  absl::Status Delete(const sql::Delete& s, tern::v1::SqlResponse* out);
  absl::Status CreateIndex(const sql::CreateIndex& s, tern::v1::SqlResponse* out);
  absl::Status DropIndex(const sql::DropIndex& s, tern::v1::SqlResponse* out);
  absl::Status RemoveModule(const sql::RemoveModule& s, tern::v1::SqlResponse* out);
  absl::Status Execute(const sql::Execute& s, tern::v1::SqlResponse* out);
  // EXECUTE without a key: the record UDF on every record of the namespace or set, in turn.
  absl::Status ExecuteAll(const sql::Execute& s, tern::v1::SqlResponse* out);
  absl::Status Aggregate(const sql::Aggregate& s, tern::v1::SqlResponse* out);
  absl::Status Show(const sql::Show& s, tern::v1::SqlResponse* out);
  absl::Status Truncate(const sql::Truncate& s, tern::v1::SqlResponse* out);

  txn::Engine& engine_;
  InfoCommands& info_;
  query::IndexCatalog* indexes_;
  udf::ModuleRegistry* modules_;
};

}  // namespace tern::api
