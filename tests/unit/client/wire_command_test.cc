// The wire client's requests and reply decoding (client/wire/command.cc): the worked bytes of
// aerospike-wire.md §3.8, policies as header bits, batch rows, round trips of every particle
// type through the server's codec, and malformed replies refused without crashing.
#include <gtest/gtest.h>

#include "base/result_code.h"
#include "record/collection.h"
#include "tern/wire/command.h"
#include "wire/message.h"
#include "wire/particle.h"
#include "wire/proto.h"

namespace tern::wire {
namespace {

using record::Bin;
using record::Value;

std::string Unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      continue;  // spaces
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

// The body of a frame this client encoded, after checking its proto header.
std::string_view Body(const std::string& frame, MessageType type = MessageType::kMessage) {
  EXPECT_GE(frame.size(), kProtoHeaderSize);
  auto size = CheckProtoHeader(std::string_view(frame).substr(0, kProtoHeaderSize),
                               static_cast<uint8_t>(type));
  EXPECT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, frame.size() - kProtoHeaderSize);
  return std::string_view(frame).substr(kProtoHeaderSize);
}

ParsedMsg Parse(const std::string& frame) {
  ParsedMsg m;
  absl::Status s = ParseMsg(Body(frame), &m);
  EXPECT_TRUE(s.ok()) << s;
  return m;
}

const Key kKey1 = Key::String("test", "demo", "key1");

TEST(WireCommandTest, GetAndPutMatchTheWorkedBytes) {
  EXPECT_EQ(kKey1.digest.ToHex(), "ec91192d4b7f8ce35d5d78d34bca65cbaaaac960");
  std::string get;
  ASSERT_TRUE(EncodeGet(kKey1, {}, 1000, &get).ok());
  EXPECT_EQ(get,
            Unhex("02 03 00 00 00 00 00 41"
                  "16 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 03 e8 00 03 00 00"
                  "00 00 00 05 00 74 65 73 74  00 00 00 05 01 64 65 6d 6f"
                  "00 00 00 15 04 ec 91 19 2d 4b 7f 8c e3 5d 5d 78 d3 4b ca 65 cb aa aa c9 60"));
  std::string put;
  ASSERT_TRUE(EncodePut(kKey1,
                        std::vector<Bin>{{"a", Value::Integer(1)}, {"b", Value::String("x")}}, {},
                        1000, &put)
                  .ok());
  EXPECT_EQ(put, Unhex("02 03 00 00 00 00 00 5c"
                       "16 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 03 e8 00 03 00 02"
                       "00 00 00 05 00 74 65 73 74  00 00 00 05 01 64 65 6d 6f"
                       "00 00 00 15 04 ec 91 19 2d 4b 7f 8c e3 5d 5d 78 d3 4b ca 65 cb aa aa c9 60"
                       "00 00 00 0d 02 01 00 01 61 00 00 00 00 00 00 00 01"
                       "00 00 00 06 02 03 00 01 62 78"));
}

TEST(WireCommandTest, DecodesTheWorkedReplies) {
  auto put =
      DecodeRecordReply(Unhex("16 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00"));
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->result, 0);
  EXPECT_EQ(put->generation, 1u);
  EXPECT_EQ(put->void_time, 0u);
  EXPECT_TRUE(put->bins.empty());

  auto get =
      DecodeRecordReply(Unhex("16 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02"
                              "00 00 00 0d 01 01 00 01 61 00 00 00 00 00 00 00 01"
                              "00 00 00 06 01 03 00 01 62 78"));
  ASSERT_TRUE(get.ok()) << get.status();
  ASSERT_EQ(get->bins.size(), 2u);
  EXPECT_EQ(*get->Find("a"), Value::Integer(1));
  EXPECT_EQ(*get->Find("b"), Value::String("x"));
  EXPECT_EQ(get->Find("c"), nullptr);

