// libFuzzer target for the expression decoder and evaluator (record/expression.h): any bytes a
// client may send as a filter (wire field 43) or as an expression operation's payload must
// decode to a tree or to an error, and a decoded tree must evaluate without crashing.
// Seed corpus: tests/fuzz/corpus_exp, expressions packed by the official Node client.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "record/collection.h"
#include "record/expression.h"
#include "record/packed_element.h"

namespace {

using tern::record::Value;

// A record with a bin of every type, named as the seed corpus names them.
struct Fixture {
  Fixture() {
    rec.bins = {
        {"i", Value::Integer(42)},
        {"f", Value::Double(1.5)},
        {"s", Value::String("star")},
        {"b", Value::Blob("\x01\x02")},
        {"a", Value::Bool(true)},
        {"l", Value::List(tern::record::EncodeList(std::vector<Value>{
                  Value::Integer(1), Value::String("x"),
                  Value::List(tern::record::EncodeList(std::vector<Value>{Value::Integer(2)}))}))},
        {"m",
         Value::Map(tern::record::EncodeMap(std::vector<std::pair<Value, Value>>{
             {Value::String("a"), Value::Integer(1)}, {Value::String("b"), Value::Double(2)}}))},
        {"g", Value::GeoJson(R"({"type":"Point","coordinates":[1,2]})")},
        // An empty HLL sketch (4 index bits: 11 header bytes, 12 register bytes) for HLL calls.
        {"h", Value::Hll(std::string("\x00\x04", 2) + std::string(21, '\0'))}};
    rec.key = Value::Integer(7);
    ctx.rec = &rec;
    ctx.digest = &digest;
    ctx.set_name = "demo";
    ctx.now = 500000000;
    ctx.void_time = ctx.now + 100;
    ctx.now_unix_ms = 1762000000000;
    ctx.last_update_ms = ctx.now_unix_ms - 10;
    ctx.stored_size = 100;
  }
  tern::record::Record rec;
  tern::base::Digest digest;
  tern::record::ExpRecord ctx;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto exp = tern::record::Expression::Decode(in);
  if (exp.ok()) {
    (void)(*exp)->Evaluate(f->ctx);
    tern::record::ExpRecord empty = f->ctx;
    empty.rec = nullptr;  // a record without bins or key
    (void)(*exp)->Matches(empty);
  }
  // The same bytes as an expression operation, [expression, flags].
  std::string op;
  tern::record::AppendArrayHeader(2, &op);
  op.append(in);
  op += tern::record::PackInt(size % 32);
  (void)tern::record::ExpRead(op, f->ctx);
  tern::record::Record out = f->rec;
  (void)tern::record::ExpModify(op, "out", f->ctx, &out);
  return 0;
}
