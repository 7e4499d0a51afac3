#include "http_gateway.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <openssl/pem.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "console_assets.h"
#include "flyteidl/service/admin.grpc.pb.h"
#include "flyteidl/service/auth.grpc.pb.h"
#include "flyteidl/service/dataproxy.grpc.pb.h"
#include "flyteidl/service/signal.grpc.pb.h"
#include "grpc_status.h"
#include "http_routes.h"

namespace flytecpp::server {

namespace pb = google::protobuf;

namespace {

constexpr char kProtobuf[] = "application/octet-stream";
constexpr char kJson[] = "application/json";

// grpc-gateway's mapping of gRPC codes to HTTP statuses.
int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return 200;
    case grpc::StatusCode::CANCELLED: return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE: return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return 504;
    case grpc::StatusCode::NOT_FOUND: return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED: return 409;
    case grpc::StatusCode::PERMISSION_DENIED: return 403;
    case grpc::StatusCode::UNAUTHENTICATED: return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return 429;
    case grpc::StatusCode::UNIMPLEMENTED: return 501;
    case grpc::StatusCode::UNAVAILABLE: return 503;
    default: return 500;
  }
}

// An error as grpc-gateway writes it: {"code": <gRPC code>, "message": ..., "details": []}.
void SendError(httplib::Response& res, grpc::StatusCode code, const std::string& message) {
  pb::Value text;
  text.set_string_value(message);
  std::string quoted;
  (void)pb::util::MessageToJsonString(text, &quoted);
  res.status = HttpStatusOf(code);
  res.set_content("{\"code\":" + std::to_string(static_cast<int>(code)) + ",\"message\":" + quoted +
                      ",\"details\":[]}",
                  kJson);
}

bool WantsProtobuf(const std::string& header) {
  return header.find(kProtobuf) != std::string::npos;
}

// The path as sent, without its query: segments stay percent-encoded, so
// an encoded '/' inside a node id does not split it.
std::string RawPath(const httplib::Request& req) {
  return req.target.substr(0, req.target.find('?'));
}

Result<std::pair<X509*, EVP_PKEY*>> ParseKeyPair(const std::string& cert_pem,
                                                 const std::string& key_pem) {
  BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  if (cert == nullptr || key == nullptr) {
    X509_free(cert);
    EVP_PKEY_free(key);
    return InvalidArgument(cert == nullptr ? "--tls-cert: not a PEM certificate"
                                           : "--tls-key: not a PEM private key");
  }
  return std::pair{cert, key};
}

}  // namespace

struct HttpGateway::Impl {
  HttpGatewayOptions options;
  HttpRoutes routes{{
      pb::DescriptorPool::generated_pool()->FindServiceByName(
          flyteidl::service::AdminService::service_full_name()),
      pb::DescriptorPool::generated_pool()->FindServiceByName(
          flyteidl::service::SignalService::service_full_name()),
      pb::DescriptorPool::generated_pool()->FindServiceByName(
          flyteidl::service::DataProxyService::service_full_name()),
      pb::DescriptorPool::generated_pool()->FindServiceByName(
          flyteidl::service::AuthMetadataService::service_full_name()),
  }};
  std::unique_ptr<grpc::GenericStub> stub;
  std::unique_ptr<httplib::Server> http;
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopping{false};  // followed logs end

  void Handle(const httplib::Request& req, httplib::Response& res);
  void ServeLog(const httplib::Request& req, httplib::Response& res);
  void FollowLog(const std::string& rest, std::filesystem::path file, httplib::Response& res);
  bool SendLog(const std::string& rest, const std::filesystem::path& file, std::streamoff* sent,
               httplib::DataSink& sink);
  void ServeEvents(const httplib::Request& req, httplib::Response& res);
  void ServeBlob(const httplib::Request& req, httplib::Response& res);
  void SendBlob(const std::string& uri, httplib::Response& res);
  void ServeUpload(const httplib::Request& req, httplib::Response& res,
                   const httplib::ContentReader& read);
  void ServeDownload(const httplib::Request& req, httplib::Response& res);
  bool Authorized(const httplib::Request& req, httplib::Response& res);
};

bool HttpGateway::Impl::Authorized(const httplib::Request& req, httplib::Response& res) {
  if (options.authorized(req.get_header_value("Authorization"))) return true;
  SendError(res, grpc::StatusCode::UNAUTHENTICATED,
            "missing or wrong bearer token (header Authorization: Bearer <token>)");
  return false;
}

