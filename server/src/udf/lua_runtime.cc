#include "udf/lua_runtime.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/result_code.h"
#include "base/strings.h"
#include "lua.hpp"
#include "record/collection.h"

namespace tern::udf {

using base::MakeError;
using base::ResultCode;
using record::ParticleType;
using record::Value;

namespace {

constexpr int kHookEvery = 10000;  // instructions between budget checks
constexpr int kMaxDepth = 32;      // nesting of lists/maps converted either way

// Registry keys.
constexpr const char* kRecordMeta = "tern.record";
constexpr const char* kBytesMeta = "tern.bytes";
constexpr const char* kListMeta = "tern.list";
constexpr const char* kMapMeta = "tern.map";
constexpr const char* kModulesKey = "tern.modules";
constexpr const char* kStreamNewKey = "tern.stream_new";
constexpr const char* kStreamRunKey = "tern.stream_run";

// Stream UDFs: `stream : map(f) : filter(f) : aggregate(init, f) : reduce(f)` only records
// the stages; run() then pulls records from `src` through them and passes each output to
// `emit`. aggregate and reduce consume their whole input and yield one value. As in
// Aerospike, a node runs the stages up to the first reduce over its records, and the nodes'
// values are merged (by the client, or by the node running a SQL AGGREGATE) with
// run(..., final = true): that reduce once more, then the stages after it.
constexpr const char* kStreamPrelude = R"lua(
local Stream = {}
Stream.__index = Stream
local function add(s, op) s.ops[#s.ops + 1] = op return s end
function Stream:map(f) return add(self, {'map', f}) end
function Stream:filter(f) return add(self, {'filter', f}) end
function Stream:aggregate(init, f) return add(self, {'aggregate', f, init}) end
function Stream:reduce(f) return add(self, {'reduce', f}) end
local function new() return setmetatable({ops = {}}, Stream) end
local function run(s, src, emit, final)
  if getmetatable(s) ~= Stream then error('a stream UDF must return the stream') end
  -- A node runs the stages up to the first reduce; merging the nodes' values runs that
  -- reduce once more, then the stages after it. Without a reduce a node runs every stage and
  -- the nodes' values pass through.
  local first
  for i, op in ipairs(s.ops) do
    if op[1] == 'reduce' then first = i break end
  end
  local ops = {}
  if not final then
    for i = 1, first or #s.ops do ops[#ops + 1] = s.ops[i] end
  elseif first then
    for i = first, #s.ops do ops[#ops + 1] = s.ops[i] end
  end
  local out = src
  for _, op in ipairs(ops) do
    local prev, kind, f = out, op[1], op[2]
    if kind == 'map' then
      out = function() local v = prev() if v == nil then return nil end return f(v) end
    elseif kind == 'filter' then
      out = function()
        while true do
          local v = prev()
          if v == nil then return nil end
          if f(v) then return v end
        end
      end
    else
      local done, acc = false, op[3]
      out = function()
        if done then return nil end
        done = true
        for v in prev do
          if kind == 'aggregate' then acc = f(acc, v) elseif acc == nil then acc = v else acc = f(acc, v) end
        end
        return acc
      end
    end
  end
  for v in out do emit(v) end
end
return new, run
)lua";

}  // namespace

namespace {

// Instruction budget of the running call, in hook periods; reached from the hook through the
// state's extra space.
struct Budget {
  uint64_t left = 0;
};

struct Memory {
  size_t used = 0;
  size_t limit = 0;
};

// The memory cap: refuse growth past the limit (Lua then raises "not enough memory").
void* CappedAlloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* m = static_cast<Memory*>(ud);
  const size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    m->used -= old;
    std::free(ptr);
    return nullptr;
  }
  if (nsize > old && m->used + (nsize - old) > m->limit) return nullptr;
  void* out = std::realloc(ptr, nsize);
  if (out) m->used = m->used - old + nsize;
  return out;
}

