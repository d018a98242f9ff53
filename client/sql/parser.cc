#include "sql/parser.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "record/collection.h"
#include "sql/lexer.h"

// File-local shorthands for returning a failed absl::Status / StatusOr to the caller.
#define TERN_SQL_TRY(expr)                             \
  do {                                                 \
    if (absl::Status s_ = (expr); !s_.ok()) return s_; \
  } while (0)
#define TERN_SQL_CONCAT_(a, b) a##b
#define TERN_SQL_CONCAT(a, b) TERN_SQL_CONCAT_(a, b)
#define TERN_SQL_ASSIGN_(tmp, lhs, expr) \
  auto tmp = (expr);                     \
  if (!tmp.ok()) return tmp.status();    \
  lhs = *std::move(tmp)
#define TERN_SQL_ASSIGN(lhs, expr) TERN_SQL_ASSIGN_(TERN_SQL_CONCAT(or_, __LINE__), lhs, expr)

namespace tern::sql {
namespace {

using base::Absl;

struct LocatedPredicate {
  Predicate predicate;
  Location location;  // of the bin name or PK
};

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  absl::StatusOr<std::vector<Statement>> Statements() {
    std::vector<Statement> out;
    while (true) {
      while (Peek().IsSymbol(';')) Take();
      if (Peek().kind == TokenKind::kEnd) break;
      TERN_SQL_ASSIGN(Statement st, OneStatement());
      const Token& next = Peek();
      if (next.IsSymbol(';')) {
        Take();
      } else if (next.kind != TokenKind::kEnd) {
        return Expected(absl::StrCat("';' or end of input after the ", Absl(StatementName(st.body)),
                                     " statement"));
      }
      out.push_back(std::move(st));
    }
    return out;
  }

  absl::StatusOr<Value> LoneValue() {
    TERN_SQL_ASSIGN(Value v, ParseLiteral("a value", 0));
    if (Peek().kind != TokenKind::kEnd) return Expected("end of input after the value");
    return v;
  }

 private:
  // ---- tokens -------------------------------------------------------------------------------

  const Token& Peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& Take() {
    const Token& t = tokens_[pos_];
    if (t.kind != TokenKind::kEnd) {
      last_end_ = t.end;
      ++pos_;
    }
    return t;
  }
  bool TakeKeyword(std::string_view word) {
    if (!Peek().IsKeyword(word)) return false;
    Take();
    return true;
  }
  bool TakeSymbol(char c) {
    if (!Peek().IsSymbol(c)) return false;
    Take();
    return true;
  }

  // "expected <what>, got <the next token>" at the next token.
  absl::Status Expected(std::string_view what) const {
    return SyntaxError(Peek().location,
                       absl::StrCat("expected ", Absl(what), ", got ", Peek().Describe()));
  }
  absl::Status ExpectKeyword(std::string_view word, std::string_view context) {
    if (TakeKeyword(word)) return absl::OkStatus();
    return Expected(absl::StrCat(Absl(word), " ", Absl(context)));
  }
  absl::Status ExpectSymbol(char c, std::string_view context) {
    if (TakeSymbol(c)) return absl::OkStatus();
    return Expected(absl::StrCat("'", std::string(1, c), "' ", Absl(context)));
  }

  // ---- names --------------------------------------------------------------------------------

  // An identifier of at most `max_size` bytes; `what` names it in messages ("a bin name").
  absl::StatusOr<std::string> Name(std::string_view what, size_t max_size) {
    const Token& t = Peek();
    if (t.kind != TokenKind::kIdentifier) return Expected(what);
    if (t.text.size() > max_size) {
      return SyntaxError(t.location, absl::StrCat(Absl(what), " ", t.Describe(), " is longer than ",
                                                  max_size, " bytes"));
    }
    return Take().text;
  }

  // ns or ns.set
  absl::StatusOr<Target> ParseTarget(std::string_view context) {
    Target target;
    TERN_SQL_ASSIGN(target.ns,
                    Name(absl::StrCat("a namespace ", Absl(context)), kMaxNamespaceName));
    if (TakeSymbol('.')) {
      TERN_SQL_ASSIGN(target.set, Name("a set name after '.'", kMaxSetName));
    }
    return target;
  }

  // ---- values -------------------------------------------------------------------------------

