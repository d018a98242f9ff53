// The registered UDF modules: Lua sources that compiled, kept in system metadata (module
// "udf", key = file name) so every node and every restart has the same set. A change bumps
// generation(), which tells the Lua state pools to reload.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "smd/metadata_store.h"

namespace tern::udf {

struct Module {
  std::string filename;  // "mod.lua"
  std::string name;      // "mod": what UDF calls name
  std::string source;
  std::string hash;  // SHA-1 of the source, hex: what udf-list reports
};

// A compile error, as the info protocol reports it.
struct CompileError {
  std::string file;
  int line = 0;
  std::string message;
};

class ModuleRegistry {
 public:
  explicit ModuleRegistry(smd::MetadataStore& store);

  // Registers or replaces a module. Invalid names → kParameterError; a module that does not
  // compile is refused whole with the Lua message in *error (and kUdfError).
  absl::Status Put(std::string_view filename, std::string_view source, CompileError* error);
  // Removing a module that does not exist is not an error (clients rely on it).
  absl::Status Remove(std::string_view filename);
  std::optional<Module> Get(std::string_view filename) const;
  std::vector<Module> List() const;
  uint64_t generation() const { return store_.Version("udf"); }

  // True for "x.y" names: a dot that is neither first nor last, no '/'.
  static bool ValidFilename(std::string_view filename);
  static std::string ModuleName(std::string_view filename);

 private:
  smd::MetadataStore& store_;
};

}  // namespace tern::udf
