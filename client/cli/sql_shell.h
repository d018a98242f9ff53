// `tern sql`: runs statements of the SQL-like language (docs/sql.md) on a node through the
// gRPC `Sql` call, from -e arguments, a file, or an interactive shell on stdin. Statements are
// parsed here first (so a parse error names its line and column without a round trip), then
// sent one by one; REGISTER MODULE 'file.lua' is run here: the file is read and registered.
#pragma once

#include <string>
#include <vector>

#include "sql/ast.h"
#include "tern/client.h"

namespace tern::cli {

struct SqlOptions {
  std::vector<std::string> statements;  // -e (each may hold several ';'-separated statements)
  std::string file;                     // -f
  bool json = false;
};

// Parses the -e / -f text before any connection: 0 when it parses, else prints the error and
// returns the exit code (1 a parse error, 2 an unreadable file). Fills `statements`.
int PrepareSql(const SqlOptions& opts, std::vector<sql::Statement>* statements);

// Runs the prepared statements (or, with none and no -e/-f, the interactive shell). Exit
// codes: 0 every statement succeeded, 1 one failed (the rest are not run).
int RunSql(Client& client, const SqlOptions& opts, const std::vector<sql::Statement>& statements);

}  // namespace tern::cli