void BudgetHook(lua_State* L, lua_Debug*) {
  auto* budget = *static_cast<Budget**>(lua_getextraspace(L));
  if (budget->left == 0) luaL_error(L, "UDF exceeded its instruction budget (runaway loop?)");
  --budget->left;
}

}  // namespace

struct LuaRuntime::State {
  lua_State* L = nullptr;
  uint64_t generation = 0;
  Memory memory;
  Budget budget;
  ~State() {
    if (L) lua_close(L);
  }
};

namespace {

// --- values ------------------------------------------------------------------------------------

void PushValue(lua_State* L, const Value& v, int depth);

void PushBytes(lua_State* L, const std::string& bytes) {
  auto* box = static_cast<std::string*>(lua_newuserdatauv(L, sizeof(std::string), 0));
  new (box) std::string(bytes);
  luaL_setmetatable(L, kBytesMeta);
}

void PushList(lua_State* L, const std::vector<Value>& items, int depth) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    PushValue(L, items[i], depth + 1);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  luaL_setmetatable(L, kListMeta);
}

void PushMap(lua_State* L, const std::vector<std::pair<Value, Value>>& entries, int depth) {
  lua_createtable(L, 0, static_cast<int>(entries.size()));
  for (const auto& [k, v] : entries) {
    PushValue(L, k, depth + 1);
    PushValue(L, v, depth + 1);
    if (lua_isnil(L, -2)) {
      lua_pop(L, 2);
      continue;
    }
    lua_rawset(L, -3);
  }
  luaL_setmetatable(L, kMapMeta);
}

void PushValue(lua_State* L, const Value& v, int depth) {
  if (depth > kMaxDepth) luaL_error(L, "value nested too deeply");
  switch (v.type()) {
    case ParticleType::kNull:
      lua_pushnil(L);
      return;
    case ParticleType::kInteger:
      lua_pushinteger(L, v.integer());
      return;
    case ParticleType::kFloat:
      lua_pushnumber(L, v.dbl());
      return;
    case ParticleType::kBool:
      lua_pushboolean(L, v.boolean());
      return;
    case ParticleType::kString:
    case ParticleType::kGeoJson:
      lua_pushlstring(L, v.bytes().data(), v.bytes().size());
      return;
    case ParticleType::kList: {
      auto items = record::DecodeList(v.bytes());
      if (!items.ok()) luaL_error(L, "stored list is malformed");
      PushList(L, *items, depth);
      return;
    }
    case ParticleType::kMap: {
      auto entries = record::DecodeMap(v.bytes());
      if (!entries.ok()) luaL_error(L, "stored map is malformed");
      PushMap(L, *entries, depth);
      return;
    }
    default:
      PushBytes(L, v.bytes());
      return;
  }
}

bool HasMeta(lua_State* L, int idx, const char* meta) {
  if (!lua_getmetatable(L, idx)) return false;
  luaL_getmetatable(L, meta);
  bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

absl::StatusOr<Value> ToValue(lua_State* L, int idx, int depth);

// A plain table is a list when its keys are exactly 1..n, otherwise a map.
bool IsSequence(lua_State* L, int idx) {
  lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1)) {
      lua_pop(L, 1);
      return false;
    }
    ++count;
  }
  return count == n;
}

absl::StatusOr<Value> TableToValue(lua_State* L, int idx, int depth) {
  const bool as_list = HasMeta(L, idx, kListMeta) ||
                       (!HasMeta(L, idx, kMapMeta) && IsSequence(L, idx) && lua_rawlen(L, idx) > 0);
  if (as_list) {
    std::vector<Value> items;
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, idx, i);
      auto v = ToValue(L, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
      if (!v.ok()) return v.status();
      items.push_back(std::move(*v));
    }
    return Value::List(record::EncodeList(items));
  }
  std::vector<std::pair<Value, Value>> entries;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    auto k = ToValue(L, lua_gettop(L) - 1, depth + 1);
    auto v = ToValue(L, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
    if (!k.ok()) return k.status();
    if (!v.ok()) return v.status();
    entries.emplace_back(std::move(*k), std::move(*v));
  }
  return Value::Map(record::EncodeMap(entries));
}

