#include "udf/module_registry.h"

#include <openssl/sha.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/result_code.h"
#include "lua.hpp"

namespace tern::udf {

using base::MakeError;
using base::ResultCode;

namespace {

std::string Sha1Hex(std::string_view data) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// Lua messages look like `[string "mod.lua"]:3: unexpected symbol near 'x'`.
CompileError ParseLuaError(std::string_view filename, std::string_view message) {
  CompileError e{std::string(filename), 0, std::string(message)};
  size_t close = message.find("]:");
  if (close != std::string_view::npos) {
    e.line = std::atoi(std::string(message.substr(close + 2)).c_str());
  }
  return e;
}

}  // namespace

ModuleRegistry::ModuleRegistry(smd::MetadataStore& store) : store_(store) {}

bool ModuleRegistry::ValidFilename(std::string_view f) {
  size_t dot = f.rfind('.');
  return !f.empty() && f.size() <= 128 && dot != std::string_view::npos && dot != 0 &&
         dot != f.size() - 1 && f.find('/') == std::string_view::npos && f.front() != '.';
}

std::string ModuleRegistry::ModuleName(std::string_view filename) {
  size_t dot = filename.rfind('.');
  return std::string(dot == std::string_view::npos ? filename : filename.substr(0, dot));
}

absl::Status ModuleRegistry::Put(std::string_view filename, std::string_view source,
                                 CompileError* error) {
  if (!ValidFilename(filename))
    return MakeError(ResultCode::kParameterError, "invalid module file name");
  // Compile (not run) in a scratch state: a module that does not compile is never stored.
  lua_State* L = luaL_newstate();
  int rc = luaL_loadbufferx(L, source.data(), source.size(), std::string(filename).c_str(), "t");
  if (rc != LUA_OK) {
    *error = ParseLuaError(filename, lua_tostring(L, -1));
    lua_close(L);
    return MakeError(ResultCode::kUdfError, error->message);
  }
  lua_close(L);
  return store_.Set("udf", filename, source);
}

absl::Status ModuleRegistry::Remove(std::string_view filename) {
  return store_.Remove("udf", filename);
}

std::optional<Module> ModuleRegistry::Get(std::string_view filename) const {
  auto item = store_.Get("udf", filename);
  if (!item) return std::nullopt;
  return Module{item->key, ModuleName(item->key), item->value, Sha1Hex(item->value)};
}

std::vector<Module> ModuleRegistry::List() const {
  std::vector<Module> out;
  for (const auto& item : store_.List("udf")) {
    out.push_back(Module{item.key, ModuleName(item.key), item.value, Sha1Hex(item.value)});
  }
  return out;
}

}  // namespace tern::udf
