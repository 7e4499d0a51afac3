// The configuration Flyte's own clients (pyflyte, FlyteRemote, flytectl)
// read to reach a flytecpp server: ~/.flyte/config.yaml, flytectl's YAML
// form, which flytekit reads too.
#pragma once

#include <string>

#include "flytecpp/util/status.h"

namespace flytecpp::cli {

struct ClientConfig {
  std::string grpc_address;  // host:port of `flytecpp serve --grpc`
  std::string console_url;   // http(s)://host:port of its --http; may be empty
  bool tls = false;          // the server was started with --tls-cert
  // When the server needs a bearer token: the file that holds it. Clients
  // run `cat <file>` for it (authType ExternalCommand), so the token is
  // never written into the config itself.
  std::string token_file;
};

// The YAML text of `config`. InvalidArgument: a token file that is not
// absolute (clients run the command from anywhere).
Result<std::string> FlyteClientConfigYaml(const ClientConfig& config);

}  // namespace flytecpp::cli
