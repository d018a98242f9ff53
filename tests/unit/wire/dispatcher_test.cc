#include "wire/dispatcher.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <random>
#include <thread>

#include "base/digest.h"
#include "index/secondary_index.h"
#include "wire_test_util.h"

namespace tern::wire {
namespace {

using namespace tern::wire::testing;

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() {
    base::Config config;
    base::NamespaceConfig ns;
    ns.name = "test";
    ns.sprigs_per_partition = 1;
    config.namespaces.push_back(ns);
    catalog_ = std::move(*ns::Catalog::Open(config));
    engine_ = std::make_unique<txn::Engine>(*catalog_, nullptr);
    info_ = std::make_unique<api::InfoCommands>(
        *engine_,
        api::NodeIdentity{0xBB9020011AC4202, "BB9020011AC4202", "tern", "127.0.0.1", 3000}, nullptr,
        &jobs_);
    dispatcher_ = std::make_unique<Dispatcher>(*engine_, *info_, DispatchOptions{}, &jobs_);
  }

  // The whole answer to one request frame (streams drained).
  std::string Ask(MessageType type, std::string_view body) {
    std::string out;
    auto job = dispatcher_->Handle(static_cast<uint8_t>(type), body, &out);
    while (job && job->Produce(&out, 1 << 16)) {
    }
    return out;
  }

  static std::string DigestOf(std::string_view set, std::string_view key) {
    base::Digest d = base::ComputeStringKeyDigest(set, key);
    return std::string(reinterpret_cast<const char*>(d.bytes.data()), 20);
  }

  static std::vector<std::string> KeyFields(std::string_view key) {
    return {Field(kFieldNamespace, "test"), Field(kFieldSet, "demo"),
            Field(kFieldDigest, DigestOf("demo", key))};
  }

  // Splits a type-3 body into msgs: (header, offset of the msg).
  static std::vector<ParsedMsg> Msgs(std::string_view frames) {
    std::vector<ParsedMsg> out;
    while (frames.size() >= 8) {
      ProtoHeader ph = ParseProtoHeader(reinterpret_cast<const uint8_t*>(frames.data()));
      std::string_view body = frames.substr(8, ph.size);
      frames.remove_prefix(8 + ph.size);
      Reader r(body);
      while (r.remaining() > 0) {
        ParsedMsg m;
        if (!ParseHeader(r, &m.header) ||
            !ParseFieldsAndOps(r, m.header.n_fields, m.header.n_ops, &m).ok()) {
          ADD_FAILURE() << "unparsable response";
          return out;
        }
        out.push_back(m);
      }
    }
    return out;
  }