absl::StatusOr<Value> ToValue(lua_State* L, int idx, int depth) {
  if (depth > kMaxDepth) return MakeError(ResultCode::kUdfError, "value nested too deeply");
  switch (lua_type(L, idx)) {
    case LUA_TNIL:
      return Value();
    case LUA_TBOOLEAN:
      return Value::Bool(lua_toboolean(L, idx));
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) return Value::Integer(lua_tointeger(L, idx));
      return Value::Double(lua_tonumber(L, idx));
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, idx, &len);
      return Value::String(std::string(s, len));
    }
    case LUA_TTABLE:
      return TableToValue(L, idx, depth);
    case LUA_TUSERDATA:
      if (HasMeta(L, idx, kBytesMeta)) {
        return Value::Blob(*static_cast<std::string*>(lua_touserdata(L, idx)));
      }
      if (HasMeta(L, idx, kRecordMeta)) {
        // A returned record becomes the map of its bins.
        auto* ctx = *static_cast<RecordContext**>(lua_touserdata(L, idx));
        std::vector<std::pair<Value, Value>> entries;
        for (const auto& b : ctx->record.bins) entries.emplace_back(Value::String(b.name), b.value);
        return Value::Map(record::EncodeMap(entries));
      }
      break;
    default:
      break;
  }
  return MakeError(ResultCode::kUdfError,
                   absl::StrCat("cannot convert a Lua ", luaL_typename(L, idx), " to a value"));
}

// --- the record API ------------------------------------------------------------------------------

RecordContext& Rec(lua_State* L, int idx) {
  return **static_cast<RecordContext**>(luaL_checkudata(L, idx, kRecordMeta));
}

int RecIndex(lua_State* L) {
  RecordContext& ctx = Rec(L, 1);
  const char* name = luaL_checkstring(L, 2);
  const record::Bin* b = ctx.record.Find(name);
  if (!b) {
    lua_pushnil(L);
  } else {
    PushValue(L, b->value, 0);
  }
  return 1;
}

int RecNewIndex(lua_State* L) {
  RecordContext& ctx = Rec(L, 1);
  size_t len;
  const char* name = luaL_checklstring(L, 2, &len);
  if (len == 0 || len > record::kMaxBinNameLength) luaL_error(L, "bin name must be 1-15 bytes");
  auto v = ToValue(L, 3, 0);
  if (!v.ok()) luaL_error(L, "%s", std::string(v.status().message()).c_str());
  ctx.record.Set(std::string_view(name, len), std::move(*v));
  return 0;
}

int RecGen(lua_State* L) {
  lua_pushinteger(L, Rec(L, 1).generation);
  return 1;
}

int RecTtl(lua_State* L) {
  RecordContext& ctx = Rec(L, 1);
  if (ctx.void_time == 0) {
    lua_pushinteger(L, -1);
  } else {
    int64_t left = static_cast<int64_t>(ctx.void_time) - base::NowEpochSeconds();
    lua_pushinteger(L, left > 0 ? left : 0);
  }
  return 1;
}

int RecVoidTime(lua_State* L) {
  lua_pushinteger(L, Rec(L, 1).void_time);
  return 1;
}

int RecSetTtl(lua_State* L) {
  Rec(L, 1).ttl = luaL_checkinteger(L, 2);
  return 0;
}

int RecDigest(lua_State* L) {
  const auto& d = Rec(L, 1).digest;
  PushBytes(L, std::string(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size()));
  return 1;
}

