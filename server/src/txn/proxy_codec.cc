#include "txn/proxy_codec.h"

#include "base/result_code.h"
#include "record/expression.h"

namespace tern::txn {

namespace {

using record::ParticleType;
using record::Value;

void ToVal(const Value& v, fabric::v1::Val* out) {
  out->set_type(static_cast<uint32_t>(v.type()));
  switch (v.type()) {
    case ParticleType::kNull:
      break;
    case ParticleType::kInteger:
    case ParticleType::kBool:
      out->set_i(v.integer());
      break;
    case ParticleType::kFloat:
      out->set_d(v.dbl());
      break;
    default:
      out->set_b(v.bytes());
  }
}

absl::StatusOr<Value> FromVal(const fabric::v1::Val& v) {
  if (v.type() > 255 || !record::IsKnownParticleType(static_cast<uint8_t>(v.type()))) {
    return base::MakeError(base::ResultCode::kParameterError, "unknown particle type");
  }
  const auto t = static_cast<ParticleType>(v.type());
  switch (t) {
    case ParticleType::kNull:
      return Value();
    case ParticleType::kInteger:
      return Value::Integer(v.i());
    case ParticleType::kBool:
      return Value::Bool(v.i() != 0);
    case ParticleType::kFloat:
      return Value::Double(v.d());
    default:
      return Value::FromBytes(t, v.b());
  }
}

}  // namespace

fabric::v1::ProxyRequest ToProxy(const Request& req) {
  fabric::v1::ProxyRequest out;
  out.set_command(static_cast<uint32_t>(req.command));
  out.set_ns(req.ns);
  out.set_set(req.set);
  out.set_digest(reinterpret_cast<const char*>(req.digest.bytes.data()), base::kDigestSize);
  if (req.key) ToVal(*req.key, out.mutable_key());
  out.set_send_key(req.send_key);
  out.set_read_all_bins(req.read_all_bins);
  out.set_metadata_only(req.metadata_only);
  out.set_read_touch_ttl_pct(req.read_touch_ttl_pct);
  out.set_generation_policy(static_cast<uint32_t>(req.generation_policy));
  out.set_generation(req.generation);
  out.set_exists_action(static_cast<uint32_t>(req.exists_action));
  out.set_ttl(req.ttl);
  out.set_durable_delete(req.durable_delete);
  out.set_respond_all_ops(req.respond_all_ops);
  for (const Op& op : req.ops) {
    auto* o = out.add_ops();
    o->set_type(static_cast<uint32_t>(op.type));
    o->set_bin(op.bin);
    ToVal(op.value, o->mutable_value());
  }
  out.set_udf_module(req.udf_module);
  out.set_udf_function(req.udf_function);
  for (const Value& a : req.udf_args) ToVal(a, out.add_udf_args());
  if (req.filter) out.set_filter(req.filter->packed());
  return out;
}

absl::StatusOr<Request> FromProxy(const fabric::v1::ProxyRequest& in) {
  auto bad = [](const char* what) {
    return base::MakeError(base::ResultCode::kParameterError, what);
  };
  Request req;
  if (in.command() > static_cast<uint32_t>(Command::kUdf)) return bad("bad command");
  req.command = static_cast<Command>(in.command());
  req.ns = in.ns();
  req.set = in.set();
  if (in.digest().size() != base::kDigestSize) return bad("bad digest");
  std::copy(in.digest().begin(), in.digest().end(), req.digest.bytes.begin());
  if (in.has_key()) {
    auto k = FromVal(in.key());
    if (!k.ok()) return k.status();
    req.key = std::move(*k);
  }
  req.send_key = in.send_key();
  req.read_all_bins = in.read_all_bins();
  req.metadata_only = in.metadata_only();
  req.read_touch_ttl_pct = in.read_touch_ttl_pct();
  if (in.generation_policy() > static_cast<uint32_t>(GenerationPolicy::kGreater)) {
    return bad("bad generation policy");
  }
  req.generation_policy = static_cast<GenerationPolicy>(in.generation_policy());
  req.generation = static_cast<uint16_t>(in.generation());
  if (in.exists_action() > static_cast<uint32_t>(ExistsAction::kCreateOnly)) {
    return bad("bad exists action");
  }
  req.exists_action = static_cast<ExistsAction>(in.exists_action());
  req.ttl = in.ttl();
  req.durable_delete = in.durable_delete();
  req.respond_all_ops = in.respond_all_ops();
  for (const auto& o : in.ops()) {
    auto v = FromVal(o.value());
    if (!v.ok()) return v.status();
    if (o.type() > 255) return bad("bad op type");
    req.ops.push_back(Op{static_cast<OpType>(o.type()), o.bin(), std::move(*v)});
  }
  req.udf_module = in.udf_module();
  req.udf_function = in.udf_function();
  for (const auto& a : in.udf_args()) {
    auto v = FromVal(a);
    if (!v.ok()) return v.status();
    req.udf_args.push_back(std::move(*v));
  }
  if (!in.filter().empty()) {
    auto f = record::Expression::Decode(in.filter());
    if (!f.ok()) return f.status();
    req.filter = *std::move(f);
  }
  return req;
}

void ToProxyReply(const Response& resp, fabric::v1::ProxyReply* out) {
  out->set_result(static_cast<uint32_t>(resp.result));
  out->set_generation(resp.generation);
  out->set_void_time(resp.void_time);
  for (const record::Bin& b : resp.bins) {
    auto* pb = out->add_bins();
    pb->set_name(b.name);
    ToVal(b.value, pb->mutable_value());
  }
  out->set_message(resp.message);
}

Response FromProxyReply(const fabric::v1::ProxyReply& reply) {
  Response r;
  r.result = static_cast<base::ResultCode>(reply.result());
  r.generation = static_cast<uint16_t>(reply.generation());
  r.void_time = reply.void_time();
  r.message = reply.message();
  for (const auto& b : reply.bins()) {
    auto v = FromVal(b.value());
    r.bins.push_back(record::Bin{b.name(), v.ok() ? std::move(*v) : Value()});
  }
  return r;
}

}  // namespace tern::txn
