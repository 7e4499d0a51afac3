// How lists page and filter, as flyteadmin's do. Paging: `limit` rows from
// the offset an opaque `token` carries (flyteadmin's is the decimal offset;
// empty = the first page). Filters: `eq(phase,SUCCEEDED)+gte(created_at,2024-01-01T00:00:00Z)`
// — predicates joined by '+', each op(field,value) with ops eq, ne, gt, gte,
// lt, lte, contains and value_in (values separated by ';'). A field may carry
// its entity's prefix (`execution.phase`), as flytectl writes them; another
// entity's (`workflow.name` on executions) names a related field.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/util/status.h"

namespace flytecpp::admin {

// The offset `token` carries; InvalidArgument for a token no list gave out.
Result<size_t> PageOffset(const std::string& token);

struct Predicate {
  std::string op, field;
  std::vector<std::string> values;
};

// InvalidArgument naming the part that does not parse or the unknown op.
Result<std::vector<Predicate>> ParseFilters(const std::string& text);

// A row's field as filters see it: text, and for times a number
// (nanoseconds; the filter's value is then an RFC 3339 time).
struct FieldValue {
  std::string text;
  std::optional<int64_t> time_ns;
};
// `field` without the prefix of one of `entities` (the list's own), else as is:
// OwnField("execution.phase", {"execution"}) == "phase".
std::string OwnField(const std::string& field, std::initializer_list<const char*> entities);

// nullopt: the list has no such field.
using FieldOf = std::function<std::optional<FieldValue>(const std::string& field)>;

// Whether a row passes every predicate. A field the list does not have is
// InvalidArgument naming it.
Result<bool> Matches(const std::vector<Predicate>& predicates, const FieldOf& field_of);

}  // namespace flytecpp::admin
