// flyteidl.service.DataProxyService in process: where clients put code and
// files (CreateUploadLocation), how they read what tasks wrote
// (CreateDownloadLocation, CreateDownloadLink, GetData).
//
// Uploads go to `<data dir>/uploads/<project>/<domain>/<root>/<filename>`,
// whose file:// URL is the `native_url` tasks read (pyflyte-fast-execute
// fetches code from there). The `signed_url` a client PUTs to is on the
// server's own HTTP address: the relative path, an expiry and the content
// MD5, signed with HMAC-SHA256 under a key of this process. The URL is the
// capability (flytekit sends no bearer token with the PUT), so it names
// exactly one object and one content, and expires.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "flytecpp/admin/admin_api.h"
#include "flytecpp/util/clock.h"
#include "flytecpp/util/status.h"
#include "flyteidl/service/dataproxy.pb.h"

namespace flytecpp::admin {

namespace service = flyteidl::service;

struct DataProxyOptions {
  std::filesystem::path data_dir;  // the engine's: uploads land below it
  const Clock* clock = SystemClock::Default();
  // flyteadmin's default and ceiling for expires_in.
  std::chrono::seconds max_expires_in{3600};
  std::string signing_key;  // empty: random, so a restart voids old URLs
};

// An upload being received: bytes are written to a temporary file beside
// the target and hashed as they come; Commit checks the MD5 the URL was
// signed for and renames. Dropped uncommitted, nothing is left.
class Upload {
 public:
  virtual ~Upload() = default;
  virtual Status Write(std::string_view bytes) = 0;
  virtual Status Commit() = 0;
};

class DataProxy {
 public:
  // `api`: where GetData and CreateDownloadLink read executions.
  DataProxy(AdminApi& api, DataProxyOptions options);
  ~DataProxy();

  // Where signed URLs point ("http://host:port"); set before serving.
  void set_base_url(std::string base);

  Result<service::CreateUploadLocationResponse> CreateUploadLocation(
      const service::CreateUploadLocationRequest& request);
  Result<service::CreateDownloadLocationResponse> CreateDownloadLocation(
      const service::CreateDownloadLocationRequest& request);
  Result<service::CreateDownloadLinkResponse> CreateDownloadLink(
      const service::CreateDownloadLinkRequest& request);
  // flyte://v1/<project>/<domain>/<execution>/<node>[/<attempt>]/{i,o,d}[/<name>]
  Result<service::GetDataResponse> GetData(const service::GetDataRequest& request);

  // The HTTP side. `path` is the request's decoded path below
  // kUploadPrefix, `query` its parameters, `content_md5` the Content-MD5
  // header (base64; may be empty). PermissionDenied: not a URL this server
  // signed, or expired.
  Result<std::unique_ptr<Upload>> StartUpload(const std::string& path,
                                              const std::map<std::string, std::string>& query,
                                              const std::string& content_md5);
  // The native URL a signed download URL's query names, once its signature
  // and expiry are checked.
  Result<std::string> CheckDownload(const std::map<std::string, std::string>& query);

  static constexpr std::string_view kUploadPrefix = "/dataproxy/upload/";
  static constexpr std::string_view kDownloadPath = "/dataproxy/download";

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flytecpp::admin