  absl::StatusOr<Value> ParseLiteral(std::string_view what, int depth) {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kInteger:
        return Value::Integer(Take().integer);
      case TokenKind::kDouble:
        return Value::Double(Take().dbl);
      case TokenKind::kString:
        return Value::String(Take().str);
      case TokenKind::kIdentifier:
        if (TakeKeyword("TRUE")) return Value::Bool(true);
        if (TakeKeyword("FALSE")) return Value::Bool(false);
        if (TakeKeyword("NULL")) return Value();
        if (TakeKeyword("GEOJSON")) {
          TERN_SQL_TRY(ExpectSymbol('(', "after GEOJSON"));
          if (Peek().kind != TokenKind::kString) return Expected("the GeoJSON text as a string");
          std::string geojson = Take().str;
          TERN_SQL_TRY(ExpectSymbol(')', "after the GeoJSON text"));
          return Value::GeoJson(std::move(geojson));
        }
        break;
      case TokenKind::kSymbol:
        if (t.IsSymbol('[') || t.IsSymbol('{')) {
          if (depth >= record::kMaxCollectionDepth) {
            return SyntaxError(t.location, absl::StrCat("lists and maps nest deeper than ",
                                                        record::kMaxCollectionDepth, " levels"));
          }
          return t.IsSymbol('[') ? ParseList(depth + 1) : ParseMap(depth + 1);
        }
        break;
      case TokenKind::kEnd:
        break;
    }
    return Expected(what);
  }

  absl::StatusOr<Value> ParseList(int depth) {
    Take();  // [
    std::vector<Value> items;
    if (!TakeSymbol(']')) {
      do {
        TERN_SQL_ASSIGN(Value v, ParseLiteral("a list element", depth));
        items.push_back(std::move(v));
      } while (TakeSymbol(','));
      TERN_SQL_TRY(ExpectSymbol(']', "or ',' in the list"));
    }
    return Value::List(record::EncodeList(items));
  }

  absl::StatusOr<Value> ParseMap(int depth) {
    Take();  // {
    std::vector<std::pair<Value, Value>> entries;
    if (!TakeSymbol('}')) {
      do {
        Location key_at = Peek().location;
        TERN_SQL_ASSIGN(Value key, ParseLiteral("a map key", depth));
        if (key.type() == record::ParticleType::kList || key.type() == record::ParticleType::kMap ||
            key.is_null()) {
          return SyntaxError(key_at, absl::StrCat("a map key must be a scalar, not ",
                                                  Absl(record::ParticleTypeName(key.type()))));
        }
        TERN_SQL_TRY(ExpectSymbol(':', "after the map key"));
        TERN_SQL_ASSIGN(Value value, ParseLiteral("a map value", depth));
        entries.emplace_back(std::move(key), std::move(value));
      } while (TakeSymbol(','));
      TERN_SQL_TRY(ExpectSymbol('}', "or ',' in the map"));
    }
    return Value::Map(record::EncodeMap(entries));
  }

  // A primary key or an equality value for an index: integer or string.
  absl::StatusOr<Value> ParseKeyValue(std::string_view what) {
    Location at = Peek().location;
    TERN_SQL_ASSIGN(Value v, ParseLiteral(what, 0));
    if (v.type() != record::ParticleType::kInteger && v.type() != record::ParticleType::kString) {
      return SyntaxError(at, absl::StrCat(Absl(what), " must be an integer or a string, not ",
                                          Absl(record::ParticleTypeName(v.type()))));
    }
    return v;
  }

  // '(' [value {',' value}] ')'
  absl::StatusOr<std::vector<Value>> ParseArguments(std::string_view context) {
    TERN_SQL_TRY(ExpectSymbol('(', context));
    std::vector<Value> args;
    if (TakeSymbol(')')) return args;
    do {
      TERN_SQL_ASSIGN(Value v, ParseLiteral("an argument", 0));
      args.push_back(std::move(v));
    } while (TakeSymbol(','));
    TERN_SQL_TRY(ExpectSymbol(')', "or ',' after the argument"));
    return args;
  }

  // ---- clauses ------------------------------------------------------------------------------

  // [IN LIST | MAPKEYS | MAPVALUES]: query a collection index (AQL's spelling).
  absl::StatusOr<IndexCollection> ParseIn() {
    if (!TakeKeyword("IN")) return IndexCollection::kNone;
    if (TakeKeyword("LIST")) return IndexCollection::kList;
    if (TakeKeyword("MAPKEYS")) return IndexCollection::kMapKeys;
    if (TakeKeyword("MAPVALUES")) return IndexCollection::kMapValues;
    return Expected("LIST, MAPKEYS or MAPVALUES after IN");
  }

