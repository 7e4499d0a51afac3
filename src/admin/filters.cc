#include "filters.h"

#include <google/protobuf/util/time_util.h>

#include <regex>
#include <set>

namespace flytecpp::admin {

Result<size_t> PageOffset(const std::string& token) {
  if (token.empty()) return size_t{0};
  size_t offset = 0;
  for (char c : token) {
    if (c < '0' || c > '9' || offset > (size_t{1} << 40)) {
      return InvalidArgument("invalid token \"" + token + "\"");
    }
    offset = offset * 10 + static_cast<size_t>(c - '0');
  }
  return offset;
}

Result<std::vector<Predicate>> ParseFilters(const std::string& text) {
  static const std::regex kPredicate(R"(^\s*([a-z_]+)\(\s*([A-Za-z_.]+)\s*,(.*)\)\s*$)");
  static const std::set<std::string> kOps = {"eq", "ne",  "gt",       "gte",
                                             "lt", "lte", "contains", "value_in"};
  std::vector<Predicate> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (start <= text.size()) {
    // '+' joins predicates; inside parentheses it is part of a value (a time zone).
    size_t end = start;
    int depth = 0;
    while (end < text.size() && !(text[end] == '+' && depth == 0)) {
      if (text[end] == '(') ++depth;
      if (text[end] == ')') --depth;
      ++end;
    }
    const std::string part = text.substr(start, end - start);
    std::smatch m;
    if (!std::regex_match(part, m, kPredicate)) {
      return InvalidArgument("filters: \"" + part + "\" is not op(field,value)");
    }
    Predicate p{m[1].str(), m[2].str(), {}};
    if (!kOps.count(p.op)) {
      return InvalidArgument("filters: unknown operation \"" + p.op +
                             "\" (eq, ne, gt, gte, lt, lte, contains, value_in)");
    }
    std::string values = m[3].str();
    if (p.op == "value_in") {
      size_t from = 0;
      for (size_t semi; (semi = values.find(';', from)) != std::string::npos; from = semi + 1) {
        p.values.push_back(values.substr(from, semi - from));
      }
      p.values.push_back(values.substr(from));
    } else {
      p.values.push_back(values);
    }
    out.push_back(std::move(p));
    start = end + 1;
  }
  return out;
}

std::string OwnField(const std::string& field, std::initializer_list<const char*> entities) {
  const size_t dot = field.find('.');
  if (dot == std::string::npos) return field;
  for (const char* e : entities) {
    if (field.compare(0, dot, e) == 0) return field.substr(dot + 1);
  }
  return field;
}

Result<bool> Matches(const std::vector<Predicate>& predicates, const FieldOf& field_of) {
  for (const Predicate& p : predicates) {
    const std::optional<FieldValue> v = field_of(p.field);
    if (!v) return InvalidArgument("filters: cannot filter on \"" + p.field + "\"");
    bool pass = false;
    for (const std::string& want : p.values) {
      int cmp = 0;
      if (v->time_ns) {
        google::protobuf::Timestamp t;
        if (!google::protobuf::util::TimeUtil::FromString(want, &t)) {
          return InvalidArgument("filters: " + p.field + ": \"" + want +
                                 "\" is not an RFC 3339 time");
        }
        const int64_t w = google::protobuf::util::TimeUtil::TimestampToNanoseconds(t);
        cmp = *v->time_ns < w ? -1 : *v->time_ns > w ? 1 : 0;
      } else {
        cmp = v->text.compare(want);
      }
      if (p.op == "eq" || p.op == "value_in") pass = pass || cmp == 0;
      if (p.op == "ne") pass = cmp != 0;
      if (p.op == "gt") pass = cmp > 0;
      if (p.op == "gte") pass = cmp >= 0;
      if (p.op == "lt") pass = cmp < 0;
      if (p.op == "lte") pass = cmp <= 0;
      if (p.op == "contains") pass = v->text.find(want) != std::string::npos;
    }
    if (!pass) return false;
  }
  return true;
}

}  // namespace flytecpp::admin
