#include "http_routes.h"

#include <google/protobuf/dynamic_message.h>
#include <httplib.h>

#include <algorithm>
#include <charconv>

#include "google/api/annotations.pb.h"

namespace flytecpp::server {

namespace pb = google::protobuf;

namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;  // past the leading '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::vector<std::string> SplitDots(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find('.', start);
    parts.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  const char* end = text.data() + text.size();
  if constexpr (std::is_floating_point_v<T>) {
    try {
      size_t used = 0;
      *out = static_cast<T>(std::stod(text, &used));
      return used == text.size();
    } catch (...) {
      return false;
    }
  } else {
    auto [ptr, ec] = std::from_chars(text.data(), end, *out);
    return ec == std::errc() && ptr == end;
  }
}

}  // namespace

std::string HttpRoutes::Call::grpc_path() const {
  return "/" + method->service()->full_name() + "/" + method->name();
}

HttpRoutes::HttpRoutes(const std::vector<const pb::ServiceDescriptor*>& services) {
  for (const pb::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules = {&rule};
      for (const auto& more : rule.additional_bindings()) rules.push_back(&more);
      for (const google::api::HttpRule* r : rules) {
        switch (r->pattern_case()) {
          case google::api::HttpRule::kGet: Add("GET", r->get(), method, r->body()); break;
          case google::api::HttpRule::kPut: Add("PUT", r->put(), method, r->body()); break;
          case google::api::HttpRule::kPost: Add("POST", r->post(), method, r->body()); break;
          case google::api::HttpRule::kDelete:
            Add("DELETE", r->delete_(), method, r->body());
            break;
          case google::api::HttpRule::kPatch: Add("PATCH", r->patch(), method, r->body()); break;
          default: break;  // custom verbs: flyteidl has none
        }
      }
    }
  }
  std::stable_sort(routes_.begin(), routes_.end(),
                   [](const Route& a, const Route& b) { return a.literals > b.literals; });
}

void HttpRoutes::Add(const std::string& verb, const std::string& path,
                     const pb::MethodDescriptor* method, const std::string& body) {
  Route route{verb, {}, 0, method, body == "*"};
  for (const std::string& part : SplitPath(path)) {
    if (part.size() > 2 && part.front() == '{' && part.back() == '}') {
      // {field.path} (a "{field=pattern}" form would keep its field only).
      std::string field = part.substr(1, part.size() - 2);
      field = field.substr(0, field.find('='));
      route.segments.push_back({"", SplitDots(field)});
    } else {
      route.segments.push_back({part, {}});
      ++route.literals;
    }
  }
  routes_.push_back(std::move(route));
}

Result<HttpRoutes::Call> HttpRoutes::Match(
    const std::string& verb, const std::string& raw_path,
    const std::multimap<std::string, std::string>& query) const {
  const std::vector<std::string> parts = SplitPath(raw_path);
  for (const Route& route : routes_) {
    if (route.verb != verb || route.segments.size() != parts.size()) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const Segment& s = route.segments[i];
      match = s.field.empty() ? s.literal == parts[i] : !parts[i].empty();
    }
    if (!match) continue;
    Call call;
    call.method = route.method;
    call.body_is_request = route.body_is_request;
    call.request.reset(
        pb::MessageFactory::generated_factory()->GetPrototype(route.method->input_type())->New());
    for (size_t i = 0; i < parts.size(); ++i) {
      const Segment& s = route.segments[i];
      if (s.field.empty()) continue;
      std::string dotted;
      for (const auto& f : s.field) dotted += (dotted.empty() ? "" : ".") + f;
      FLYTECPP_RETURN_IF_ERROR(
          SetFieldFromText(*call.request, dotted, httplib::detail::decode_url(parts[i], false)));
    }
    // Query parameters fill the rest (grpc-gateway: every field not bound
    // by the path or body), e.g. ?limit=10&sort_by.key=created_at.
    if (!route.body_is_request) {
      for (const auto& [name, value] : query) {
        FLYTECPP_RETURN_IF_ERROR(SetFieldFromText(*call.request, name, value));
      }
    }
    return call;
  }
  return NotFound(verb + " " + raw_path + ": no such route in the FlyteAdmin API");
}

Status SetFieldFromText(pb::Message& message, const std::string& path, const std::string& text) {
  pb::Message* m = &message;
  const std::vector<std::string> names = SplitDots(path);
  const auto bad = [&](const std::string& why) {
    return InvalidArgument("parameter '" + path + "': " + why);
  };
  for (size_t i = 0; i < names.size(); ++i) {
    const pb::FieldDescriptor* field = m->GetDescriptor()->FindFieldByName(names[i]);
    if (field == nullptr) field = m->GetDescriptor()->FindFieldByCamelcaseName(names[i]);
    if (field == nullptr) {
      return bad("no field '" + names[i] + "' in " + m->GetDescriptor()->full_name());
    }
    const pb::Reflection* r = m->GetReflection();
    if (i + 1 < names.size()) {
      if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) {
        return bad("'" + names[i] + "' is not a message");
      }
      m = r->MutableMessage(m, field);
      continue;
    }
    const bool rep = field->is_repeated();
    switch (field->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
        if (field->type() == pb::FieldDescriptor::TYPE_BYTES) {
          return bad("bytes cannot be given in a path or query");
        }
        rep ? r->AddString(m, field, text) : r->SetString(m, field, text);
        return Status::Ok();
#define FLYTECPP_NUMBER(CPPTYPE, T, Name)                                                 \
  case pb::FieldDescriptor::CPPTYPE: {                                                    \
    T v{};                                                                                \
    if (!ParseNumber(text, &v)) return bad("'" + text + "' is not a number of its type"); \
    rep ? r->Add##Name(m, field, v) : r->Set##Name(m, field, v);                          \
    return Status::Ok();                                                                  \
  }
        FLYTECPP_NUMBER(CPPTYPE_INT32, int32_t, Int32)
        FLYTECPP_NUMBER(CPPTYPE_INT64, int64_t, Int64)
        FLYTECPP_NUMBER(CPPTYPE_UINT32, uint32_t, UInt32)
        FLYTECPP_NUMBER(CPPTYPE_UINT64, uint64_t, UInt64)
        FLYTECPP_NUMBER(CPPTYPE_DOUBLE, double, Double)
        FLYTECPP_NUMBER(CPPTYPE_FLOAT, float, Float)
#undef FLYTECPP_NUMBER
      case pb::FieldDescriptor::CPPTYPE_BOOL: {
        if (text != "true" && text != "false") return bad("'" + text + "' is not true or false");
        rep ? r->AddBool(m, field, text == "true") : r->SetBool(m, field, text == "true");
        return Status::Ok();
      }
      case pb::FieldDescriptor::CPPTYPE_ENUM: {
        const pb::EnumValueDescriptor* value = field->enum_type()->FindValueByName(text);
        int number = 0;
        if (value == nullptr && ParseNumber(text, &number)) {
          value = field->enum_type()->FindValueByNumber(number);
        }
        if (value == nullptr) {
          return bad("'" + text + "' is not a value of " + field->enum_type()->full_name());
        }
        rep ? r->AddEnum(m, field, value) : r->SetEnum(m, field, value);
        return Status::Ok();
      }
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        return bad("a message cannot be given as text; name one of its fields");
    }
  }
  return bad("empty");
}

}  // namespace flytecpp::server
