#include "sql/lexer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "base/strings.h"

namespace tern::sql {
namespace {

constexpr size_t kMaxQuoted = 40;  // longer tokens are cut in messages

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentPart(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      if (pos_ >= text_.size()) break;
      auto token = Next();
      if (!token.ok()) return token.status();
      tokens.push_back(*std::move(token));
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.location = Here();
    end.offset = end.end = text_.size();
    tokens.push_back(std::move(end));
    return tokens;
  }

 private:
  Location Here() const { return Location{line_, column_}; }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        Advance();
      } else if (c == '-' && Peek(1) == '-') {
        while (pos_ < text_.size() && text_[pos_] != '\n') Advance();
      } else {
        break;
      }
    }
  }

  absl::StatusOr<Token> Next() {
    Token t;
    t.location = Here();
    t.offset = pos_;
    char c = text_[pos_];
    if (IsIdentStart(c)) {
      t.kind = TokenKind::kIdentifier;
      while (pos_ < text_.size() && IsIdentPart(text_[pos_])) Advance();
    } else if (IsDigit(c) || (c == '-' && IsDigit(Peek(1)))) {
      if (auto s = Number(t); !s.ok()) return s;
    } else if (c == '\'' || c == '"') {
      if (auto s = String(t); !s.ok()) return s;
    } else if (std::string_view("()[]{},.;:=*").find(c) != std::string_view::npos) {
      t.kind = TokenKind::kSymbol;
      Advance();
    } else {
      std::string shown = std::isprint(static_cast<unsigned char>(c))
                              ? absl::StrCat("'", std::string(1, c), "'")
                              : absl::StrCat("byte 0x", absl::Hex(static_cast<unsigned char>(c)));
      return SyntaxError(t.location, absl::StrCat("unexpected character ", shown));
    }
    t.end = pos_;
    if (t.text.empty()) t.text = std::string(text_.substr(t.offset, pos_ - t.offset));
    return t;
  }

  absl::Status Number(Token& t) {
    if (text_[pos_] == '-') Advance();
    bool is_double = false;
    bool malformed = false;
    while (IsDigit(Peek())) Advance();
    if (Peek() == '.') {
      is_double = true;
      Advance();
      if (!IsDigit(Peek())) malformed = true;
      while (IsDigit(Peek())) Advance();
    }
    if (Peek() == 'e' || Peek() == 'E') {
      is_double = true;
      Advance();
      if (Peek() == '+' || Peek() == '-') Advance();
      if (!IsDigit(Peek())) malformed = true;
      while (IsDigit(Peek())) Advance();
    }
    // Glued letters, digits or dots (12abc, 1.2.3) make the whole run one bad number.
    while (IsIdentPart(Peek()) || Peek() == '.') {
      malformed = true;
      Advance();
    }
    std::string_view spelling = text_.substr(t.offset, pos_ - t.offset);
    t.text = std::string(spelling);
    if (malformed)
      return SyntaxError(t.location, absl::StrCat("bad number '", base::Absl(spelling), "'"));
    const char* first = spelling.data();
    const char* last = first + spelling.size();
    std::from_chars_result r;
    if (is_double) {
      t.kind = TokenKind::kDouble;
      r = std::from_chars(first, last, t.dbl);
    } else {
      t.kind = TokenKind::kInteger;
      r = std::from_chars(first, last, t.integer);
    }
    if (r.ec == std::errc::result_out_of_range) {
      return SyntaxError(t.location,
                         absl::StrCat("number out of range '", base::Absl(spelling), "'"));
    }
    if (r.ec != std::errc() || r.ptr != last) {
      return SyntaxError(t.location, absl::StrCat("bad number '", base::Absl(spelling), "'"));
    }
    return absl::OkStatus();
  }

  absl::Status String(Token& t) {
    char quote = text_[pos_];
    Advance();
    while (true) {
      if (pos_ >= text_.size()) {
        std::string_view start =
            text_.substr(t.offset, std::min<size_t>(kMaxQuoted, pos_ - t.offset));
        size_t newline = start.find('\n');
        if (newline != std::string_view::npos) start = start.substr(0, newline);
        return SyntaxError(t.location,
                           absl::StrCat("unterminated string starting ", base::Absl(start)));
      }
      char c = text_[pos_];
      Advance();
      if (c == quote) {
        if (Peek() != quote) break;
        Advance();  // a doubled quote is one quote
      }
      t.str.push_back(c);
    }
    t.kind = TokenKind::kString;
    return absl::OkStatus();
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

bool Token::IsKeyword(std::string_view word) const {
  if (kind != TokenKind::kIdentifier || text.size() != word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) return false;
  }
  return true;
}

std::string Token::Describe() const {
  if (kind == TokenKind::kEnd) return "end of input";
  if (text.size() > kMaxQuoted) return absl::StrCat("'", text.substr(0, kMaxQuoted), "...'");
  return absl::StrCat("'", text, "'");
}

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text) { return Scanner(text).Run(); }

absl::Status SyntaxError(Location at, std::string_view message) {
  return base::MakeError(
      base::ResultCode::kParameterError,
      absl::StrCat("line ", at.line, ", column ", at.column, ": ", base::Absl(message)));
}

}  // namespace tern::sql