  std::unique_ptr<ns::Catalog> catalog_;
  std::unique_ptr<txn::Engine> engine_;
  std::unique_ptr<api::InfoCommands> info_;
  std::unique_ptr<Dispatcher> dispatcher_;
  query::JobManager jobs_;  // last: destroyed (its jobs stopped) before what they use
};

// The worked bytes of aerospike-wire.md §3.8.
TEST_F(DispatcherTest, PutAndGetAnswerTheReferenceBytes) {
  MsgHeader put;
  put.info2 = info2::kWrite;
  put.transaction_ttl = 1000;
  std::string put_body = Msg(put, KeyFields("key1"), {Op(2, 1, "a", Int64(1)), Op(2, 3, "b", "x")});
  EXPECT_EQ(Hex(Ask(MessageType::kMessage, put_body)),
            "0203000000000016"
            "16000000000000000001000000000000000000000000");

  MsgHeader get;
  get.info1 = info1::kRead | info1::kGetAll;
  get.transaction_ttl = 1000;
  std::string get_body = Msg(get, KeyFields("key1"), {});
  ASSERT_EQ(Hex(get_body).substr(0, 44),
            "1603"
            "000000000000000000000000"
            "000003e8"
            "0003"
            "0000");
  EXPECT_EQ(Hex(Ask(MessageType::kMessage, get_body)),
            "0203000000000031"
            "16000000000000000001000000000000000000000002"
            "0000000d01010001610000000000000001"
            "000000060103000162"
            "78");

  std::string missing = Msg(get, KeyFields("nope"), {});
  EXPECT_EQ(Hex(Ask(MessageType::kMessage, missing)),
            "0203000000000016"
            "16000000000200000000000000000000000000000000");
}

TEST_F(DispatcherTest, MalformedMessagesAnswerParameterErrorWithLast) {
  MsgHeader put;
  put.info2 = info2::kWrite;
  std::string good = Msg(put, KeyFields("k"), {Op(2, 1, "a", Int64(1))});
  auto expect_error = [&](std::string_view body, int code) {
    std::string out = Ask(MessageType::kMessage, body);
    auto msgs = Msgs(out);
    ASSERT_EQ(msgs.size(), 1u) << Hex(body);
    EXPECT_EQ(msgs[0].header.result, code) << Hex(body);
  };
  expect_error(good.substr(0, 10), 4);               // truncated header
  expect_error(good.substr(0, good.size() - 3), 4);  // truncated op
  expect_error(good + "x", 4);                       // trailing byte
  std::string huge = good;
  huge[22] = '\x7f';  // field size far past the end
  expect_error(huge, 4);
  expect_error(Msg(put, {Field(kFieldNamespace, "test"), Field(kFieldDigest, "short")},
                   {Op(2, 1, "a", Int64(1))}),
               4);
  expect_error(Msg(put, KeyFields("k"), {Op(2, 99, "a", "zz")}), 4);      // unknown particle
  expect_error(Msg(put, KeyFields("k"), {Op(77, 1, "a", Int64(1))}), 4);  // unknown op
  expect_error(Msg(put, KeyFields("k"), {Op(2, 17, "a", "\x05")}), 4);    // bool not 0/1
  expect_error(Msg(put, KeyFields("k"), {Op(2, 1, "sixteen_chars_xx", Int64(1))}), 21);
  expect_error(Msg(put, {Field(kFieldNamespace, "nope"), Field(kFieldDigest, DigestOf("", "k"))},
                   {Op(2, 1, "a", Int64(1))}),
               20);
  // None of that wrote anything.
  MsgHeader get;
  get.info1 = info1::kRead | info1::kGetAll;
  expect_error(Msg(get, KeyFields("k"), {}), 2);
}

TEST_F(DispatcherTest, RandomMutationsNeverCrash) {
  MsgHeader put;
  put.info2 = info2::kWrite;
  put.info1 = info1::kRead;
  std::vector<std::string> seeds = {
      Msg(put, KeyFields("k"),
          {Op(2, 1, "a", Int64(1)), Op(2, 20, "l", "\x92\x01\x02"), Op(1, 0, "a", "")}),
  };
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string m = seeds[0];
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 3) {
        case 0:
          m[rng() % m.size()] = static_cast<char>(rng());
          break;
        case 1:
          m.resize(rng() % (m.size() + 1));
          break;
        case 2:
          m.insert(rng() % (m.size() + 1), 1, static_cast<char>(rng()));
          break;
      }
      if (m.empty()) break;
    }
    for (uint8_t type : {1, 2, 3, 4}) {
      std::string out = Ask(static_cast<MessageType>(type), m);
      ASSERT_GE(out.size(), 8u);
    }
  }
}

TEST_F(DispatcherTest, InfoEchoesEveryLineInOrder) {
  std::string out =
      Ask(MessageType::kInfo, "node\npartition-generation\nbuild\nbogus\nunterminated");
  EXPECT_EQ(out.substr(8),
            "node\tBB9020011AC4202\npartition-generation\t1\nbuild\t8.1.2.0\n"
            "bogus\tERROR:4:unrecognized command\n");
  EXPECT_EQ(out[1], 1);
  std::string replicas = Ask(MessageType::kInfo, "replicas\n").substr(8);
  // test:0,1,<684 base64 chars of an all-ones 512-byte bitmap>
  ASSERT_EQ(replicas.size(), std::string("replicas\ttest:0,1,\n").size() + 684);
  EXPECT_EQ(replicas.substr(replicas.size() - 4), "/8=\n");
  EXPECT_EQ(Ask(MessageType::kInfo, "peers-clear-std\n").substr(8), "peers-clear-std\t1,3000,[]\n");
  EXPECT_NE(Ask(MessageType::kInfo, "").find("features\t"), std::string::npos);  // summary
}

TEST_F(DispatcherTest, AdminAnswersSecurityNotEnabled) {
  std::string login(16, '\0');
  login[2] = 20;  // LOGIN
  std::string out = Ask(MessageType::kAdmin, login);
  ASSERT_EQ(out.size(), 24u);
  EXPECT_EQ(out[1], 2);
  EXPECT_EQ(out[9], 52);
}

