// The server's HTTP face: flyteadmin's /api/v1 paths (http_routes.h), with
// JSON bodies in the proto3 JSON mapping, or binary protobuf when the client
// says `application/octet-stream` (as FlyteConsole does). Every request
// becomes the gRPC call its route names, made over the server's in-process
// channel: the same handlers, bearer-token check and size bound as gRPC.
// Also serves the task logs that TaskExecution closures link to (followed
// live with ?follow=true), the web console at / (assets embedded at build
// time), the console's live change notices at /events (server-sent
// events), and the data proxy's signed upload and download URLs.
#pragma once

#include <grpcpp/channel.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "change_feed.h"
#include "data_proxy.h"
#include "executions.h"
#include "flytecpp/util/status.h"

namespace flytecpp::server {

struct HttpGatewayOptions {
  std::string address;  // host:port; port 0 picks a free one
  std::string tls_cert_pem, tls_key_pem;
  int64_t max_body_bytes = 64 << 20;
  std::shared_ptr<grpc::Channel> channel;  // to the gRPC services, in process
  // GET /logs/<rest>: the file `rest` names (Executions::LogFile), after the
  // `authorized` check of the request's Authorization header.
  std::function<Result<std::filesystem::path>(const std::string& rest)> log_file;
  // Whether the attempt `rest` names has ended: a followed log ends then.
  std::function<Result<bool>(const std::string& rest)> log_finished;
  // GET /blobs?uri=: the data a URI names (Executions::Blob).
  std::function<Result<admin::BlobData>(const std::string& uri)> blob;
  // PUT /dataproxy/upload/... and GET /dataproxy/download: the signed URLs
  // this data proxy hands out.
  admin::DataProxy* data = nullptr;
  // GET /schedules?project=&domain=: the schedules of active launch plans
  // (admin/schedules.h) as a JSON list (empty parameters: every one).
  std::function<Result<std::string>(const std::string& project, const std::string& domain)>
      schedules;
  // GET /events: the notices of this feed, one server-sent event each.
  ChangeFeed* feed = nullptr;
  std::function<bool(const std::string& authorization)> authorized;
};

class HttpGateway {
 public:
  // Binds and starts serving on a thread of its own. Errors: the address
  // (taken, not an address), the TLS key pair.
  static Result<std::unique_ptr<HttpGateway>> Start(HttpGatewayOptions options);
  ~HttpGateway();  // stops

  int port() const;
  void Shutdown();

 private:
  HttpGateway();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flytecpp::server
