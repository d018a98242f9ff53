#include "record/record_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "base/result_code.h"
#include "record/collection.h"

namespace tern::record {
namespace {

using base::ResultCode;
using base::ResultCodeOf;

StoredMeta Meta() {
  return StoredMeta{.generation = 65535,
                    .void_time = 0xdeadbeef,
                    .last_update_ms = 1700000000123,
                    .set_name = "users"};
}

// A record with a bin of every particle type.
Record EveryType() {
  Record r;
  r.Set("int", Value::Integer(std::numeric_limits<int64_t>::min()));
  r.Set("dbl", Value::Double(-3.25));
  r.Set("str", Value::String("hello"));
  r.Set("empty", Value::String(""));
  r.Set("blob", Value::Blob(std::string("\x00\x01\xff", 3)));
  for (ParticleType t :
       {ParticleType::kJavaBlob, ParticleType::kCsharpBlob, ParticleType::kPythonBlob,
        ParticleType::kRubyBlob, ParticleType::kPhpBlob, ParticleType::kErlangBlob}) {
    r.Set(std::string("lang") + std::to_string(static_cast<int>(t)), Value::Blob("x", t));
  }
  r.Set("t", Value::Bool(true));
  r.Set("f", Value::Bool(false));
  r.Set("hll", Value::Hll(std::string(16, '\x07')));
  r.Set("list", Value::List(EncodeList(std::vector<Value>{Value::Integer(1), Value::String("a")})));
  r.Set("map", Value::Map(EncodeMap(
                   std::vector<std::pair<Value, Value>>{{Value::String("k"), Value::Double(1)}})));
  r.Set("geo", Value::GeoJson(R"({"type":"Point","coordinates":[0,0]})"));
  r.Set("fifteen_chars__", Value::Integer(42));
  return r;
}

TEST(RecordCodecTest, RoundTripEveryTypeWithoutKey) {
  Record rec = EveryType();
  std::string bytes = EncodeRecord(Meta(), rec);
  EXPECT_EQ(bytes[0], kRecordFormatVersion);
  StoredMeta meta;
  Record back;
  ASSERT_TRUE(DecodeRecord(bytes, &meta, &back).ok());
  EXPECT_EQ(meta, Meta());
  EXPECT_EQ(back, rec);
  EXPECT_FALSE(back.key.has_value());
}

TEST(RecordCodecTest, RoundTripWithKeys) {
  for (const Value& key :
       {Value::Integer(-12345), Value::String("user:1"), Value::Blob(std::string("\x00\x02", 2)),
        Value::Double(0.5), Value::Bool(true), Value()}) {
    Record rec;
    rec.key = key;
    rec.Set("a", Value::Integer(1));
    StoredMeta in{.generation = 1, .void_time = 0, .last_update_ms = 5, .set_name = ""};
    std::string bytes = EncodeRecord(in, rec);
    StoredMeta meta;
    Record back;
    absl::Status s = DecodeRecord(bytes, &meta, &back);
    ASSERT_TRUE(s.ok()) << ParticleTypeName(key.type()) << ": " << s;
    EXPECT_EQ(meta, in);
    EXPECT_EQ(back, rec);
  }
}

TEST(RecordCodecTest, EmptyRecordLayout) {
  std::string bytes = EncodeRecord(
      StoredMeta{
          .generation = 0x0102, .void_time = 0x03040506, .last_update_ms = 0x0708, .set_name = "s"},
      Record{});
  EXPECT_EQ(bytes, std::string("\x01"                              // version
                               "\x02\x01"                          // generation
                               "\x06\x05\x04\x03"                  // void time
                               "\x08\x07\x00\x00\x00\x00\x00\x00"  // last update
                               "\x01s"                             // set name
                               "\x00"                              // no key
                               "\x00\x00",                         // no bins
                               20));
}

TEST(RecordCodecTest, MetaOnlyDecodeIgnoresBins) {
  std::string bytes = EncodeRecord(Meta(), EveryType());
  // Corrupt everything after the metadata: the meta-only path must not look at it.
  size_t meta_end = 1 + 2 + 4 + 8 + 1 + Meta().set_name.size();
  std::string corrupt = bytes.substr(0, meta_end) + "\xff\xff\xff";
  StoredMeta meta;
  ASSERT_TRUE(DecodeRecord(corrupt, &meta, nullptr).ok());
  EXPECT_EQ(meta, Meta());
  Record rec;
  EXPECT_FALSE(DecodeRecord(corrupt, &meta, &rec).ok());
  ASSERT_TRUE(DecodeRecord(bytes, &meta, nullptr).ok());
  EXPECT_EQ(meta, Meta());
}

TEST(RecordCodecTest, TruncationRejectedAtEveryCut) {
  Record rec = EveryType();
  rec.key = Value::String("the-key");
  std::string bytes = EncodeRecord(Meta(), rec);
  size_t meta_end = 1 + 2 + 4 + 8 + 1 + Meta().set_name.size();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    StoredMeta meta = Meta();
    meta.generation = 7;
    Record out;
    out.Set("untouched", Value::Integer(1));
    absl::Status s = DecodeRecord(std::string_view(bytes).substr(0, cut), &meta, &out);
    ASSERT_FALSE(s.ok()) << cut;
    EXPECT_EQ(ResultCodeOf(s), ResultCode::kParameterError);
    // Outputs are left alone on failure.
    EXPECT_EQ(meta.generation, 7);
    EXPECT_EQ(out.bins.size(), 1u);
    EXPECT_EQ(DecodeRecord(std::string_view(bytes).substr(0, cut), &meta, nullptr).ok(),
              cut >= meta_end)
        << cut;
  }
  StoredMeta meta;
  Record out;
  EXPECT_FALSE(DecodeRecord(bytes + "x", &meta, &out).ok());  // trailing byte
}

TEST(RecordCodecTest, InvalidFieldsRejected) {
  Record rec;
  rec.Set("b", Value::Bool(true));
  std::string bytes = EncodeRecord(StoredMeta{}, rec);
  StoredMeta meta;
  Record out;
  ASSERT_TRUE(DecodeRecord(bytes, &meta, &out).ok());

  std::string bad = bytes;
  bad[0] = 2;  // unknown version
  EXPECT_FALSE(DecodeRecord(bad, &meta, &out).ok());
  EXPECT_FALSE(DecodeRecord(bad, &meta, nullptr).ok());

  size_t bins_at = 1 + 2 + 4 + 8 + 1 + 1;  // after the key flag
  bad = bytes;
  bad[bins_at - 1] = 2;  // key flag
  EXPECT_FALSE(DecodeRecord(bad, &meta, &out).ok());

  bad = bytes;
  bad[bins_at + 2 + 1 + 1] = 5;  // unassigned particle type
  EXPECT_FALSE(DecodeRecord(bad, &meta, &out).ok());

  bad = bytes;
  bad[bins_at + 2 + 1 + 1 + 1] = 2;  // bool other than 0/1
  EXPECT_FALSE(DecodeRecord(bad, &meta, &out).ok());

  bad = bytes;
  bad[bins_at + 2] = 16;  // bin name too long (and past the end)
  EXPECT_FALSE(DecodeRecord(bad, &meta, &out).ok());

  // A key of a scalar type whose length does not match it.
  Record keyed;
  keyed.key = Value::Integer(1);
  bad = EncodeRecord(StoredMeta{}, keyed);
  bad[bins_at + 1] = 4;  // u32 length low byte: 8 -> 4
  EXPECT_FALSE(DecodeRecord(bad, &meta, &out).ok());
}

TEST(RecordCodecTest, RandomBytesNeverCrash) {
  std::string good = EncodeRecord(Meta(), EveryType());
  std::mt19937 rng(1);
  for (int i = 0; i < 10000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      s.resize(rng() % 64);
      for (char& c : s) c = static_cast<char>(rng());
      if (!s.empty()) s[0] = kRecordFormatVersion;
    } else {
      s = good;
      for (int k = 0; k < 2; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    }
    StoredMeta meta;
    Record out;
    (void)DecodeRecord(s, &meta, &out);
    (void)DecodeRecord(s, &meta, nullptr);
  }
}

}  // namespace
}  // namespace tern::record
