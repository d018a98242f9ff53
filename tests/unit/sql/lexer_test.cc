#include "sql/lexer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/result_code.h"

namespace tern::sql {
namespace {

using ::testing::HasSubstr;

std::vector<Token> Lex(std::string_view text) {
  auto tokens = Tokenize(text);
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  return tokens.ok() ? *tokens : std::vector<Token>{};
}

std::string LexError(std::string_view text) {
  auto tokens = Tokenize(text);
  EXPECT_FALSE(tokens.ok()) << text;
  if (tokens.ok()) return "";
  EXPECT_EQ(base::ResultCodeOf(tokens.status()), base::ResultCode::kParameterError);
  return std::string(tokens.status().message());
}

TEST(LexerTest, KindsTextAndPositions) {
  auto t = Lex("SELECT a,b FROM test.demo\n  WHERE x = -12;");
  ASSERT_EQ(t.size(), 14u);
  EXPECT_EQ(t[0].kind, TokenKind::kIdentifier);
  EXPECT_EQ(t[0].text, "SELECT");
  EXPECT_EQ(t[0].location, (Location{1, 1}));
  EXPECT_TRUE(t[2].IsSymbol(','));
  EXPECT_EQ(t[2].location, (Location{1, 9}));
  EXPECT_TRUE(t[6].IsSymbol('.'));
  EXPECT_EQ(t[8].text, "WHERE");
  EXPECT_EQ(t[8].location, (Location{2, 3}));
  EXPECT_EQ(t[11].kind, TokenKind::kInteger);
  EXPECT_EQ(t[11].integer, -12);
  EXPECT_EQ(t[11].location, (Location{2, 13}));
  EXPECT_TRUE(t[12].IsSymbol(';'));
  EXPECT_EQ(t[13].kind, TokenKind::kEnd);
  EXPECT_EQ(t[13].location, (Location{2, 17}));
  EXPECT_EQ(t[13].Describe(), "end of input");
}

TEST(LexerTest, KeywordsAreCaseInsensitive) {
  auto t = Lex("select SeLeCt");
  EXPECT_TRUE(t[0].IsKeyword("SELECT"));
  EXPECT_TRUE(t[1].IsKeyword("SELECT"));
  EXPECT_FALSE(t[0].IsKeyword("SELECTS"));
  EXPECT_EQ(t[1].text, "SeLeCt");  // spelling kept for names
}

TEST(LexerTest, IdentifiersMayHoldDashesAndUnderscores) {
  auto t = Lex("_my-set2 x_1");
  EXPECT_EQ(t[0].kind, TokenKind::kIdentifier);
  EXPECT_EQ(t[0].text, "_my-set2");
  EXPECT_EQ(t[1].text, "x_1");
}

TEST(LexerTest, Numbers) {
  auto t = Lex("0 42 -7 3.25 -0.5 1e3 2.5E-2 9223372036854775807 -9223372036854775808");
  EXPECT_EQ(t[0].integer, 0);
  EXPECT_EQ(t[1].integer, 42);
  EXPECT_EQ(t[2].integer, -7);
  EXPECT_EQ(t[3].kind, TokenKind::kDouble);
  EXPECT_DOUBLE_EQ(t[3].dbl, 3.25);
  EXPECT_DOUBLE_EQ(t[4].dbl, -0.5);
  EXPECT_EQ(t[5].kind, TokenKind::kDouble);
  EXPECT_DOUBLE_EQ(t[5].dbl, 1000);
  EXPECT_DOUBLE_EQ(t[6].dbl, 0.025);
  EXPECT_EQ(t[7].integer, INT64_MAX);
  EXPECT_EQ(t[8].integer, INT64_MIN);
}

TEST(LexerTest, BadNumbers) {
  EXPECT_EQ(LexError("x = 12abc"), "line 1, column 5: bad number '12abc'");
  EXPECT_EQ(LexError("1.2.3"), "line 1, column 1: bad number '1.2.3'");
  EXPECT_EQ(LexError("\n  1."), "line 2, column 3: bad number '1.'");
  EXPECT_EQ(LexError("1e"), "line 1, column 1: bad number '1e'");
  EXPECT_EQ(LexError("1e+x"), "line 1, column 1: bad number '1e+x'");
  EXPECT_EQ(LexError("9223372036854775808"),
            "line 1, column 1: number out of range '9223372036854775808'");
  EXPECT_EQ(LexError("1e999"), "line 1, column 1: number out of range '1e999'");
}

TEST(LexerTest, Strings) {
  auto t = Lex(R"('it''s' "say ""hi""" '' 'a"b' "a'b")");
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[0].kind, TokenKind::kString);
  EXPECT_EQ(t[0].str, "it's");
  EXPECT_EQ(t[0].text, "'it''s'");
  EXPECT_EQ(t[1].str, "say \"hi\"");
  EXPECT_EQ(t[2].str, "");
  EXPECT_EQ(t[3].str, "a\"b");
  EXPECT_EQ(t[4].str, "a'b");
  EXPECT_EQ(t[5].location, (Location{1, 36}));
}

TEST(LexerTest, StringsSpanLinesAndKeepPositions) {
  auto t = Lex("'a\nb' x");
  EXPECT_EQ(t[0].str, "a\nb");
  EXPECT_EQ(t[1].location, (Location{2, 4}));
}

TEST(LexerTest, UnterminatedStrings) {
  EXPECT_EQ(LexError("SELECT 'abc"), "line 1, column 8: unterminated string starting 'abc");
  EXPECT_EQ(LexError("x\n  \"it\"\"s"), "line 2, column 3: unterminated string starting \"it\"\"s");
  EXPECT_EQ(LexError("'line one\nline two"),
            "line 1, column 1: unterminated string starting 'line one");
}

TEST(LexerTest, Comments) {
  auto t = Lex("-- a comment\nSHOW -- another\n  SETS --");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].location, (Location{2, 1}));
  EXPECT_EQ(t[1].location, (Location{3, 3}));
}

TEST(LexerTest, UnexpectedCharacters) {
  EXPECT_EQ(LexError("SELECT # FROM"), "line 1, column 8: unexpected character '#'");
  EXPECT_EQ(LexError("a - b"), "line 1, column 3: unexpected character '-'");
  EXPECT_EQ(LexError(std::string_view("a\x01", 2)),
            "line 1, column 2: unexpected character byte 0x1");
}

TEST(LexerTest, DescribeCutsLongTokens) {
  auto t = Lex(std::string(60, 'x'));
  EXPECT_EQ(t[0].Describe(), "'" + std::string(40, 'x') + "...'");
}

TEST(LexerTest, OffsetsCoverTheSpelling) {
  auto t = Lex("  abc 'x''y'");
  EXPECT_EQ(t[0].offset, 2u);
  EXPECT_EQ(t[0].end, 5u);
  EXPECT_EQ(t[1].offset, 6u);
  EXPECT_EQ(t[1].end, 12u);
}

}  // namespace
}  // namespace tern::sql