TEST_F(DispatcherTest, BatchAnswersEveryRowWithItsIndexThenLast) {
  MsgHeader put;
  put.info2 = info2::kWrite;
  Ask(MessageType::kMessage, Msg(put, KeyFields("b1"), {Op(2, 1, "v", Int64(1))}));
  Ask(MessageType::kMessage, Msg(put, KeyFields("b3"), {Op(2, 1, "v", Int64(3))}));
  // rows: 0 = b1 full read-all row, 1 = b2 REPEAT, 2 = b3 REPEAT
  std::string rows;
  auto u32 = [](uint32_t v) {
    std::string s;
    for (int i = 24; i >= 0; i -= 8) s.push_back(char(v >> i));
    return s;
  };
  rows += u32(3);
  rows += '\x0d';
  rows += u32(0) + DigestOf("demo", "b1") + '\x0a';
  rows += char(info1::kRead | info1::kGetAll);
  rows += std::string("\x00\x00", 2);          // info2, info3
  rows += u32(0);                              // record_ttl (read-touch percent)
  rows += std::string("\x00\x02\x00\x00", 4);  // 2 fields, 0 ops
  rows += Field(kFieldNamespace, "test") + Field(kFieldSet, "demo");
  rows += u32(1) + DigestOf("demo", "b2") + '\x01';
  rows += u32(2) + DigestOf("demo", "b3") + '\x01';
  MsgHeader batch;
  batch.info1 = info1::kBatch;
  auto msgs = Msgs(Ask(MessageType::kMessage, Msg(batch, {Field(kFieldBatchIndex, rows)}, {})));
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0].header.transaction_ttl, 0u);
  EXPECT_EQ(msgs[0].header.result, 0);
  EXPECT_EQ(msgs[0].header.n_ops, 1);
  EXPECT_EQ(msgs[1].header.transaction_ttl, 1u);
  EXPECT_EQ(msgs[1].header.result, 2);
  EXPECT_EQ(msgs[2].header.transaction_ttl, 2u);
  EXPECT_EQ(msgs[2].header.result, 0);
  EXPECT_EQ(msgs[3].header.info3, info3::kLast);
  // A REPEAT first row is malformed: a lone LAST carries the error.
  std::string bad = u32(1) + '\x0d' + u32(0) + DigestOf("demo", "b1") + '\x01';
  msgs = Msgs(Ask(MessageType::kMessage, Msg(batch, {Field(kFieldBatchIndex, bad)}, {})));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].header.info3, info3::kLast);
  EXPECT_EQ(msgs[0].header.result, 4);
}

TEST_F(DispatcherTest, PartitionScanHonoursPidsDigestsAndMaxRecords) {
  MsgHeader put;
  put.info2 = info2::kWrite;
  for (int i = 0; i < 200; ++i) {
    Ask(MessageType::kMessage,
        Msg(put, KeyFields("s" + std::to_string(i)), {Op(2, 1, "v", Int64(i))}));
  }
  std::string all_pids;
  for (uint32_t p = 0; p < 4096; ++p) {
    all_pids.push_back(static_cast<char>(p & 0xff));
    all_pids.push_back(static_cast<char>(p >> 8));
  }
  MsgHeader scan;
  scan.info1 = info1::kRead;
  scan.info3 = info3::kPartitionDone;
  scan.record_ttl = 0xFFFFFFFF;
  auto msgs =
      Msgs(Ask(MessageType::kMessage, Msg(scan,
                                          {Field(kFieldNamespace, "test"), Field(kFieldSet, "demo"),
                                           Field(kFieldPidArray, all_pids)},
                                          {})));
  ASSERT_EQ(msgs.size(), 201u);
  for (size_t i = 0; i < 200; ++i) {
    EXPECT_TRUE(msgs[i].Has(kFieldDigest));
    EXPECT_EQ(msgs[i].Field(kFieldNamespace), "test");
    EXPECT_EQ(msgs[i].header.n_ops, 1);
  }
  EXPECT_EQ(msgs[200].header.info3, info3::kLast);

  std::string max = Int64(50);
  msgs = Msgs(Ask(MessageType::kMessage,
                  Msg(scan,
                      {Field(kFieldNamespace, "test"), Field(kFieldPidArray, all_pids),
                       Field(kFieldMaxRecords, max)},
                      {})));
  EXPECT_EQ(msgs.size(), 51u);

  // Resuming partition P after its first digest returns the rest of P only.
  base::Digest d = base::ComputeStringKeyDigest("demo", "s0");
  uint32_t p = base::PartitionOf(d);
  msgs = Msgs(Ask(MessageType::kMessage,
                  Msg(scan,
                      {Field(kFieldNamespace, "test"),
                       Field(kFieldDigestArray,
                             std::string(reinterpret_cast<const char*>(d.bytes.data()), 20))},
                      {})));
  for (size_t i = 0; i + 1 < msgs.size(); ++i) {
    base::Digest got;
    std::memcpy(got.bytes.data(), msgs[i].Field(kFieldDigest).data(), 20);
    EXPECT_EQ(base::PartitionOf(got), p);
    EXPECT_GT(got, d);
  }
  // Duplicate partitions are a bad request.
  msgs = Msgs(
      Ask(MessageType::kMessage, Msg(scan,
                                     {Field(kFieldNamespace, "test"),
                                      Field(kFieldPidArray, std::string("\x01\x00\x01\x00", 4))},
                                     {})));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].header.result, 4);
}

