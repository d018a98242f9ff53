#include "record/packed_element.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "absl/strings/escaping.h"

namespace tern::record {
namespace {

std::string Hex(std::string_view spaced) {
  std::string compact;
  for (char c : spaced) {
    if (c != ' ') compact.push_back(c);
  }
  return absl::HexStringToBytes(compact);
}

TEST(PackedElementTest, NextYieldsExactBytes) {
  // [1, {"a": [2]}] followed by 3
  std::string in = Hex("92 01 81 a2 03 61 91 02 03");
  ElementReader r(in);
  std::optional<std::string_view> first = r.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, Hex("92 01 81 a2 03 61 91 02"));
  EXPECT_EQ(r.NextInt(), 3);
  EXPECT_TRUE(r.at_end());
}

TEST(PackedElementTest, HeadsOfEveryType) {
  struct Case {
    std::string_view hex;
    ElementType type;
  };
  for (const Case& c :
       std::initializer_list<Case>{{"c0", ElementType::kNil},
                                   {"c2", ElementType::kFalse},
                                   {"c3", ElementType::kTrue},
                                   {"d3 80 00 00 00 00 00 00 00", ElementType::kInt},
                                   {"a2 03 61", ElementType::kString},
                                   {"c4 02 04 01", ElementType::kBytes},
                                   {"a0", ElementType::kBytes},
                                   {"a2 17 7b", ElementType::kGeoJson},
                                   {"90", ElementType::kList},
                                   {"80", ElementType::kMap},
                                   {"cb 00 00 00 00 00 00 00 00", ElementType::kDouble},
                                   {"c7 00 01", ElementType::kExt},
                                   {"d4 ff 00", ElementType::kWildcard},
                                   {"d4 ff 01", ElementType::kInfinity}}) {
    EXPECT_EQ(TypeOf(Hex(c.hex)), c.type) << c.hex;
    EXPECT_TRUE(IsElement(Hex(c.hex))) << c.hex;
  }
  ElementHead h;
  std::string min = Hex("d3 80 00 00 00 00 00 00 00");
  ElementReader r(min);
  ASSERT_TRUE(r.ReadHead(&h));
  EXPECT_EQ(h.integer, std::numeric_limits<int64_t>::min());
}

TEST(PackedElementTest, StorableRejectsArgumentOnlyValues) {
  EXPECT_TRUE(IsStorable(Hex("93 c7 00 01 01 02")));           // ordered list metadata
  EXPECT_TRUE(IsStorable(Hex("82 c7 00 01 c0 a2 03 61 01")));  // ordered map metadata
  EXPECT_FALSE(IsStorable(Hex("92 01 d4 ff 00")));             // wildcard inside
  EXPECT_FALSE(IsStorable(Hex("d4 ff 01")));                   // infinity
  EXPECT_FALSE(IsStorable(Hex("92 01 c7 00 01")));             // ext not first
  EXPECT_FALSE(IsStorable(Hex("c7 00 01")));                   // ext alone
}

TEST(PackedElementTest, WritersUseTheSmallestForm) {
  EXPECT_EQ(PackInt(5), Hex("05"));
  EXPECT_EQ(PackInt(-1), Hex("ff"));
  EXPECT_EQ(PackInt(200), Hex("cc c8"));
  EXPECT_EQ(PackInt(-200), Hex("d1 ff 38"));
  EXPECT_EQ(PackInt(std::numeric_limits<int64_t>::min()), Hex("d3 80 00 00 00 00 00 00 00"));
  for (int64_t v : {int64_t{0}, int64_t{127}, int64_t{128}, int64_t{-33}, int64_t{70000},
                    int64_t{-70000}, int64_t{1} << 40, std::numeric_limits<int64_t>::max()}) {
    ElementReader r(PackInt(v));
    EXPECT_EQ(r.NextInt(), v);
  }
  std::string h;
  AppendArrayHeader(16, &h);
  AppendMapHeader(3, &h);
  AppendOrderExt(3, &h);
  EXPECT_EQ(h, Hex("dc 00 10 83 c7 00 03"));
}

TEST(PackedElementTest, HostileInputNeverReadsOutOfBounds) {
  // Truncated lengths and counts the input cannot hold.
  for (std::string_view bad :
       {"dd ff ff ff ff", "db 00 00 00 05 03", "c7 05 00", "92 01", "c1", "cb 00 00", "d4 ff"}) {
    EXPECT_FALSE(IsElement(Hex(bad))) << bad;
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 24, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    ElementReader r(s);
    while (r.Next()) {
    }
    (void)IsStorable(s);
  }
  // Deep nesting is refused rather than followed.
  EXPECT_FALSE(IsElement(std::string(100, '\x91') + "\x01"));
}

}  // namespace
}  // namespace tern::record