void HttpGateway::Impl::Handle(const httplib::Request& req, httplib::Response& res) {
  auto call = routes.Match(req.method, RawPath(req), req.params);
  if (!call.ok()) {
    SendError(res, admin::ToGrpc(call.status()).error_code(), call.status().message());
    return;
  }
  pb::Message& request = *call->request;
  if (call->body_is_request && !req.body.empty()) {
    // The body is the request; what the path says is merged over it.
    std::unique_ptr<pb::Message> body(request.New());
    if (WantsProtobuf(req.get_header_value("Content-Type"))) {
      if (!body->ParseFromString(req.body)) {
        SendError(res, grpc::StatusCode::INVALID_ARGUMENT,
                  "body: not a serialized " + request.GetDescriptor()->full_name());
        return;
      }
    } else if (auto st = pb::util::JsonStringToMessage(req.body, body.get()); !st.ok()) {
      SendError(res, grpc::StatusCode::INVALID_ARGUMENT,
                "body: not a " + request.GetDescriptor()->full_name() +
                    " in JSON: " + std::string(st.message()));
      return;
    }
    body->MergeFrom(request);
    request.GetReflection()->Swap(&request, body.get());
  }

  std::string bytes;
  request.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1), out;
  grpc::ClientContext context;
  if (req.has_header("Authorization")) {
    context.AddMetadata("authorization", req.get_header_value("Authorization"));
  }
  std::promise<grpc::Status> done;
  stub->UnaryCall(&context, call->grpc_path(), grpc::StubOptions(), &in, &out,
                  [&done](grpc::Status st) { done.set_value(std::move(st)); });
  const grpc::Status st = done.get_future().get();
  if (!st.ok()) {
    SendError(res, st.error_code(), st.error_message());
    return;
  }
  std::vector<grpc::Slice> slices;
  (void)out.Dump(&slices);
  std::string answer;
  for (const auto& s : slices) answer.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (WantsProtobuf(req.get_header_value("Accept"))) {
    res.set_content(answer, kProtobuf);
    return;
  }
  std::unique_ptr<pb::Message> response(
      pb::MessageFactory::generated_factory()->GetPrototype(call->method->output_type())->New());
  if (!response->ParseFromString(answer)) {
    SendError(res, grpc::StatusCode::INTERNAL, "unreadable answer from " + call->grpc_path());
    return;
  }
  pb::util::JsonPrintOptions json;
  // Proto field names, and fields at their defaults too (empty lists, phase
  // UNDEFINED): a client can tell "none" from "not answered".
  json.preserve_proto_field_names = true;
  json.always_print_primitive_fields = true;
  std::string text;
  (void)pb::util::MessageToJsonString(*response, &text, json);
  res.set_content(text, kJson);
}

