// Splits SQL-like text into tokens with their 1-based line and column, so every parse error can
// point at the offending token. Keywords are plain identifiers; the parser compares them
// case-insensitively.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sql/ast.h"

namespace tern::sql {

enum class TokenKind {
  kIdentifier,  // [A-Za-z_][A-Za-z0-9_-]*
  kInteger,     // -?[0-9]+ within int64
  kDouble,      // -?[0-9]+.[0-9]+ with an optional exponent, or an integer with an exponent
  kString,      // '...' or "..."; a doubled quote stands for one quote
  kSymbol,      // one of ( ) [ ] { } , . ; : = *
  kEnd,         // end of input
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // the source spelling (strings with their quotes)
  std::string str;   // a string's contents, unescaped
  int64_t integer = 0;
  double dbl = 0;
  Location location;
  size_t offset = 0;  // byte offset of the first character in the source
  size_t end = 0;     // byte offset just past the last character

  bool IsSymbol(char c) const {
    return kind == TokenKind::kSymbol && text.size() == 1 && text[0] == c;
  }
  // Case-insensitive keyword match (`word` is given in upper case).
  bool IsKeyword(std::string_view word) const;
  // How an error message quotes it: 'FORM', end of input.
  std::string Describe() const;
};

// The tokens of `text`, ending with one kEnd token. `--` starts a comment to the end of the
// line. Errors (unterminated string, bad number, unexpected character) are parameter errors
// whose message starts "line L, column C: ".
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text);

// "line L, column C: <message>" as a kParameterError status.
absl::Status SyntaxError(Location at, std::string_view message);

}  // namespace tern::sql
