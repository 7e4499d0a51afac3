// flytecpp serve: a FlyteAdmin-compatible control plane. It serves the
// official flyteidl.service.AdminService over gRPC (generated from the pinned
// flyteidl package, so method names and messages are Flyte's) and HTTP/JSON,
// backed by a store directory. See docs/server.md for what is served so far.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "flytecpp/engine/engine.h"
#include "flytecpp/runtime/config.h"
#include "flytecpp/util/clock.h"
#include "flytecpp/util/status.h"

namespace flytecpp::server {

struct ServerOptions {
  std::filesystem::path store_dir;  // SQLite's directory; with store_url, where literal data lives
  std::string store_url;            // a PostgreSQL database (postgres://...); empty: SQLite
  std::string grpc_address = "127.0.0.1:8089";  // flyteadmin's port; ":0" picks a free one
  // The HTTP/JSON gateway at flyteadmin's /api/v1 paths (and task logs);
  // empty: none. flyteadmin's is 127.0.0.1:8088.
  std::string http_address;
  int64_t max_message_bytes = 64 << 20;  // requests larger than this are refused
  // Every call must carry "authorization: Bearer <token>" (gRPC metadata,
  // HTTP header);
  // empty: no check, allowed only on a loopback address.
  std::string token;
  std::string tls_cert_pem, tls_key_pem;  // both: TLS; neither: plaintext
  // Runs the executions the API creates; required, and must outlive the server.
  engine::Engine* engine = nullptr;
  // How often the server looks for executions no live engine runs (their
  // server died, or its lease ran out) and adopts them; 0: never.
  std::chrono::milliseconds adopt_interval{2000};
  // Fires the schedules of active launch plans (docs/server.md,
  // "Schedules"): slots missed while no server ran are caught up "all"
  // (each, oldest first) or only the "latest". Servers sharing a store
  // share the schedules by leases of this duration.
  bool schedules = true;
  std::string schedule_catch_up = "all";
  std::chrono::milliseconds schedule_lease{30000};
  const Clock* clock = nullptr;  // schedules' and notifications' time; default: the system's
  // Tells of executions that end (docs/server.md, "Notifications"): email
  // through notifications.smtp, the webhooks; secrets from `secrets_dir`.
  bool notifications = true;
  runtime::NotificationSettings notification_settings;
  std::filesystem::path secrets_dir;
  std::chrono::milliseconds notification_retry{1000};  // the first retry's wait; doubles
};

class Server {
 public:
  // Opens the store and starts listening. Errors: the store, or the address
  // (taken, not an address).
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();  // stops

  int grpc_port() const;  // the port listened on (what ":0" became)
  int http_port() const;  // the HTTP gateway's; 0 without one
  void Wait();            // until Shutdown
  void Shutdown();        // stops accepting, finishes calls in flight

 private:
  Server();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flytecpp::server