TEST_F(DispatcherTest, ScanProjectsThroughListAndMapReads) {
  MsgHeader put;
  put.info2 = info2::kWrite;
  const std::string nested("\x81\xa6\x03value\x0a", 9);  // {"value": 10}
  Ask(MessageType::kMessage, Msg(put, KeyFields("p"), {Op(2, 19, "nested", nested)}));
  MsgHeader scan;
  scan.info1 = info1::kRead;
  scan.info2 = info2::kRespondAllOps;
  scan.info3 = info3::kPartitionDone;
  const std::string get_by_key("\x93\x61\x07\xa6\x03value", 10);  // [97, VALUE, "value"]
  auto msgs = Msgs(Ask(MessageType::kMessage,
                       Msg(scan, {Field(kFieldNamespace, "test"), Field(kFieldSet, "demo")},
                           {Op(3, 4, "nested", get_by_key)})));
  ASSERT_EQ(msgs.size(), 2u);
  ASSERT_EQ(msgs[0].ops.size(), 1u);
  EXPECT_EQ(msgs[0].ops[0].name, "nested");
  EXPECT_EQ(msgs[0].ops[0].particle, 1);
  EXPECT_EQ(msgs[0].ops[0].value, Int64(10));
  // Writes have no place in a foreground scan or query.
  msgs = Msgs(Ask(MessageType::kMessage,
                  Msg(scan, {Field(kFieldNamespace, "test")}, {Op(2, 1, "x", Int64(1))})));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].header.result, 4);
}

TEST_F(DispatcherTest, BackgroundScanAppliesOpsAndReportsThroughQueryShow) {
  MsgHeader put;
  put.info2 = info2::kWrite;
  for (int i = 0; i < 50; ++i) {
    Ask(MessageType::kMessage,
        Msg(put, KeyFields("bg" + std::to_string(i)), {Op(2, 1, "v", Int64(i))}));
  }
  MsgHeader bg;
  bg.info2 = info2::kWrite;
  auto msgs =
      Msgs(Ask(MessageType::kMessage, Msg(bg,
                                          {Field(kFieldNamespace, "test"), Field(kFieldSet, "demo"),
                                           Field(kFieldTaskId, Int64(77))},
                                          {Op(5, 1, "v", Int64(1000))})));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].header.info3, info3::kLast);
  EXPECT_EQ(msgs[0].header.result, 0);
  std::string show;
  for (int i = 0; i < 500; ++i) {
    show = Ask(MessageType::kInfo, "query-show:trid=77\n").substr(8);
    if (show.find("status=done(ok)") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(show.find("status=done(ok)"), std::string::npos) << show;
  EXPECT_NE(show.find("recs-succeeded=50"), std::string::npos) << show;
  MsgHeader get;
  get.info1 = info1::kRead | info1::kGetAll;
  msgs = Msgs(Ask(MessageType::kMessage, Msg(get, KeyFields("bg7"), {})));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].header.generation, 2u);  // every record was incremented once
  EXPECT_EQ(Ask(MessageType::kInfo, "query-show:trid=5\n").substr(8),
            "query-show:trid=5\tERROR:2:job not found\n");
}

