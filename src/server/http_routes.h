// flyteadmin's HTTP routes, read from the `google.api.http` rules in the
// services' generated descriptors (never a table of our own): a verb and a
// path such as GET /api/v1/executions/{id.project}/{id.domain}/{id.name}
// name an RPC, and where in its request message each path variable, query
// parameter and body goes — grpc-gateway's mapping.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "flytecpp/util/status.h"

namespace flytecpp::server {

class HttpRoutes {
 public:
  // The routes of every method of `services` that has an HTTP rule
  // (additional bindings included).
  explicit HttpRoutes(const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  // A request matched to its RPC, with the request message filled from the
  // path and query (the body is the caller's to merge: see `body_is_request`).
  struct Call {
    const google::protobuf::MethodDescriptor* method = nullptr;
    std::unique_ptr<google::protobuf::Message> request;
    bool body_is_request = false;   // body: "*"
    std::string grpc_path() const;  // "/flyteidl.service.AdminService/GetExecution"
  };

  // `raw_path`: the path as sent (percent-encoded; a segment may hold an
  // encoded '/'). NotFound when no route has this verb and path;
  // InvalidArgument naming the parameter when a value does not fit its field.
  Result<Call> Match(const std::string& verb, const std::string& raw_path,
                     const std::multimap<std::string, std::string>& query) const;

  size_t size() const { return routes_.size(); }

 private:
  struct Segment {
    std::string literal;             // when not a variable
    std::vector<std::string> field;  // a variable: its field path, e.g. {"id", "project"}
  };
  struct Route {
    std::string verb;
    std::vector<Segment> segments;
    int literals = 0;  // more literal segments win over variables
    const google::protobuf::MethodDescriptor* method = nullptr;
    bool body_is_request = false;
  };
  void Add(const std::string& verb, const std::string& path,
           const google::protobuf::MethodDescriptor* method, const std::string& body);

  std::vector<Route> routes_;  // most literal first
};

// Sets the field at dotted `path` in `message` from its text form (numbers,
// booleans, enum names or numbers; repeated fields get one more element).
// InvalidArgument naming `path` when there is no such field or the text does
// not fit it.
Status SetFieldFromText(google::protobuf::Message& message, const std::string& path,
                        const std::string& text);

}  // namespace flytecpp::server