int RecKey(lua_State* L) {
  RecordContext& ctx = Rec(L, 1);
  if (ctx.record.key) {
    PushValue(L, *ctx.record.key, 0);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int RecSetName(lua_State* L) {
  RecordContext& ctx = Rec(L, 1);
  lua_pushlstring(L, ctx.set_name.data(), ctx.set_name.size());
  return 1;
}

int RecNumBins(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(Rec(L, 1).record.bins.size()));
  return 1;
}

int RecBinNames(lua_State* L) {
  RecordContext& ctx = Rec(L, 1);
  lua_createtable(L, static_cast<int>(ctx.record.bins.size()), 0);
  for (size_t i = 0; i < ctx.record.bins.size(); ++i) {
    lua_pushstring(L, ctx.record.bins[i].name.c_str());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  luaL_setmetatable(L, kListMeta);
  return 1;
}

int RecLastUpdate(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(Rec(L, 1).last_update_ms));
  return 1;
}

// aerospike:create(rec) etc. are called with the aerospike table as argument 1.
int AsCreate(lua_State* L) {
  RecordContext& ctx = Rec(L, 2);
  if (ctx.exists) {
    lua_pushinteger(L, static_cast<int>(ResultCode::kRecordExists));
    return 1;
  }
  ctx.action = RecordContext::Action::kWrite;
  ctx.exists = true;
  lua_pushinteger(L, 0);
  return 1;
}

int AsUpdate(lua_State* L) {
  RecordContext& ctx = Rec(L, 2);
  ctx.action = RecordContext::Action::kWrite;
  ctx.exists = true;
  lua_pushinteger(L, 0);
  return 1;
}

int AsExists(lua_State* L) {
  lua_pushboolean(L, Rec(L, 2).exists);
  return 1;
}

int AsRemove(lua_State* L) {
  RecordContext& ctx = Rec(L, 2);
  ctx.action = RecordContext::Action::kRemove;
  ctx.exists = false;
  ctx.record.bins.clear();
  lua_pushinteger(L, 0);
  return 1;
}

// --- list, map, bytes ----------------------------------------------------------------------------

int ListNew(lua_State* L) {  // list([table]) / list.create()
  lua_newtable(L);
  if (lua_istable(L, 2)) {
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 2));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, 2, i);
      lua_rawseti(L, -2, i);
    }
  }
  luaL_setmetatable(L, kListMeta);
  return 1;
}

int ListSize(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, 1)));
  return 1;
}

int ListAppend(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, 2);
  lua_rawseti(L, 1, static_cast<lua_Integer>(lua_rawlen(L, 1) + 1));
  return 0;
}

int ListPrepend(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 1));
  for (lua_Integer i = n; i >= 1; --i) {
    lua_rawgeti(L, 1, i);
    lua_rawseti(L, 1, i + 1);
  }
  lua_pushvalue(L, 2);
  lua_rawseti(L, 1, 1);
  return 0;
}

int ListIterator(lua_State* L) {  // for v in list.iterator(l)
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  lua_pushcclosure(
      L,
      [](lua_State* L) -> int {
        lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
        lua_pushinteger(L, i);
        lua_replace(L, lua_upvalueindex(2));
        lua_rawgeti(L, lua_upvalueindex(1), i);
        return 1;
      },
      2);
  return 1;
}

int MapNew(lua_State* L) {  // map([table]) / map.create()
  lua_newtable(L);
  if (lua_istable(L, 2)) {
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
  }
  luaL_setmetatable(L, kMapMeta);
  return 1;
}

int MapSize(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    ++n;
  }
  lua_pushinteger(L, n);
  return 1;
}