  // A collection index is only reached through a bin predicate.
  absl::Status CheckIn(IndexCollection in, const std::optional<Predicate>& where, Location at) {
    if (in == IndexCollection::kNone) return absl::OkStatus();
    if (!where || std::holds_alternative<PrimaryKeyEquals>(*where)) {
      return SyntaxError(at, "IN LIST, MAPKEYS or MAPVALUES needs WHERE bin = v or BETWEEN");
    }
    return absl::OkStatus();
  }

  // After WHERE: PK = v | bin = v | bin BETWEEN a AND b | bin WITHIN|CONTAINS GEOJSON('...')
  absl::StatusOr<LocatedPredicate> ParseWhere() {
    LocatedPredicate out;
    out.location = Peek().location;
    if (TakeKeyword("PK")) {
      TERN_SQL_TRY(ExpectSymbol('=', "after PK"));
      TERN_SQL_ASSIGN(Value key, ParseKeyValue("the primary key"));
      out.predicate = PrimaryKeyEquals{std::move(key)};
      return out;
    }
    TERN_SQL_ASSIGN(std::string bin, Name("PK or a bin name after WHERE", kMaxBinName));
    if (TakeSymbol('=')) {
      TERN_SQL_ASSIGN(Value v, ParseKeyValue("the value compared with a bin"));
      out.predicate = BinEquals{std::move(bin), std::move(v)};
      return out;
    }
    const bool within = TakeKeyword("WITHIN");
    if (within || TakeKeyword("CONTAINS")) {
      Location at = Peek().location;
      TERN_SQL_ASSIGN(Value shape,
                      ParseLiteral(within ? "a region after WITHIN" : "a point after CONTAINS", 0));
      if (shape.type() != record::ParticleType::kGeoJson) {
        return SyntaxError(
            at, absl::StrCat("expected GEOJSON('...') after ", within ? "WITHIN" : "CONTAINS"));
      }
      out.predicate = BinGeo{std::move(bin), std::move(shape), !within};
      return out;
    }
    if (!TakeKeyword("BETWEEN")) {
      return Expected("'=', BETWEEN, WITHIN or CONTAINS after the bin name");
    }
    Location low_at = Peek().location;
    TERN_SQL_ASSIGN(Value low, ParseLiteral("the low bound after BETWEEN", 0));
    if (low.type() != record::ParticleType::kInteger) {
      return SyntaxError(low_at, "BETWEEN bounds must be integers");
    }
    TERN_SQL_TRY(ExpectKeyword("AND", "between the bounds"));
    Location high_at = Peek().location;
    TERN_SQL_ASSIGN(Value high, ParseLiteral("the high bound after AND", 0));
    if (high.type() != record::ParticleType::kInteger) {
      return SyntaxError(high_at, "BETWEEN bounds must be integers");
    }
    if (low.integer() > high.integer()) {
      return SyntaxError(low_at, absl::StrCat("BETWEEN ", low.integer(), " AND ", high.integer(),
                                              " is an empty range (low bound above high bound)"));
    }
    out.predicate = BinBetween{std::move(bin), std::move(low), std::move(high)};
    return out;
  }

  // ---- statements ---------------------------------------------------------------------------

  absl::StatusOr<Statement> OneStatement() {
    Statement st;
    const Token& first = Peek();
    st.location = first.location;
    size_t start = first.offset;
    if (TakeKeyword("EXPLAIN")) {
      st.explain = true;
      if (Peek().IsKeyword("EXPLAIN")) {
        return SyntaxError(Peek().location, "EXPLAIN cannot be nested");
      }
      if (Peek().kind == TokenKind::kEnd || Peek().IsSymbol(';')) {
        return Expected("a statement after EXPLAIN");
      }
    }
    TERN_SQL_ASSIGN(st.body, Body());
    st.text = std::string(text_.substr(start, last_end_ - start));
    return st;
  }

  static bool StartsStatement(const Token& t) {
    for (std::string_view word :
         {"INSERT", "SELECT", "DELETE", "CREATE", "DROP", "REGISTER", "REMOVE", "EXECUTE",
          "AGGREGATE", "SHOW", "TRUNCATE", "EXPLAIN"}) {
      if (t.IsKeyword(word)) return true;
    }
    return false;
  }

