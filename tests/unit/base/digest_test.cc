#include "base/digest.h"

#include <gtest/gtest.h>

namespace tern::base {
namespace {

// Vectors from shared/protocol/aerospike-wire.md §4.1 (the first six are the Go client's
// published key tests).
TEST(DigestTest, IntegerKeysMatchOfficialClients) {
  EXPECT_EQ(ComputeDigest("set", int64_t{-1}).ToHex(), "22116d253745e29fc63fdf760b6e26f7e197e01d");
  EXPECT_EQ(ComputeDigest("set", int64_t{0}).ToHex(), "93d943aae37b017ad7e011b0c1d2e2143c2fb37d");
  Digest d = ComputeDigest("demo", int64_t{1});
  EXPECT_EQ(d.ToHex(), "b7f4b83889e2da67de683e1df6919a1eacc446c8");
  EXPECT_EQ(PartitionOf(d), 1207u);
}

TEST(DigestTest, StringKeysMatchOfficialClients) {
  EXPECT_EQ(ComputeStringKeyDigest("set", "").ToHex(), "2819b1ff6e346a43b4f5f6b77a88bc3eaac22a83");
  EXPECT_EQ(ComputeStringKeyDigest("set", "aaaaaaaaaa").ToHex(),
            "5979fb32a80da070ff356f7695455592272e36c2");
  Digest d = ComputeStringKeyDigest("demo", "key1");
  EXPECT_EQ(d.ToHex(), "ec91192d4b7f8ce35d5d78d34bca65cbaaaac960");
  EXPECT_EQ(PartitionOf(d), 492u);
  Digest no_set = ComputeStringKeyDigest("", "key1");
  EXPECT_EQ(no_set.ToHex(), "579f05ecf9e6a9e796f4da2ab0b1323364df5c10");
  EXPECT_EQ(PartitionOf(no_set), 3927u);
}

TEST(DigestTest, BlobKeysMatchOfficialClients) {
  EXPECT_EQ(ComputeDigest("set", KeyType::kBlob, "").ToHex(),
            "327e2877b8815c7aeede0d5a8620d4ef8df4a4b4");
  EXPECT_EQ(ComputeDigest("set", KeyType::kBlob, "s").ToHex(),
            "ca2d96dc9a184d15a7fa2927565e844e9254e001");
  Digest d = ComputeDigest("demo", KeyType::kBlob, std::string_view("\x01\x02\x03", 3));
  EXPECT_EQ(d.ToHex(), "ff31c926fbef445648ce63ca72a698a5473425c1");
  EXPECT_EQ(PartitionOf(d), 511u);
}

TEST(DigestTest, HexRoundTripAndRejectsGarbage) {
  Digest d = ComputeStringKeyDigest("demo", "key1");
  Digest back;
  ASSERT_TRUE(Digest::FromHex(d.ToHex(), &back));
  EXPECT_EQ(back, d);
  EXPECT_FALSE(Digest::FromHex("abc", &back));
  EXPECT_FALSE(Digest::FromHex(std::string(40, 'z'), &back));
}

}  // namespace
}  // namespace tern::base