int MapPairs(lua_State* L) {  // for k, v in map.pairs(m)
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getglobal(L, "next");
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int BytesNew(lua_State* L) {  // bytes(n): n zero bytes
  lua_Integer n = luaL_optinteger(L, 2, 0);
  if (n < 0 || n > (1 << 24)) luaL_error(L, "bytes size out of range");
  PushBytes(L, std::string(static_cast<size_t>(n), '\0'));
  return 1;
}

int BytesSize(lua_State* L) {
  auto* b = static_cast<std::string*>(luaL_checkudata(L, 1, kBytesMeta));
  lua_pushinteger(L, static_cast<lua_Integer>(b->size()));
  return 1;
}

int BytesGc(lua_State* L) {
  static_cast<std::string*>(luaL_checkudata(L, 1, kBytesMeta))->~basic_string();
  return 0;
}

int BytesIndex(lua_State* L) {  // b[i]: the i-th byte (1-based)
  auto* b = static_cast<std::string*>(luaL_checkudata(L, 1, kBytesMeta));
  lua_Integer i = luaL_checkinteger(L, 2);
  if (i < 1 || i > static_cast<lua_Integer>(b->size())) {
    lua_pushnil(L);
  } else {
    lua_pushinteger(L, static_cast<uint8_t>((*b)[static_cast<size_t>(i - 1)]));
  }
  return 1;
}

int BytesNewIndex(lua_State* L) {
  auto* b = static_cast<std::string*>(luaL_checkudata(L, 1, kBytesMeta));
  lua_Integer i = luaL_checkinteger(L, 2);
  lua_Integer v = luaL_checkinteger(L, 3);
  if (i < 1 || i > static_cast<lua_Integer>(b->size()) || v < 0 || v > 255)
    luaL_error(L, "bytes index or value out of range");
  (*b)[static_cast<size_t>(i - 1)] = static_cast<char>(v);
  return 0;
}

int Log(lua_State* L, spdlog::level::level_enum level) {
  // info(fmt, ...) formats like string.format.
  const int n = lua_gettop(L);
  lua_getglobal(L, "string");
  lua_getfield(L, -1, "format");
  for (int i = 1; i <= n; ++i) lua_pushvalue(L, i);
  if (lua_pcall(L, n, 1, 0) == LUA_OK) {
    base::Logger("udf")->log(level, "{}", lua_tostring(L, -1));
  }
  return 0;
}

// require(name): only registered modules.
int Require(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, kModulesKey);
  lua_getfield(L, -1, name);
  if (lua_isnil(L, -1)) luaL_error(L, "module '%s' is not registered", name);
  return 1;
}

void SetFuncs(lua_State* L, std::initializer_list<std::pair<const char*, lua_CFunction>> fns) {
  for (const auto& [name, fn] : fns) {
    lua_pushcfunction(L, fn);
    lua_setfield(L, -2, name);
  }
}

// A module table that is also callable as a constructor: list(...), map(...), bytes(...).
void CallableModule(lua_State* L, const char* name, lua_CFunction ctor,
                    std::initializer_list<std::pair<const char*, lua_CFunction>> fns) {
  lua_newtable(L);
  SetFuncs(L, fns);
  lua_newtable(L);
  lua_pushcfunction(L, ctor);
  lua_setfield(L, -2, "__call");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, name);
}

}  // namespace

LuaRuntime::LuaRuntime(const ModuleRegistry& modules, Limits limits)
    : modules_(modules), limits_(limits) {}

LuaRuntime::~LuaRuntime() = default;