  absl::StatusOr<StatementBody> Body() {
    const Token& t = Peek();
    if (TakeKeyword("INSERT")) return ParseInsert();
    if (TakeKeyword("SELECT")) return ParseSelect();
    if (TakeKeyword("DELETE")) return ParseDelete();
    if (TakeKeyword("CREATE")) return ParseCreateIndex();
    if (TakeKeyword("DROP")) return ParseDropIndex();
    if (TakeKeyword("REGISTER")) return ParseRegister();
    if (TakeKeyword("REMOVE")) return ParseRemove();
    if (TakeKeyword("EXECUTE")) return ParseExecute();
    if (TakeKeyword("AGGREGATE")) return ParseAggregate();
    if (TakeKeyword("SHOW")) return ParseShow();
    if (TakeKeyword("TRUNCATE")) return ParseTruncate();
    constexpr std::string_view kKnown =
        "INSERT, SELECT, DELETE, CREATE INDEX, DROP INDEX, REGISTER MODULE, REMOVE MODULE, "
        "EXECUTE, AGGREGATE, SHOW, TRUNCATE or EXPLAIN";
    if (t.kind == TokenKind::kIdentifier) {
      return SyntaxError(t.location, absl::StrCat("unknown statement ", t.Describe(), " (expected ",
                                                  Absl(kKnown), ")"));
    }
    return Expected(absl::StrCat("a statement (", Absl(kKnown), ")"));
  }

  absl::StatusOr<StatementBody> ParseInsert() {
    Insert ins;
    TERN_SQL_TRY(ExpectKeyword("INTO", "after INSERT"));
    TERN_SQL_ASSIGN(ins.target, ParseTarget("after INSERT INTO"));
    TERN_SQL_TRY(ExpectSymbol('(', "before the column list"));
    bool has_key = false;
    std::vector<std::string> columns;
    do {
      const Token& col = Peek();
      if (col.IsKeyword("PK")) {
        if (!columns.empty() || has_key) {
          return SyntaxError(col.location, "PK must be the first column");
        }
        Take();
        has_key = true;
        continue;
      }
      TERN_SQL_ASSIGN(std::string bin, Name("a column name (PK or a bin)", kMaxBinName));
      for (const std::string& seen : columns) {
        if (seen == bin) {
          return SyntaxError(col.location, absl::StrCat("bin '", bin, "' appears twice"));
        }
      }
      columns.push_back(std::move(bin));
    } while (TakeSymbol(','));
    TERN_SQL_TRY(ExpectSymbol(')', "or ',' after the column"));
    if (columns.empty()) {
      return SyntaxError(Peek().location, "INSERT needs at least one bin besides PK");
    }
    TERN_SQL_TRY(ExpectKeyword("VALUES", "after the column list"));
    const size_t want = columns.size() + (has_key ? 1 : 0);
    TERN_SQL_TRY(ExpectSymbol('(', "after VALUES"));
    std::vector<Value> values;
    do {
      if (values.size() == want) {
        return SyntaxError(Peek().location,
                           absl::StrCat("more values than the ", want, " columns"));
      }
      if (has_key && values.empty()) {
        TERN_SQL_ASSIGN(Value key, ParseKeyValue("the primary key"));
        values.push_back(std::move(key));
      } else {
        TERN_SQL_ASSIGN(Value v, ParseLiteral("a value", 0));
        values.push_back(std::move(v));
      }
    } while (TakeSymbol(','));
    if (values.size() < want && Peek().IsSymbol(')')) {
      return SyntaxError(Peek().location,
                         absl::StrCat(values.size(), " values for ", want, " columns"));
    }
    TERN_SQL_TRY(ExpectSymbol(')', "or ',' after the value"));
    size_t v = 0;
    if (has_key) ins.key = std::move(values[v++]);
    for (std::string& bin : columns) ins.bins.push_back({std::move(bin), std::move(values[v++])});
    return ins;
  }

  absl::StatusOr<StatementBody> ParseSelect() {
    Select sel;
    if (!TakeSymbol('*')) {
      do {
        TERN_SQL_ASSIGN(std::string bin, Name("'*' or a bin name", kMaxBinName));
        sel.bins.push_back(std::move(bin));
      } while (TakeSymbol(','));
    }
    TERN_SQL_TRY(ExpectKeyword("FROM", sel.bins.empty() ? "after '*'" : "after the bin list"));
    TERN_SQL_ASSIGN(sel.target, ParseTarget("after FROM"));
    const Location in_at = Peek().location;
    TERN_SQL_ASSIGN(sel.in, ParseIn());
    if (TakeKeyword("WHERE")) {
      TERN_SQL_ASSIGN(LocatedPredicate where, ParseWhere());
      sel.where = std::move(where.predicate);
    }
    TERN_SQL_TRY(CheckIn(sel.in, sel.where, in_at));
    if (TakeKeyword("LIMIT")) {
      const Token& n = Peek();
      if (n.kind != TokenKind::kInteger || n.integer <= 0) {
        return Expected("a positive integer after LIMIT");
      }
      sel.limit = Take().integer;
    }
    return sel;
  }

