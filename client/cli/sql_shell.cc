#include "sql_shell.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "cli_values.h"
#include "nlohmann/json.hpp"
#include "sql/parser.h"
#include "table.h"

#ifdef TERN_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

namespace tern::cli {

namespace {

using nlohmann::json;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

unsigned char uc(char c) { return static_cast<unsigned char>(c); }

// "sql: line 1, column 8: expected ..." with an optional file name in front.
void PrintParseError(const std::string& where, const absl::Status& status) {
  std::fprintf(stderr, "tern: sql: %s%s\n", where.empty() ? "" : (where + ": ").c_str(),
               std::string(status.message()).c_str());
}

std::string Millis(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", std::chrono::duration<double, std::milli>(d).count());
  return buf;
}

// Runs one parsed statement; false when it failed (the error is printed).
bool RunOne(Client& client, const sql::Statement& st, bool as_json) {
  const auto start = std::chrono::steady_clock::now();
  if (const auto* reg = std::get_if<sql::RegisterModule>(&st.body); reg && !st.explain) {
    auto r = client.RegisterUdfFile(reg->path);
    if (!r.ok()) {
      std::fprintf(stderr, "tern: sql: REGISTER MODULE '%s': %s\n", reg->path.c_str(),
                   r.status().ToString().c_str());
      return false;
    }
    const std::string took = Millis(std::chrono::steady_clock::now() - start);
    if (as_json) {
      std::cout << Dump({{"statement", st.text},
                         {"message", "module registered"},
                         {"hash", *r},
                         {"columns", json::array()},
                         {"rows", json::array()},
                         {"affected", 0}})
                << "\n";
    } else {
      std::cout << "module registered (hash " << *r << ", " << took << ")\n";
    }
    return true;
  }
  auto r = client.Sql(st.text);
  const std::string took = Millis(std::chrono::steady_clock::now() - start);
  if (!r.ok()) {
    std::fprintf(stderr, "tern: sql: line %d: %s\n", st.location.line,
                 r.status().ToString().c_str());
    return false;
  }
  if (as_json) {
    json rows = json::array();
    for (const auto& row : r->rows) {
      json cells = json::array();
      for (const Value& v : row) cells.push_back(ToJson(v));
      rows.push_back(std::move(cells));
    }
    json out = {{"statement", st.text},
                {"columns", r->columns},
                {"rows", rows},
                {"affected", r->affected},
                {"message", r->message}};
    if (!r->plan.empty()) out["plan"] = r->plan;
    if (r->job_id != 0) out["job_id"] = r->job_id;
    std::cout << Dump(out) << "\n";
    return true;
  }
  if (!r->plan.empty()) {
    std::cout << r->plan << "\n";
    return true;
  }
  if (!r->columns.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : r->rows) {
      std::vector<std::string> cells;
      for (const Value& v : row) cells.push_back(v.is_null() ? "NULL" : Display(v));
      rows.push_back(std::move(cells));
    }
    PrintTable(r->columns, rows);
    std::cout << "(" << r->rows.size() << (r->rows.size() == 1 ? " row, " : " rows, ") << took
              << ")\n";
    return true;
  }
  std::cout << (r->message.empty() ? "ok" : r->message) << " (" << took << ")\n";
  return true;
}

bool Blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isspace(uc(c)); });
}

}  // namespace

int PrepareSql(const SqlOptions& opts, std::vector<sql::Statement>* sources) {
  std::vector<std::pair<std::string, std::string>> texts;  // (where, text)
  for (const std::string& e : opts.statements) texts.emplace_back("", e);
  if (!opts.file.empty()) {
    std::ifstream f(opts.file, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "tern: sql: cannot read %s (see tern --help)\n", opts.file.c_str());
      return kExitUsage;
    }
    std::stringstream buf;
    buf << f.rdbuf();
    texts.emplace_back(opts.file, buf.str());
  }
  for (const auto& [where, text] : texts) {
    auto parsed = sql::Parse(text);
    if (!parsed.ok()) {
      PrintParseError(where, parsed.status());
      return kExitFailed;
    }
    for (sql::Statement& st : *parsed) {
      sources->push_back(std::move(st));
    }
  }
  return 0;
}

int RunSql(Client& client, const SqlOptions& opts, const std::vector<sql::Statement>& sources) {
  if (!opts.statements.empty() || !opts.file.empty()) {
    for (const sql::Statement& st : sources) {
      if (!RunOne(client, st, opts.json)) return kExitFailed;
    }
    return 0;
  }
  // The shell: statements end with ';' and may span lines.
  const bool tty = isatty(0);
  bool failed = false;
  std::string buffer;
  for (;;) {
    const char* prompt = buffer.empty() ? "tern> " : "   -> ";
    std::string line;
#ifdef TERN_HAVE_LIBEDIT
    if (tty) {
      char* l = readline(prompt);
      if (!l) break;
      line = l;
      free(l);
      if (!Blank(line)) add_history(line.c_str());
    } else if (!std::getline(std::cin, line)) {
      break;
    }
#else
    if (tty) std::fputs(prompt, stderr);
    if (!std::getline(std::cin, line)) break;
#endif
    if (buffer.empty() && (line == "quit" || line == "exit" || line == "\\q")) break;
    buffer += line;
    buffer += "\n";
    std::string_view trimmed = buffer;
    while (!trimmed.empty() && std::isspace(uc(trimmed.back()))) trimmed.remove_suffix(1);
    if (trimmed.empty()) {
      buffer.clear();
      continue;
    }
    if (trimmed.back() != ';') continue;
    auto parsed = sql::Parse(buffer);
    buffer.clear();
    if (!parsed.ok()) {
      PrintParseError("", parsed.status());
      failed = true;
      continue;
    }
    for (const sql::Statement& st : *parsed) {
      if (!RunOne(client, st, opts.json)) failed = true;
    }
  }
  if (!Blank(buffer)) {  // a last statement without ';'
    auto parsed = sql::Parse(buffer);
    if (!parsed.ok()) {
      PrintParseError("", parsed.status());
      failed = true;
    } else {
      for (const sql::Statement& st : *parsed) {
        if (!RunOne(client, st, opts.json)) failed = true;
      }
    }
  }
  return failed && !tty ? kExitFailed : 0;
}

}  // namespace tern::cli