std::unique_ptr<LuaRuntime::State> LuaRuntime::Acquire() {
  const uint64_t gen = modules_.generation();
  {
    std::lock_guard lock(mu_);
    while (!idle_.empty()) {
      std::unique_ptr<State> s = std::move(idle_.back());
      idle_.pop_back();
      if (s->generation == gen) return s;  // stale states (older module set) are dropped
    }
  }
  auto s = std::make_unique<State>();
  s->generation = gen;
  s->memory.limit = limits_.memory_bytes;
  lua_State* L = lua_newstate(CappedAlloc, &s->memory);
  s->L = L;
  Budget* budget = &s->budget;
  *static_cast<Budget**>(lua_getextraspace(L)) = budget;

  // Safe standard libraries only: no io, no debug, no package, os reduced below.
  for (auto [name, open] : std::initializer_list<std::pair<const char*, lua_CFunction>>{
           {LUA_GNAME, luaopen_base},
           {LUA_STRLIBNAME, luaopen_string},
           {LUA_TABLIBNAME, luaopen_table},
           {LUA_MATHLIBNAME, luaopen_math},
           {LUA_UTF8LIBNAME, luaopen_utf8},
           {LUA_COLIBNAME, luaopen_coroutine},
           {LUA_OSLIBNAME, luaopen_os}}) {
    luaL_requiref(L, name, open, 1);
    lua_pop(L, 1);
  }
  lua_pushglobaltable(L);
  for (const char* banned : {"dofile", "loadfile", "load", "collectgarbage"}) {
    lua_pushnil(L);
    lua_setfield(L, -2, banned);
  }
  lua_getfield(L, -1, "os");
  for (const char* banned :
       {"execute", "exit", "getenv", "remove", "rename", "tmpname", "setlocale"}) {
    lua_pushnil(L);
    lua_setfield(L, -2, banned);
  }
  lua_pop(L, 1);

  // Metatables.
  luaL_newmetatable(L, kRecordMeta);
  SetFuncs(L, {{"__index", RecIndex}, {"__newindex", RecNewIndex}});
  lua_pop(L, 1);
  luaL_newmetatable(L, kBytesMeta);
  SetFuncs(L, {{"__index", BytesIndex},
               {"__newindex", BytesNewIndex},
               {"__len", BytesSize},
               {"__gc", BytesGc}});
  lua_pop(L, 1);
  luaL_newmetatable(L, kListMeta);
  lua_pop(L, 1);
  luaL_newmetatable(L, kMapMeta);
  lua_pop(L, 1);

  // The Aerospike Lua API.
  lua_newtable(L);
  SetFuncs(L, {{"gen", RecGen},
               {"ttl", RecTtl},
               {"void_time", RecVoidTime},
               {"set_ttl", RecSetTtl},
               {"digest", RecDigest},
               {"key", RecKey},
               {"setname", RecSetName},
               {"numbins", RecNumBins},
               {"bin_names", RecBinNames},
               {"last_update_time", RecLastUpdate}});
  lua_setfield(L, -2, "record");
  lua_newtable(L);
  SetFuncs(
      L, {{"create", AsCreate}, {"update", AsUpdate}, {"exists", AsExists}, {"remove", AsRemove}});
  lua_setfield(L, -2, "aerospike");
  CallableModule(L, "list", ListNew,
                 {{"create",
                   [](lua_State* L) {
                     lua_pushnil(L);
                     lua_insert(L, 1);
                     return ListNew(L);
                   }},
                  {"size", ListSize},
                  {"append", ListAppend},
                  {"prepend", ListPrepend},
                  {"iterator", ListIterator}});
  CallableModule(L, "map", MapNew,
                 {{"create",
                   [](lua_State* L) {
                     lua_pushnil(L);
                     lua_insert(L, 1);
                     return MapNew(L);
                   }},
                  {"size", MapSize},
                  {"pairs", MapPairs},
                  {"iterator", MapPairs}});
  CallableModule(L, "bytes", BytesNew, {{"size", BytesSize}});
  SetFuncs(L, {{"info", [](lua_State* L) { return Log(L, spdlog::level::info); }},
               {"warn", [](lua_State* L) { return Log(L, spdlog::level::warn); }},
               {"debug", [](lua_State* L) { return Log(L, spdlog::level::debug); }},
               {"trace", [](lua_State* L) { return Log(L, spdlog::level::trace); }},
               {"require", Require}});
  lua_pop(L, 1);  // the global table

  if (luaL_loadbufferx(L, kStreamPrelude, std::strlen(kStreamPrelude), "stream", "t") != LUA_OK ||
      lua_pcall(L, 0, 2, 0) != LUA_OK) {
    base::Logger("udf")->error("stream prelude: {}", lua_tostring(L, -1));
    lua_pop(L, 1);
  } else {
    lua_setfield(L, LUA_REGISTRYINDEX, kStreamRunKey);
    lua_setfield(L, LUA_REGISTRYINDEX, kStreamNewKey);
  }

  // Every module in its own environment, whose misses fall through to the sandbox globals.
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kModulesKey);
  for (const Module& m : modules_.List()) {
    lua_getfield(L, LUA_REGISTRYINDEX, kModulesKey);
    lua_newtable(L);  // env
    lua_newtable(L);  // env's metatable
    lua_pushglobaltable(L);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    if (luaL_loadbufferx(L, m.source.data(), m.source.size(), m.filename.c_str(), "t") != LUA_OK) {
      base::Logger("udf")->warn("module {} does not load: {}", m.filename, lua_tostring(L, -1));
      lua_pop(L, 3);
      continue;
    }
    lua_pushvalue(L, -2);
    lua_setupvalue(L, -2, 1);  // _ENV
    budget->left = limits_.instructions / kHookEvery + 1;
    lua_sethook(L, BudgetHook, LUA_MASKCOUNT, kHookEvery);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
      base::Logger("udf")->warn("module {} failed to run: {}", m.filename, lua_tostring(L, -1));
      lua_pop(L, 3);
      continue;
    }
    lua_setfield(L, -2, m.name.c_str());
    lua_pop(L, 1);
  }
  return s;
}