  absl::StatusOr<StatementBody> ParseDelete() {
    Delete del;
    TERN_SQL_TRY(ExpectKeyword("FROM", "after DELETE"));
    TERN_SQL_ASSIGN(del.target, ParseTarget("after DELETE FROM"));
    TERN_SQL_TRY(
        ExpectKeyword("WHERE", "after the namespace and set (DELETE takes WHERE PK = key)"));
    TERN_SQL_ASSIGN(LocatedPredicate where, ParseWhere());
    auto* pk = std::get_if<PrimaryKeyEquals>(&where.predicate);
    if (pk == nullptr) {
      return SyntaxError(where.location, "DELETE takes only WHERE PK = <key>");
    }
    del.key = std::move(pk->key);
    return del;
  }

  absl::StatusOr<StatementBody> ParseCreateIndex() {
    CreateIndex idx;
    if (TakeKeyword("LIST")) {
      idx.collection = IndexCollection::kList;
    } else if (TakeKeyword("MAPKEYS")) {
      idx.collection = IndexCollection::kMapKeys;
    } else if (TakeKeyword("MAPVALUES")) {
      idx.collection = IndexCollection::kMapValues;
    }
    TERN_SQL_TRY(ExpectKeyword("INDEX", idx.collection == IndexCollection::kNone
                                            ? "or LIST, MAPKEYS, MAPVALUES after CREATE"
                                            : "after the collection type"));
    TERN_SQL_ASSIGN(idx.name, Name("an index name", kMaxIndexName));
    TERN_SQL_TRY(ExpectKeyword("ON", "after the index name"));
    TERN_SQL_ASSIGN(idx.target, ParseTarget("after ON"));
    TERN_SQL_TRY(ExpectSymbol('(', "before the bin name"));
    TERN_SQL_ASSIGN(idx.bin, Name("a bin name", kMaxBinName));
    TERN_SQL_TRY(ExpectSymbol(')', "after the bin name"));
    if (TakeKeyword("NUMERIC")) {
      idx.type = IndexType::kNumeric;
    } else if (TakeKeyword("STRING")) {
      idx.type = IndexType::kString;
    } else if (TakeKeyword("BLOB")) {
      idx.type = IndexType::kBlob;
    } else if (TakeKeyword("GEO2DSPHERE")) {
      idx.type = IndexType::kGeo2dSphere;
    } else {
      return Expected("NUMERIC, STRING, BLOB or GEO2DSPHERE after the bin");
    }
    return idx;
  }

  absl::StatusOr<StatementBody> ParseDropIndex() {
    DropIndex drop;
    TERN_SQL_TRY(ExpectKeyword("INDEX", "after DROP"));
    TERN_SQL_ASSIGN(drop.target, ParseTarget("after DROP INDEX"));
    TERN_SQL_ASSIGN(drop.name, Name("an index name after the namespace", kMaxIndexName));
    return drop;
  }

  absl::StatusOr<StatementBody> ParseRegister() {
    TERN_SQL_TRY(ExpectKeyword("MODULE", "after REGISTER"));
    if (Peek().kind != TokenKind::kString || Peek().str.empty()) {
      return Expected("the module file as a quoted string ('udf/sum.lua')");
    }
    return RegisterModule{Take().str};
  }

  absl::StatusOr<StatementBody> ParseRemove() {
    TERN_SQL_TRY(ExpectKeyword("MODULE", "after REMOVE"));
    if (Peek().kind == TokenKind::kString && !Peek().str.empty()) return RemoveModule{Take().str};
    // Unquoted: sum or sum.lua
    TERN_SQL_ASSIGN(std::string name, Name("a module name", 255));
    if (TakeSymbol('.')) {
      TERN_SQL_ASSIGN(std::string ext, Name("a file extension after '.'", 255));
      absl::StrAppend(&name, ".", ext);
    }
    return RemoveModule{std::move(name)};
  }

