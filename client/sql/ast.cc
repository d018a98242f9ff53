#include "sql/ast.h"

#include <type_traits>

namespace tern::sql {

std::string_view StatementName(const StatementBody& body) {
  return std::visit(
      [](const auto& s) -> std::string_view {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, Insert>)
          return "INSERT";
        else if constexpr (std::is_same_v<T, Select>)
          return "SELECT";
        else if constexpr (std::is_same_v<T, Delete>)
          return "DELETE";
        else if constexpr (std::is_same_v<T, CreateIndex>)
          return "CREATE INDEX";
        else if constexpr (std::is_same_v<T, DropIndex>)
          return "DROP INDEX";
        else if constexpr (std::is_same_v<T, RegisterModule>)
          return "REGISTER MODULE";
        else if constexpr (std::is_same_v<T, RemoveModule>)
          return "REMOVE MODULE";
        else if constexpr (std::is_same_v<T, Execute>)
          return "EXECUTE";
        else if constexpr (std::is_same_v<T, Aggregate>)
          return "AGGREGATE";
        else if constexpr (std::is_same_v<T, Show>)
          return "SHOW";
        else {
          static_assert(std::is_same_v<T, Truncate>);
          return "TRUNCATE";
        }
      },
      body);
}

}  // namespace tern::sql