void LuaRuntime::Release(std::unique_ptr<State> s) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 64) idle_.push_back(std::move(s));
}

namespace {

// Pushes module.function; an error message when either is missing.
std::optional<std::string> PushFunction(lua_State* L, std::string_view module,
                                        std::string_view function) {
  lua_getfield(L, LUA_REGISTRYINDEX, kModulesKey);
  lua_getfield(L, -1, std::string(module).c_str());
  if (!lua_istable(L, -1)) return absl::StrCat("module '", base::Absl(module), "' not found");
  lua_getfield(L, -1, std::string(function).c_str());
  if (!lua_isfunction(L, -1)) {
    return absl::StrCat("function '", base::Absl(function), "' not found in module '",
                        base::Absl(module), "'");
  }
  return std::nullopt;
}

// Pushes the arguments, protected (converting one can raise a Lua error); false on error,
// with the message on the stack.
bool PushArgs(lua_State* L, std::span<const Value> args) {
  for (const Value& a : args) {
    lua_pushcfunction(L, [](lua_State* L) {
      PushValue(L, *static_cast<const Value*>(lua_touserdata(L, 1)), 0);
      return 1;
    });
    lua_pushlightuserdata(L, const_cast<Value*>(&a));
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) return false;
  }
  return true;
}

// What a stream pulls from: records `next` fills in, or (merging) the nodes' values.
struct StreamSource {
  absl::FunctionRef<bool(RecordContext&)> next;
  RecordContext ctx;
  Budget* budget;
  uint64_t per_record;
  std::span<const Value> partials;
  bool final = false;
  size_t pos = 0;
};

struct StreamSink {
  absl::FunctionRef<void(Value)> emit;
};

}  // namespace

absl::Status LuaRuntime::Aggregate(std::string_view module, std::string_view function,
                                   std::span<const Value> args,
                                   absl::FunctionRef<bool(RecordContext&)> next,
                                   absl::FunctionRef<void(Value)> emit) {
  return RunStream(module, function, args, next, {}, false, emit);
}

absl::Status LuaRuntime::MergeAggregates(std::string_view module, std::string_view function,
                                         std::span<const Value> args,
                                         std::span<const Value> partials,
                                         absl::FunctionRef<void(Value)> emit) {
  return RunStream(
      module, function, args, [](RecordContext&) { return false; }, partials, true, emit);
}