  // module.function(args) ON ns[.set]
  template <typename T>
  absl::Status ParseCall(T& call, std::string_view verb) {
    TERN_SQL_ASSIGN(call.module, Name(absl::StrCat("a module name after ", Absl(verb)), 255));
    TERN_SQL_TRY(ExpectSymbol('.', "between the module and the function (module.function)"));
    TERN_SQL_ASSIGN(call.function, Name("a function name", 255));
    TERN_SQL_ASSIGN(call.args, ParseArguments("after the function name"));
    TERN_SQL_TRY(ExpectKeyword("ON", "after the function call"));
    TERN_SQL_ASSIGN(call.target, ParseTarget("after ON"));
    return absl::OkStatus();
  }

  absl::StatusOr<StatementBody> ParseExecute() {
    Execute exec;
    TERN_SQL_TRY(ParseCall(exec, "EXECUTE"));
    if (TakeKeyword("WHERE")) {
      TERN_SQL_ASSIGN(LocatedPredicate where, ParseWhere());
      auto* pk = std::get_if<PrimaryKeyEquals>(&where.predicate);
      if (pk == nullptr) {
        return SyntaxError(where.location,
                           "EXECUTE takes only WHERE PK = <key> (none runs it on every record)");
      }
      exec.key = std::move(pk->key);
    }
    return exec;
  }

  absl::StatusOr<StatementBody> ParseAggregate() {
    Aggregate agg;
    TERN_SQL_TRY(ParseCall(agg, "AGGREGATE"));
    const Location in_at = Peek().location;
    TERN_SQL_ASSIGN(agg.in, ParseIn());
    if (TakeKeyword("WHERE")) {
      TERN_SQL_ASSIGN(LocatedPredicate where, ParseWhere());
      if (std::holds_alternative<PrimaryKeyEquals>(where.predicate)) {
        return SyntaxError(where.location, "AGGREGATE filters on a bin, not on PK");
      }
      agg.where = std::move(where.predicate);
    }
    TERN_SQL_TRY(CheckIn(agg.in, agg.where, in_at));
    return agg;
  }

  absl::StatusOr<StatementBody> ParseShow() {
    Show show;
    if (TakeKeyword("NAMESPACES")) {
      show.what = ShowWhat::kNamespaces;
      return show;
    }
    if (TakeKeyword("MODULES")) {
      show.what = ShowWhat::kModules;
      return show;
    }
    if (TakeKeyword("SETS")) {
      show.what = ShowWhat::kSets;
    } else if (TakeKeyword("BINS")) {
      show.what = ShowWhat::kBins;
    } else if (TakeKeyword("INDEXES")) {
      show.what = ShowWhat::kIndexes;
    } else {
      return Expected("NAMESPACES, SETS, BINS, INDEXES or MODULES after SHOW");
    }
    // The filter is optional, so a missing ';' before the next statement must not read its
    // first word as a namespace.
    if (Peek().kind == TokenKind::kIdentifier && !StartsStatement(Peek())) {
      TERN_SQL_ASSIGN(show.target, ParseTarget("to show"));
    }
    return show;
  }

  absl::StatusOr<StatementBody> ParseTruncate() {
    Truncate trunc;
    TERN_SQL_ASSIGN(trunc.target, ParseTarget("after TRUNCATE"));
    return trunc;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  size_t last_end_ = 0;
};

absl::StatusOr<Parser> MakeParser(std::string_view text) {
  TERN_SQL_ASSIGN(std::vector<Token> tokens, Tokenize(text));
  return Parser(text, std::move(tokens));
}

}  // namespace

absl::StatusOr<std::vector<Statement>> Parse(std::string_view text) {
  TERN_SQL_ASSIGN(Parser parser, MakeParser(text));
  return parser.Statements();
}

absl::StatusOr<Statement> ParseOne(std::string_view text) {
  TERN_SQL_ASSIGN(std::vector<Statement> statements, Parse(text));
  if (statements.empty()) return SyntaxError(Location{}, "expected a statement, got end of input");
  if (statements.size() > 1) {
    return SyntaxError(statements[1].location,
                       absl::StrCat("expected one statement, got ", statements.size()));
  }
  return std::move(statements.front());
}

absl::StatusOr<Value> ParseValue(std::string_view text) {
  TERN_SQL_ASSIGN(Parser parser, MakeParser(text));
  return parser.LoneValue();
}

}  // namespace tern::sql

#undef TERN_SQL_ASSIGN
#undef TERN_SQL_ASSIGN_
#undef TERN_SQL_CONCAT
#undef TERN_SQL_CONCAT_
#undef TERN_SQL_TRY