void HttpGateway::Impl::ServeLog(const httplib::Request& req, httplib::Response& res) {
  if (!Authorized(req, res)) return;
  const std::string rest = RawPath(req).substr(std::string("/logs/").size());
  auto file = options.log_file(rest);
  if (!file.ok()) {
    SendError(res, admin::ToGrpc(file.status()).error_code(), file.status().message());
    return;
  }
  if (req.get_param_value("follow") == "true") {
    FollowLog(rest, std::move(file).value(), res);
    return;
  }
  std::ifstream in(*file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  res.set_content(text.str(), "text/plain; charset=utf-8");
}

// The log as it grows, until its attempt has ended and all of it was sent.
// The file is looked at every 200 ms: the process writing it is not ours to
// ask, and inotify would cost a descriptor per follower.
void HttpGateway::Impl::FollowLog(const std::string& rest, std::filesystem::path file,
                                  httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  // Else browsers hold back the first bytes to sniff the type.
  res.set_header("X-Content-Type-Options", "nosniff");
  // Not text/*: cpp-httplib gzips text for clients that accept it, and its
  // compressor holds everything back until the stream ends.
  res.set_chunked_content_provider(
      "application/octet-stream",
      [this, rest, file, sent = std::streamoff{0}](size_t, httplib::DataSink& sink) mutable {
        return SendLog(rest, file, &sent, sink);
      });
}

bool HttpGateway::Impl::SendLog(const std::string& rest, const std::filesystem::path& file,
                                std::streamoff* sent, httplib::DataSink& sink) {
  for (;;) {
    // Whether it ended is asked before reading: nothing written just
    // before the end is left out.
    auto finished = options.log_finished(rest);
    std::ifstream in(file, std::ios::binary);
    in.seekg(*sent);
    char buffer[64 << 10];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      if (!sink.write(buffer, static_cast<size_t>(in.gcount()))) return false;
      *sent += in.gcount();
    }
    if (!finished.ok() || *finished || stopping.load()) {
      sink.done();
      return true;
    }
    if (!sink.is_writable()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Server-sent events: one `data:` line per notice of the change feed, a
// comment line every 15 s so that proxies keep the connection open.
void HttpGateway::Impl::ServeEvents(const httplib::Request& req, httplib::Response& res) {
  if (!Authorized(req, res)) return;
  if (options.feed == nullptr) {
    SendError(res, grpc::StatusCode::UNIMPLEMENTED, "this server has no change feed");
    return;
  }
  std::shared_ptr<ChangeFeed::Reader> reader = options.feed->Open();
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_chunked_content_provider("text/event-stream", [reader](size_t, httplib::DataSink& sink) {
    static const std::string kHello = ": flytecpp change feed\n\n";
    if (!sink.write(kHello.data(), kHello.size())) return false;
    for (;;) {
      auto notice = reader->Next(std::chrono::seconds(15));
      if (reader->closed()) {
        sink.done();
        return true;
      }
      const std::string text = notice ? "data: " + *notice + "\n\n" : ": keep-alive\n\n";
      if (!sink.write(text.data(), text.size())) return false;
    }
  });
}

void HttpGateway::Impl::ServeBlob(const httplib::Request& req, httplib::Response& res) {
  if (!Authorized(req, res)) return;
  SendBlob(req.get_param_value("uri"), res);
}

// A blob: from the database, or read from its file as it is sent.
void HttpGateway::Impl::SendBlob(const std::string& uri, httplib::Response& res) {
  auto blob = options.blob(uri);
  if (!blob.ok()) {
    SendError(res, admin::ToGrpc(blob.status()).error_code(), blob.status().message());
    return;
  }
  if (blob->bytes) {
    res.set_header("Content-Disposition", "attachment; filename=\"" + blob->name + "\"");
    res.set_content(std::move(*blob->bytes), "application/octet-stream");
    return;
  }
  const std::filesystem::path* file = &blob->file;
  std::error_code error;
  const auto size = std::filesystem::file_size(*file, error);
  if (error) {
    SendError(res, grpc::StatusCode::NOT_FOUND, "blob " + file->string() + ": unreadable");
    return;
  }
  res.set_header("Content-Disposition",
                 "attachment; filename=\"" + file->filename().string() + "\"");
  auto in = std::make_shared<std::ifstream>(*file, std::ios::binary);
  res.set_content_provider(
      static_cast<size_t>(size), "application/octet-stream",
      [in](size_t offset, size_t length, httplib::DataSink& sink) {
        char buffer[64 << 10];
        in->seekg(static_cast<std::streamoff>(offset));
        in->read(buffer, static_cast<std::streamsize>(std::min(length, sizeof buffer)));
        return in->gcount() > 0 && sink.write(buffer, static_cast<size_t>(in->gcount()));
      });
}

namespace {

std::map<std::string, std::string> QueryOf(const httplib::Request& req) {
  return {req.params.begin(), req.params.end()};
}

}  // namespace

// A PUT to a signed upload URL: the URL is the credential (clients send no
// bearer token with it). The body streams to a temporary file, hashed as it
// comes; only a body of the signed MD5 takes the object's name.
void HttpGateway::Impl::ServeUpload(const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& read) {
  if (options.data == nullptr) {
    SendError(res, grpc::StatusCode::UNIMPLEMENTED, "this server takes no uploads");
    return;
  }
  const std::string path = RawPath(req).substr(admin::DataProxy::kUploadPrefix.size());
  auto upload = options.data->StartUpload(path, QueryOf(req), req.get_header_value("Content-MD5"));
  if (!upload.ok()) {
    SendError(res, admin::ToGrpc(upload.status()).error_code(), upload.status().message());
    return;
  }
  Status written;
  read([&](const char* data, size_t length) {
    written = (*upload)->Write(std::string_view(data, length));
    return written.ok();
  });
  if (written.ok()) written = (*upload)->Commit();
  if (!written.ok()) {
    SendError(res, admin::ToGrpc(written).error_code(), written.message());
    return;
  }
  res.status = 200;
}

// A GET of a signed download URL (CreateDownloadLocation, CreateDownloadLink).
void HttpGateway::Impl::ServeDownload(const httplib::Request& req, httplib::Response& res) {
  if (options.data == nullptr) {
    SendError(res, grpc::StatusCode::UNIMPLEMENTED, "this server signs no downloads");
    return;
  }
  auto uri = options.data->CheckDownload(QueryOf(req));
  if (!uri.ok()) {
    SendError(res, admin::ToGrpc(uri.status()).error_code(), uri.status().message());
    return;
  }
  SendBlob(*uri, res);
}

HttpGateway::HttpGateway() : impl_(std::make_unique<Impl>()) {}
HttpGateway::~HttpGateway() { Shutdown(); }

Result<std::unique_ptr<HttpGateway>> HttpGateway::Start(HttpGatewayOptions options) {
  std::unique_ptr<HttpGateway> gateway(new HttpGateway());
  Impl& g = *gateway->impl_;
  g.options = std::move(options);
  g.stub = std::make_unique<grpc::GenericStub>(g.options.channel);
  if (!g.options.tls_cert_pem.empty()) {
    FLYTECPP_ASSIGN_OR_RETURN(auto pair,
                              ParseKeyPair(g.options.tls_cert_pem, g.options.tls_key_pem));
    g.http = std::make_unique<httplib::SSLServer>(pair.first, pair.second);
    X509_free(pair.first);
    EVP_PKEY_free(pair.second);
  } else {
    g.http = std::make_unique<httplib::Server>();
  }
  g.http->set_payload_max_length(static_cast<size_t>(g.options.max_body_bytes));
  // Answers are gzipped for clients that accept it, never Brotli: Debian's
  // cpp-httplib compresses at Brotli's highest quality, ~10 s for a 3.5 MB
  // workflow (gzip: 0.1 s). The request is httplib's own, not const; only
  // its view is.
  g.http->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    auto& headers = const_cast<httplib::Headers&>(req.headers);
    auto [first, last] = headers.equal_range("Accept-Encoding");
    for (auto it = first; it != last; ++it) {
      it->second = it->second.find("gzip") != std::string::npos ? "gzip" : "identity";
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Followed logs and event streams each hold a thread while open.
  g.http->new_task_queue = [] { return new httplib::ThreadPool(64); };
  Impl* impl = &g;
  const auto api = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->Handle(req, res);
  };
  g.http->Get("/api/v1/.*", api);
  g.http->Post("/api/v1/.*", api);
  g.http->Put("/api/v1/.*", api);
  g.http->Patch("/api/v1/.*", api);
  g.http->Delete("/api/v1/.*", api);
  g.http->Get("/logs/.*", [impl](const httplib::Request& req, httplib::Response& res) {
    impl->ServeLog(req, res);
  });
  g.http->Get("/schedules", [impl](const httplib::Request& req, httplib::Response& res) {
    if (!impl->Authorized(req, res)) return;
    auto json =
        impl->options.schedules(req.get_param_value("project"), req.get_param_value("domain"));
    if (!json.ok()) {
      SendError(res, admin::ToGrpc(json.status()).error_code(), json.status().message());
      return;
    }
    res.set_content(*json, "application/json");
  });
  g.http->Get("/blobs", [impl](const httplib::Request& req, httplib::Response& res) {
    impl->ServeBlob(req, res);
  });
  g.http->Get("/events", [impl](const httplib::Request& req, httplib::Response& res) {
    impl->ServeEvents(req, res);
  });
  // AuthMetadataService's two routes, outside /api/v1.
  g.http->Get("/.well-known/oauth-authorization-server|/config/v1/flyte_client", api);
  g.http->Put(std::string(admin::DataProxy::kUploadPrefix) + ".*",
              [impl](const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& read) { impl->ServeUpload(req, res, read); });
  g.http->Get(std::string(admin::DataProxy::kDownloadPath),
              [impl](const httplib::Request& req, httplib::Response& res) {
                impl->ServeDownload(req, res);
              });
  // FlyteConsole's address of an execution (what pyflyte run --remote and
  // FlyteRemote print) opens that execution in this console. Only names
  // of identifier characters go into the Location header.
  g.http->Get(R"(/console/projects/([\w.-]+)/domains/([\w.-]+)/executions/([\w.-]+)/?)",
              [](const httplib::Request& req, httplib::Response& res) {
                res.set_redirect("/#/executions/" + req.matches[1].str() + "/" +
                                 req.matches[2].str() + "/" + req.matches[3].str());
              });
  // The console: a single page whose routes live after '#', so every path
  // it has is one of its files.
  g.http->Get("/|/console/.*", [](const httplib::Request& req, httplib::Response& res) {
    const std::string path = RawPath(req);
    for (size_t i = 0; i < kConsoleAssetCount; ++i) {
      const ConsoleAsset& asset = kConsoleAssets[i];
      if (asset.path != path) continue;
      res.set_header("Cache-Control", "no-cache");
      res.set_content(std::string(asset.bytes), std::string(asset.content_type));
      return;
    }
    SendError(res, grpc::StatusCode::NOT_FOUND, "the console has no file " + path);
  });
  g.http->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendError(res, grpc::StatusCode::INTERNAL, "the request failed inside the server");
      });

  const std::string& address = g.options.address;
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(address.substr(colon + 1));
    } catch (...) {
    }
  }
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty() || port < 0 || port > 65535) {
    return InvalidArgument("--http " + address + ": not host:port");
  }
  g.port = port == 0 ? g.http->bind_to_any_port(host) : port;
  if (g.port <= 0 || (port != 0 && !g.http->bind_to_port(host, port))) {
    return InvalidArgument("cannot listen on " + address + " (taken, or not an address)");
  }
  g.thread = std::thread([impl] { impl->http->listen_after_bind(); });
  return gateway;
}

int HttpGateway::port() const { return impl_->port; }

void HttpGateway::Shutdown() {
  impl_->stopping = true;
  if (impl_->http) impl_->http->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace flytecpp::server