absl::Status LuaRuntime::RunStream(std::string_view module, std::string_view function,
                                   std::span<const Value> args,
                                   absl::FunctionRef<bool(RecordContext&)> next,
                                   std::span<const Value> partials, bool final,
                                   absl::FunctionRef<void(Value)> emit) {
  std::unique_ptr<State> s = Acquire();
  lua_State* L = s->L;
  const int top = lua_gettop(L);
  auto done = [&](absl::Status st) {
    lua_sethook(L, nullptr, 0, 0);
    lua_settop(L, top);
    Release(std::move(s));
    return st;
  };
  auto fail = [&](std::string message) { return done(MakeError(ResultCode::kUdfError, message)); };
  lua_getfield(L, LUA_REGISTRYINDEX, kStreamRunKey);
  const int run = lua_gettop(L);
  if (auto missing = PushFunction(L, module, function)) return fail(*missing);
  lua_getfield(L, LUA_REGISTRYINDEX, kStreamNewKey);
  lua_call(L, 0, 1);  // the stream the function builds on
  if (!PushArgs(L, args)) return fail(lua_tostring(L, -1));
  Budget* budget = &s->budget;
  const uint64_t per_call = limits_.instructions / kHookEvery + 1;
  budget->left = per_call;
  lua_sethook(L, BudgetHook, LUA_MASKCOUNT, kHookEvery);
  if (lua_pcall(L, 1 + static_cast<int>(args.size()), 1, 0) != LUA_OK)
    return fail(lua_tostring(L, -1));
  // run(stream, src, emit, final): every item pulled refills the budget, so the limit is per
  // record (or per node value).
  lua_pushvalue(L, run);
  lua_insert(L, -2);
  StreamSource source{next, {}, budget, per_call, partials, final};
  lua_pushlightuserdata(L, &source);
  lua_pushcclosure(
      L,
      [](lua_State* L) {
        auto* src = static_cast<StreamSource*>(lua_touserdata(L, lua_upvalueindex(1)));
        if (src->final) {
          if (src->pos == src->partials.size()) return 0;
          src->budget->left = src->per_record;
          PushValue(L, src->partials[src->pos++], 0);
          return 1;
        }
        src->ctx = RecordContext{};
        if (!src->next(src->ctx)) return 0;
        src->budget->left = src->per_record;
        auto** box = static_cast<RecordContext**>(lua_newuserdatauv(L, sizeof(RecordContext*), 0));
        *box = &src->ctx;
        luaL_setmetatable(L, kRecordMeta);
        return 1;
      },
      1);
  StreamSink sink{emit};
  lua_pushlightuserdata(L, &sink);
  lua_pushcclosure(
      L,
      [](lua_State* L) {
        auto* sink = static_cast<StreamSink*>(lua_touserdata(L, lua_upvalueindex(1)));
        auto v = ToValue(L, 1, 0);
        if (!v.ok()) luaL_error(L, "%s", std::string(v.status().message()).c_str());
        sink->emit(std::move(*v));
        return 0;
      },
      1);
  lua_pushboolean(L, final);
  if (lua_pcall(L, 4, 0, 0) != LUA_OK) {
    return fail(lua_isstring(L, -1) ? lua_tostring(L, -1) : "stream UDF failed");
  }
  return done(absl::OkStatus());
}

absl::StatusOr<Value> LuaRuntime::CallRecordUdf(std::string_view module, std::string_view function,
                                                std::span<const Value> args, RecordContext& ctx) {
  std::unique_ptr<State> s = Acquire();
  lua_State* L = s->L;
  const int top = lua_gettop(L);
  auto fail = [&](std::string message) {
    lua_settop(L, top);
    Release(std::move(s));
    return MakeError(ResultCode::kUdfError, message);
  };
  if (auto missing = PushFunction(L, module, function)) return fail(*missing);
  auto** box = static_cast<RecordContext**>(lua_newuserdatauv(L, sizeof(RecordContext*), 0));
  *box = &ctx;
  luaL_setmetatable(L, kRecordMeta);
  if (!PushArgs(L, args)) return fail(lua_tostring(L, -1));
  auto* budget = *static_cast<Budget**>(lua_getextraspace(L));
  budget->left = limits_.instructions / kHookEvery + 1;
  lua_sethook(L, BudgetHook, LUA_MASKCOUNT, kHookEvery);
  if (lua_pcall(L, 1 + static_cast<int>(args.size()), 1, 0) != LUA_OK) {
    std::string msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "UDF raised a non-string error";
    return fail(msg);
  }
  lua_sethook(L, nullptr, 0, 0);
  auto result = ToValue(L, lua_gettop(L), 0);
  lua_settop(L, top);
  Release(std::move(s));
  if (!result.ok()) return MakeError(ResultCode::kUdfError, base::Std(result.status().message()));
  return result;
}

}  // namespace tern::udf