TEST_F(DispatcherTest, CompressedRequestsAndResponses) {
  MsgHeader put;
  put.info2 = info2::kWrite;
  put.info1 = info1::kCompressResponse;
  std::string frame = Frame(MessageType::kMessage,
                            Msg(put, KeyFields("z"), {Op(2, 3, "s", std::string(500, 'q'))}));
  uLongf bound = compressBound(frame.size());
  std::string z(bound, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &bound,
                      reinterpret_cast<const Bytef*>(frame.data()), frame.size(), 1),
            Z_OK);
  z.resize(bound);
  std::string body = Int64(static_cast<int64_t>(frame.size())) + z;
  std::string out = Ask(MessageType::kCompressed, body);
  ASSERT_EQ(out[1], 4);  // the client asked for a compressed answer
  std::string inner(8 + 22, '\0');
  uLongf len = inner.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(inner.data()), &len,
                       reinterpret_cast<const Bytef*>(out.data() + 16), out.size() - 16),
            Z_OK);
  EXPECT_EQ(inner[8 + 5], 0);  // result OK
  EXPECT_EQ(inner[8 + 9], 1);  // generation 1
}

TEST_F(DispatcherTest, GeoQueriesAnswerPointsWithinAndRegionsContainingExactlyOnce) {
  catalog_->Find("test")->AddSindex(
      index::SindexDef{"test", "demo", "g", "loc", index::SindexType::kGeo2dSphere});
  // GeoJSON particle: flags, u16 cell count (none), then the text.
  auto geo = [](std::string_view text) { return std::string("\0\0\0", 3) + std::string(text); };
  MsgHeader put;
  put.info2 = info2::kWrite;
  auto write = [&](std::string_view key, std::string_view text) {
    Ask(MessageType::kMessage, Msg(put, KeyFields(key), {Op(2, 23, "loc", geo(text))}));
  };
  write("in", R"({"type":"Point","coordinates":[103.913,1.308]})");
  write("out", R"({"type":"Point","coordinates":[-122.101,37.421]})");
  // A region whose covering spans many cells, all inside the query box below.
  write("area", R"({"type":"Polygon","coordinates":[[[102.913,0.308],[102.913,2.308],)"
                R"([104.913,2.308],[104.913,0.308],[102.913,0.308]]]})");

  // INDEX_RANGE: count 1, bin, particle 23, then begin and end (the same GeoJSON text).
  auto query = [&](std::string_view text) {
    std::string range("\x01\x03loc\x17", 6);
    for (int i = 0; i < 2; ++i) {
      for (int s = 24; s >= 0; s -= 8) range.push_back(static_cast<char>(text.size() >> s));
      range.append(text);
    }
    MsgHeader q;
    q.info1 = info1::kRead;
    auto msgs = Msgs(
        Ask(MessageType::kMessage, Msg(q,
                                       {Field(kFieldNamespace, "test"), Field(kFieldSet, "demo"),
                                        Field(kFieldIndexRange, range)},
                                       {})));
    std::vector<std::string> digests;
    for (const ParsedMsg& m : msgs) {
      if (m.header.info3 & info3::kLast) {
        if (m.header.result != 0) digests.push_back("result " + std::to_string(m.header.result));
      } else {
        digests.emplace_back(m.Field(kFieldDigest));
      }
    }
    std::sort(digests.begin(), digests.end());
    return digests;
  };
  EXPECT_EQ(query(R"({"type":"Polygon","coordinates":[[[103,1.3],[104,1.3],[104,1.4],)"
                  R"([103,1.4],[103,1.3]]]})"),
            std::vector<std::string>{DigestOf("demo", "in")});
  EXPECT_EQ(query(R"({"type":"AeroCircle","coordinates":[[103.9135,1.3085],15000]})"),
            std::vector<std::string>{DigestOf("demo", "in")});
  // A big box holds many of the region's cells: the region is still not a point within it.
  EXPECT_EQ(query(R"({"type":"Polygon","coordinates":[[[100,-5],[110,-5],[110,5],[100,5],)"
                  R"([100,-5]]]})"),
            std::vector<std::string>{DigestOf("demo", "in")});
  EXPECT_EQ(query(R"({"type":"Point","coordinates":[103.913,1.308]})"),
            std::vector<std::string>{DigestOf("demo", "area")});
  EXPECT_EQ(query(R"({"type":"Point","coordinates":[0,0]})"), std::vector<std::string>{});
  // A self-crossing region and text that is not GeoJSON answer 160.
  EXPECT_EQ(query(R"({"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]})"),
            std::vector<std::string>{"result 160"});
  EXPECT_EQ(query("{"), std::vector<std::string>{"result 160"});
}

}  // namespace
}  // namespace tern::wire