  auto missing =
      DecodeRecordReply(Unhex("16 00 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->result, 2);
}

// Every particle type: the request carries it as the server decodes it, and a reply carrying
// it decodes back to the same value.
TEST(WireCommandTest, EveryParticleTypeRoundTrips) {
  const std::vector<Value> items = {Value::Integer(7), Value::String("s")};
  const std::vector<std::pair<Value, Value>> entries = {{Value::String("k"), Value::Integer(1)}};
  std::vector<Bin> bins = {
      {"int", Value::Integer(-42)},
      {"dbl", Value::Double(2.5)},
      {"str", Value::String("héllo")},
      {"blob", Value::Blob(std::string("\0\1\2", 3))},
      {"java", Value::Blob("j", record::ParticleType::kJavaBlob)},
      {"bool", Value::Bool(true)},
      {"list", Value::List(record::EncodeList(items))},
      {"olist", Value::List(record::EncodeList(items, true))},
      {"map", Value::Map(record::EncodeMap(entries, record::kMapKeyOrdered))},
      {"geo", Value::GeoJson(R"({"type":"Point","coordinates":[1,2]})")},
      {"hll", Value::Hll("hll-bytes")},
  };
  std::string put;
  ASSERT_TRUE(EncodePut(kKey1, bins, {}, 0, &put).ok());
  ParsedMsg m = Parse(put);
  ASSERT_EQ(m.ops.size(), bins.size());
  for (size_t i = 0; i < bins.size(); ++i) {
    EXPECT_EQ(m.ops[i].op, 2);
    EXPECT_EQ(m.ops[i].name, bins[i].name);
    auto v = DecodeParticle(m.ops[i].particle, m.ops[i].value);
    ASSERT_TRUE(v.ok()) << bins[i].name << ": " << v.status();
    EXPECT_EQ(*v, bins[i].value) << bins[i].name;
  }

  MsgHeader h;
  h.generation = 3;
  h.record_ttl = 123456;
  h.n_ops = static_cast<uint16_t>(bins.size());
  std::string reply;
  AppendHeader(h, &reply);
  for (const Bin& b : bins) AppendBinOp(1, b, &reply);
  auto decoded = DecodeRecordReply(reply);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->generation, 3u);
  EXPECT_EQ(decoded->void_time, 123456u);
  EXPECT_EQ(decoded->bins, bins);
  // Lists and maps come back as their msgpack bytes; record/collection.h reads them.
  auto list = record::DecodeList(decoded->Find("list")->bytes());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, items);
}

TEST(WireCommandTest, WritePoliciesSetTheHeaderBits) {
  struct Case {
    WritePolicy policy;
    uint8_t info2, info3;
    uint32_t generation;
  };
  WritePolicy create_only, update_only, replace, replace_only, gen_eq, gen_gt;
  create_only.exists = RecordExists::kCreateOnly;
  update_only.exists = RecordExists::kUpdateOnly;
  replace.exists = RecordExists::kReplace;
  replace_only.exists = RecordExists::kReplaceOnly;
  gen_eq.generation_policy = GenerationPolicy::kEqual;
  gen_eq.generation = 4;
  gen_gt.generation_policy = GenerationPolicy::kGreater;
  gen_gt.generation = 9;
  for (const Case& c : std::vector<Case>{{{}, 0x01, 0, 0},
                                         {create_only, 0x21, 0, 0},
                                         {update_only, 0x01, 0x08, 0},
                                         {replace, 0x01, 0x10, 0},
                                         {replace_only, 0x01, 0x20, 0},
                                         {gen_eq, 0x05, 0, 4},
                                         {gen_gt, 0x09, 0, 9}}) {
    std::string put;
    ASSERT_TRUE(
        EncodePut(kKey1, std::vector<Bin>{{"a", Value::Integer(1)}}, c.policy, 0, &put).ok());
    ParsedMsg m = Parse(put);
    EXPECT_EQ(m.header.info1, 0);
    EXPECT_EQ(m.header.info2, c.info2);
    EXPECT_EQ(m.header.info3, c.info3);
    EXPECT_EQ(m.header.generation, c.generation);
    EXPECT_FALSE(m.Has(kFieldKey));
  }

  WritePolicy p;
  p.ttl = kTtlNever;
  p.send_key = true;
  std::string put;
  ASSERT_TRUE(EncodePut(kKey1, std::vector<Bin>{{"a", Value()}}, p, 250, &put).ok());
  ParsedMsg m = Parse(put);
  EXPECT_EQ(m.header.record_ttl, 0xFFFFFFFFu);
  EXPECT_EQ(m.header.transaction_ttl, 250u);
  ASSERT_TRUE(m.Has(kFieldKey));
  EXPECT_EQ(*DecodeKey(m.Field(kFieldKey)), Value::String("key1"));
  EXPECT_EQ(m.ops[0].particle, 0);  // a null value deletes the bin
  EXPECT_TRUE(m.ops[0].value.empty());

  WritePolicy del;
  del.generation_policy = GenerationPolicy::kEqual;
  del.generation = 2;
  del.durable_delete = true;
  std::string remove;
  ASSERT_TRUE(EncodeDelete(kKey1, del, 0, &remove).ok());
  m = Parse(remove);
  EXPECT_EQ(m.header.info2, 0x01 | 0x02 | 0x04 | 0x10);
  EXPECT_EQ(m.header.generation, 2u);
  EXPECT_TRUE(m.ops.empty());

  std::string exists;
  ASSERT_TRUE(EncodeExists(kKey1, 0, &exists).ok());
  EXPECT_EQ(Parse(exists).header.info1, 0x21);
}

