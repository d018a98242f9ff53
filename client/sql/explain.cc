#include "sql/explain.h"

#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "record/collection.h"

namespace tern::sql {
namespace {

using base::Absl;

const std::optional<Predicate>* WhereOf(const StatementBody& body) {
  if (const auto* sel = std::get_if<Select>(&body)) return &sel->where;
  if (const auto* agg = std::get_if<Aggregate>(&body)) return &agg->where;
  return nullptr;
}

IndexCollection InOf(const StatementBody& body) {
  if (const auto* sel = std::get_if<Select>(&body)) return sel->in;
  if (const auto* agg = std::get_if<Aggregate>(&body)) return agg->in;
  return IndexCollection::kNone;
}

const Target* TargetOf(const StatementBody& body) {
  return std::visit(
      [](const auto& s) -> const Target* {
        if constexpr (requires { s.target; }) {
          return &s.target;
        } else {
          return nullptr;
        }
      },
      body);
}

// Values as the CLI prints them: JSON.
std::string ValueText(const Value& v) {
  return record::ValueToJson(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TargetText(const Target& t) {
  return t.set.empty() ? t.ns : absl::StrCat(t.ns, ".", t.set);
}

}  // namespace

Plan Explain(const Statement& statement) {
  const StatementBody& body = statement.body;
  if (std::holds_alternative<Insert>(body) || std::holds_alternative<Delete>(body)) {
    return Plan::kPrimaryKeyLookup;
  }
  if (const auto* exec = std::get_if<Execute>(&body)) {
    return exec->key ? Plan::kPrimaryKeyLookup : Plan::kScan;
  }
  if (const auto* where = WhereOf(body)) {
    if (!where->has_value()) return Plan::kScan;
    return std::holds_alternative<PrimaryKeyEquals>(**where) ? Plan::kPrimaryKeyLookup
                                                             : Plan::kIndexQuery;
  }
  return Plan::kMetadata;
}

std::string_view PlanName(Plan plan) {
  switch (plan) {
    case Plan::kPrimaryKeyLookup:
      return "primary-key lookup";
    case Plan::kIndexQuery:
      return "index query";
    case Plan::kScan:
      return "scan";
    case Plan::kMetadata:
      return "metadata";
  }
  return "unknown";
}

std::string DescribePlan(const Statement& statement) {
  const StatementBody& body = statement.body;
  Plan plan = Explain(statement);
  std::string out = absl::StrCat(Absl(StatementName(body)), ": ", Absl(PlanName(plan)));
  const Target* target = TargetOf(body);
  if (target != nullptr && !target->ns.empty()) absl::StrAppend(&out, " on ", TargetText(*target));
  if (plan == Plan::kPrimaryKeyLookup) {
    const Value* key = nullptr;
    if (const auto* ins = std::get_if<Insert>(&body); ins && ins->key) key = &*ins->key;
    if (const auto* del = std::get_if<Delete>(&body)) key = &del->key;
    if (const auto* exec = std::get_if<Execute>(&body); exec && exec->key) key = &*exec->key;
    if (const auto* where = WhereOf(body); where && where->has_value()) {
      key = &std::get<PrimaryKeyEquals>(**where).key;
    }
    if (key != nullptr) absl::StrAppend(&out, ", PK = ", ValueText(*key));
  } else if (plan == Plan::kIndexQuery) {
    switch (InOf(body)) {
      case IndexCollection::kNone:
        break;
      case IndexCollection::kList:
        absl::StrAppend(&out, ", LIST index");
        break;
      case IndexCollection::kMapKeys:
        absl::StrAppend(&out, ", MAPKEYS index");
        break;
      case IndexCollection::kMapValues:
        absl::StrAppend(&out, ", MAPVALUES index");
        break;
    }
    const Predicate& p = **WhereOf(body);
    if (const auto* eq = std::get_if<BinEquals>(&p)) {
      absl::StrAppend(&out, ", bin '", eq->bin, "' = ", ValueText(eq->value));
    } else if (const auto* geo = std::get_if<BinGeo>(&p)) {
      absl::StrAppend(&out, ", bin '", geo->bin, "' ", geo->contains ? "CONTAINS " : "WITHIN ",
                      ValueText(geo->shape));
    } else {
      const auto& range = std::get<BinBetween>(p);
      absl::StrAppend(&out, ", bin '", range.bin, "' BETWEEN ", ValueText(range.low), " AND ",
                      ValueText(range.high));
    }
  }
  return out;
}

}  // namespace tern::sql