TEST(WireCommandTest, OperateFlagsFollowTheOps) {
  std::string out;
  WritePolicy p;
  p.ttl = 60;
  ASSERT_TRUE(EncodeOperate(kKey1,
                            std::vector<Op>{Op::Incr("n", Value::Integer(2)), Op::Read("n"),
                                            Op::Append("s", Value::String("!"))},
                            p, 0, &out)
                  .ok());
  ParsedMsg m = Parse(out);
  EXPECT_EQ(m.header.info1, 0x01);
  EXPECT_EQ(m.header.info2, 0x01);
  EXPECT_EQ(m.header.record_ttl, 60u);
  ASSERT_EQ(m.ops.size(), 3u);
  EXPECT_EQ(m.ops[0].op, 5);
  EXPECT_EQ(m.ops[1].op, 1);
  EXPECT_EQ(m.ops[2].op, 9);

  out.clear();
  p.respond_all_ops = true;
  ASSERT_TRUE(EncodeOperate(kKey1, std::vector<Op>{Op::Touch(), Op::ReadAll()}, p, 0, &out).ok());
  m = Parse(out);
  EXPECT_EQ(m.header.info1, 0x03);  // READ | GET_ALL
  EXPECT_EQ(m.header.info2, 0x01);  // never RESPOND_ALL_OPS with GET_ALL

  out.clear();
  ASSERT_TRUE(EncodeOperate(kKey1, std::vector<Op>{Op::Read("a")}, p, 0, &out).ok());
  m = Parse(out);
  EXPECT_EQ(m.header.info1, 0x01);
  EXPECT_EQ(m.header.info2, 0x80);  // read only: no WRITE, no TTL
  EXPECT_EQ(m.header.record_ttl, 0u);
}

TEST(WireCommandTest, RequestsTheProtocolCannotCarryAreRefused) {
  std::string out;
  EXPECT_EQ(EncodeGet(Key::Int("", "s", 1), {}, 0, &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeGet(Key::Int(std::string(32, 'n'), "s", 1), {}, 0, &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      EncodePut(kKey1, std::vector<Bin>{{std::string(16, 'b'), Value::Integer(1)}}, {}, 0, &out)
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodePut(kKey1, {}, {}, 0, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeOperate(kKey1, {}, {}, 0, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeBatchRead({}, BatchReadMode::kAllBins, {}, 0, &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

TEST(WireCommandTest, BatchRowsRepeatWithinANamespaceAndSet) {
  const std::vector<Key> keys = {Key::Int("test", "a", 1), Key::Int("test", "a", 2),
                                 Key::Int("test", "b", 3)};
  const std::vector<std::string> bins = {"x", "y"};
  std::string out;
  ASSERT_TRUE(EncodeBatchRead(keys, BatchReadMode::kNamedBins, bins, 500, &out).ok());
  ParsedMsg m = Parse(out);
  EXPECT_EQ(m.header.info1, 0x08);
  EXPECT_EQ(m.header.transaction_ttl, 500u);
  ASSERT_TRUE(m.Has(kFieldBatchIndex));
  Reader r(m.Field(kFieldBatchIndex));
  uint32_t count;
  uint8_t parent;
  ASSERT_TRUE(r.U32(&count) && r.U8(&parent));
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(parent & 0x04, 0x04);  // respond all keys
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t index;
    std::string_view digest;
    uint8_t flags;
    ASSERT_TRUE(r.U32(&index) && r.Bytes(20, &digest) && r.U8(&flags));
    EXPECT_EQ(index, i);
    EXPECT_EQ(digest,
              std::string_view(reinterpret_cast<const char*>(keys[i].digest.bytes.data()), 20));
    if (i == 1) {
      EXPECT_EQ(flags, 0x01);  // REPEAT
      continue;
    }
    EXPECT_EQ(flags, 0x02);
    MsgHeader row;
    uint16_t n_fields, n_ops;
    ASSERT_TRUE(r.U8(&row.info1) && r.U8(&row.info2) && r.U8(&row.info3) && r.U16(&n_fields) &&
                r.U16(&n_ops));
    EXPECT_EQ(row.info1, 0x01);
    ParsedMsg fields;
    ASSERT_TRUE(ParseFieldsAndOps(r, n_fields, n_ops, &fields).ok());
    EXPECT_EQ(fields.Field(kFieldNamespace), "test");
    EXPECT_EQ(fields.Field(kFieldSet), keys[i].set);
    ASSERT_EQ(fields.ops.size(), 2u);
    EXPECT_EQ(fields.ops[1].name, "y");
  }
  EXPECT_EQ(r.remaining(), 0u);
}

std::string RowMsg(uint32_t index, uint8_t result, std::vector<Bin> bins = {}) {
  MsgHeader h;
  h.result = result;
  h.generation = result == 0 ? 1 : 0;
  h.transaction_ttl = index;
  h.n_ops = static_cast<uint16_t>(bins.size());
  std::string out;
  AppendHeader(h, &out);
  for (const Bin& b : bins) AppendBinOp(1, b, &out);
  return out;
}

std::string LastMsg(uint8_t result = 0) {
  MsgHeader h;
  h.info3 = info3::kLast;
  h.result = result;
  std::string out;
  AppendHeader(h, &out);
  return out;
}

TEST(WireCommandTest, BatchRepliesInAnyOrderAcrossFrames) {
  BatchDecoder d(3);
  ASSERT_TRUE(d.Feed(RowMsg(2, 0, {{"v", Value::Integer(2)}}) + RowMsg(0, 2)).ok());
  EXPECT_FALSE(d.done());
  ASSERT_TRUE(d.Feed(LastMsg()).ok());
  EXPECT_TRUE(d.done());
  const BatchReply& r = d.reply();
  EXPECT_EQ(r.result, 0);
  ASSERT_TRUE(r.rows[0].has_value());
  EXPECT_EQ(r.rows[0]->result, 2);
  EXPECT_FALSE(r.rows[1].has_value());  // never answered
  ASSERT_TRUE(r.rows[2].has_value());
  EXPECT_EQ(*r.rows[2]->Find("v"), Value::Integer(2));

  BatchDecoder failed(1);
  ASSERT_TRUE(failed.Feed(LastMsg(151)).ok());
  EXPECT_EQ(failed.reply().result, 151);
}

TEST(WireCommandTest, MalformedBatchRepliesAreRefused) {
  EXPECT_EQ(BatchDecoder(2).Feed(RowMsg(2, 0)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(BatchDecoder(2).Feed(RowMsg(1, 0) + RowMsg(1, 0)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(BatchDecoder(2).Feed(LastMsg() + RowMsg(0, 0)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(BatchDecoder(2).Feed(RowMsg(0, 0).substr(0, 21)).code(), absl::StatusCode::kDataLoss);
}

TEST(WireCommandTest, MalformedRecordRepliesAreRefused) {
  const std::string ok = RowMsg(0, 0, {{"a", Value::Integer(1)}});
  ASSERT_TRUE(DecodeRecordReply(ok).ok());
  std::string bad_header_size = ok;
  bad_header_size[0] = 21;
  std::string op_too_short = ok;
  op_too_short[22 + 3] = 3;  // op size below 4 + name length
  std::string bad_bool = RowMsg(0, 0);
  bad_bool[21] = 1;  // one op
  bad_bool += Unhex("00 00 00 06 01 11 00 01 62 02");
  std::string bad_list = RowMsg(0, 0);
  bad_list[21] = 1;
  bad_list += Unhex("00 00 00 07 01 14 00 01 6c 93 01");  // list of 3 with one element
  std::string unknown_type = RowMsg(0, 0);
  unknown_type[21] = 1;
  unknown_type += Unhex("00 00 00 06 01 63 00 01 62 00");
  for (const std::string& bad :
       {std::string(), ok.substr(0, 10), ok + "x", ok.substr(0, ok.size() - 1), bad_header_size,
        op_too_short, bad_bool, bad_list, unknown_type}) {
    EXPECT_EQ(DecodeRecordReply(bad).status().code(), absl::StatusCode::kDataLoss) << bad.size();
  }
  // Every truncation and every single-byte corruption decodes or is refused; none crashes.
  for (size_t n = 0; n < ok.size(); ++n) EXPECT_FALSE(DecodeRecordReply(ok.substr(0, n)).ok());
  for (size_t i = 0; i < ok.size(); ++i) {
    for (int x : {0x01, 0x80, 0xff}) {
      std::string b = ok;
      b[i] = static_cast<char>(b[i] ^ x);
      auto r = DecodeRecordReply(b);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
      }
    }
  }
}

TEST(WireCommandTest, ProtoHeadersAreChecked) {
  EXPECT_EQ(*CheckProtoHeader(Unhex("02 03 00 00 00 00 00 16"), 3), 22u);
  for (const char* bad : {"01 03 00 00 00 00 00 16", "02 01 00 00 00 00 00 16",
                          "02 03 00 00 00 00 00 00", "02 03 00 00 08 00 00 01"}) {
    EXPECT_EQ(CheckProtoHeader(Unhex(bad), 3).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
  EXPECT_FALSE(CheckProtoHeader("\x02\x03", 3).ok());
}

TEST(WireCommandTest, InfoRequestsAndReplies) {
  std::string out;
  EncodeInfo(std::vector<std::string>{"node", "partition-generation", "build"}, &out);
  EXPECT_EQ(out.substr(0, 8), Unhex("02 01 00 00 00 00 00 20"));
  EXPECT_EQ(Body(out, MessageType::kInfo), "node\npartition-generation\nbuild\n");

  auto r = DecodeInfo("node\tBB9\nsindex-create:ns=t;indexdata=a,NUMERIC\tok\nnamespaces\t\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], std::make_pair(std::string("node"), std::string("BB9")));
  EXPECT_EQ((*r)[1].first, "sindex-create:ns=t;indexdata=a,NUMERIC");
  EXPECT_EQ((*r)[2].second, "");

  EXPECT_TRUE(InfoValueStatus("ok").ok());
  EXPECT_EQ(base::ResultCodeOf(InfoValueStatus("ERROR:4:unrecognized command")),
            base::ResultCode::kParameterError);
  EXPECT_EQ(InfoValueStatus("ERROR:4:unrecognized command").message(), "unrecognized command");
  EXPECT_EQ(base::ResultCodeOf(InfoValueStatus("ERROR:no code")), base::ResultCode::kServerError);
  EXPECT_EQ(base::ResultCodeOf(InfoValueStatus("FAIL:201:no index")),
            base::ResultCode::kIndexNotFound);
  EXPECT_EQ(base::ResultCodeOf(InfoValueStatus("error=compile_error;file=m.lua")),
            base::ResultCode::kUdfError);
}

}  // namespace
}  // namespace tern::wire
