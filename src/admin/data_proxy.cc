#include "data_proxy.h"

#include <fcntl.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <regex>
#include <vector>

#include "flytecpp/idl/literals.h"
#include "flytecpp/util/text.h"
#include "signing.h"

namespace flytecpp::admin {

namespace {

namespace fs = std::filesystem;
namespace core = flyteidl::core;
using google::protobuf::util::TimeUtil;

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// RFC 4648 base32 with '=' padding: flyteadmin's default upload root.
std::string Base32(std::string_view bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint64_t buffer = 0;
  int bits = 0;
  for (unsigned char ch : bytes) {
    buffer = (buffer << 8) | ch;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  while (out.size() % 8 != 0) out += '=';
  return out;
}

// Incremental MD5 (the digest flytekit and flytectl send as content_md5).
class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
  std::string Final() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, digest, &n);
    return std::string(reinterpret_cast<char*>(digest), n);
  }

 private:
  EVP_MD_CTX* ctx_;
};

Result<std::string> Md5OfFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return IoError(file.string() + ": cannot read");
  Md5 md5;
  char buffer[64 << 10];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    md5.Update(std::string_view(buffer, static_cast<size_t>(in.gcount())));
  }
  return md5.Final();
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  return HexOf(raw);
}

// flyteadmin's name for an upload without one: 20 characters.
std::string RandomName() { return RandomHex(10); }

// A path segment a client chose: one name, nothing that climbs or hides.
Status CheckSegment(const std::string& what, const std::string& segment) {
  if (segment.empty() || segment == "." || segment == ".." ||
      segment.find('\0') != std::string::npos || segment.find('/') != std::string::npos) {
    return InvalidArgument(what + " '" + segment + "': not a file name");
  }
  return Status::Ok();
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

std::string Join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

Result<std::chrono::seconds> ExpiresIn(const google::protobuf::Duration& requested, bool given,
                                       std::chrono::seconds max) {
  if (!given) return max;
  if (requested.seconds() < 0 || requested.nanos() < 0) {
    return InvalidArgument("expires_in " + TimeUtil::ToString(requested) + " is negative");
  }
  if (requested.seconds() > max.count()) {
    return InvalidArgument("expires_in " + TimeUtil::ToString(requested) +
                           " exceeds the maximum of " + std::to_string(max.count()) + "s");
  }
  return std::chrono::seconds(requested.seconds());
}

// An expiry as signed URLs carry it: Unix seconds, digits only.
bool IsExpiry(const std::string& text) {
  return !text.empty() && text.size() <= 18 &&
         text.find_first_not_of("0123456789") == std::string::npos;
}

std::string Query(const std::map<std::string, std::string>& query, const std::string& key) {
  auto it = query.find(key);
  return it == query.end() ? "" : it->second;
}

class FileUpload final : public Upload {
 public:
  FileUpload(fs::path target, fs::path temp, int fd, std::string want_md5)
      : target_(std::move(target)),
        temp_(std::move(temp)),
        fd_(fd),
        want_md5_(std::move(want_md5)) {}
  ~FileUpload() override {
    if (fd_ >= 0) close(fd_);
    if (!committed_) {
      std::error_code ignored;
      fs::remove(temp_, ignored);
    }
  }

  Status Write(std::string_view bytes) override {
    md5_.Update(bytes);
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError(temp_.string() + ": " + std::strerror(errno));
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status Commit() override {
    const std::string got = md5_.Final();
    if (!want_md5_.empty() && got != want_md5_) {
      return InvalidArgument("the body's MD5 is " + Base64(got) + ", the upload URL was made for " +
                             Base64(want_md5_) + " (BadDigest)");
    }
    if (fsync(fd_) != 0 || close(fd_) != 0) {
      fd_ = -1;
      return IoError(temp_.string() + ": " + std::strerror(errno));
    }
    fd_ = -1;
    std::error_code error;
    fs::rename(temp_, target_, error);
    if (error) return IoError(target_.string() + ": " + error.message());
    committed_ = true;
    return Status::Ok();
  }

 private:
  fs::path target_, temp_;
  int fd_;
  std::string want_md5_;
  Md5 md5_;
  bool committed_ = false;
};

}  // namespace

struct DataProxy::Impl {
  Impl(AdminApi& api, DataProxyOptions options) : api(api), options(std::move(options)) {}

  AdminApi& api;
  DataProxyOptions options;
  std::mutex mu;
  std::string base_url;  // guarded by mu

  fs::path uploads() const { return options.data_dir / "uploads"; }

  std::string Sign(const std::string& message) const {
    return HmacSha256Hex(options.signing_key, message);
  }

  // Whether `signature` is ours for `message` (in constant time) and
  // `expires` (Unix seconds) has not passed.
  Status Check(const std::string& what, const std::string& message, const std::string& expires,
               const std::string& signature) const {
    const std::string want = Sign(message);
    unsigned char diff = want.size() == signature.size() ? 0 : 1;
    for (size_t i = 0; i < want.size() && i < signature.size(); ++i) {
      diff |= want[i] ^ signature[i];
    }
    if (diff != 0) return PermissionDenied(what + ": not a URL this server signed");
    const int64_t now_s = options.clock->Now() / 1'000'000'000;
    if (std::stoll(expires) < now_s) {
      return PermissionDenied(
          what + ": the URL expired at " +
          TimeUtil::ToString(TimeUtil::SecondsToTimestamp(std::stoll(expires))));
    }
    return Status::Ok();
  }

  // When a URL asked to live `requested` (flyteadmin's default and ceiling
  // when not `given`) expires, in Unix seconds.
  Result<int64_t> ExpiryAfter(const google::protobuf::Duration& requested, bool given) const {
    FLYTECPP_ASSIGN_OR_RETURN(std::chrono::seconds expires_in,
                              ExpiresIn(requested, given, options.max_expires_in));
    return options.clock->Now() / 1'000'000'000 + static_cast<int64_t>(expires_in.count());
  }

  Result<std::string> Base() {
    std::lock_guard lock(mu);
    if (base_url.empty()) {
      return FailedPrecondition(
          "this server has no HTTP address (--http none): signed URLs need one");
    }
    return base_url;
  }

  static std::string UploadMessage(const std::string& rel, const std::string& expires,
                                   const std::string& md5_b64) {
    return "PUT\n" + rel + "\n" + expires + "\n" + md5_b64;
  }
  static std::string DownloadMessage(const std::string& uri, const std::string& expires) {
    return "GET\n" + uri + "\n" + expires;
  }

  Result<std::string> SignedDownload(const std::string& native_url, int64_t expires_s) {
    FLYTECPP_ASSIGN_OR_RETURN(std::string base, Base());
    const std::string expires = std::to_string(expires_s);
    return base + std::string(kDownloadPath) + "?uri=" + PathEscape(native_url) +
           "&expires=" + expires + "&signature=" + Sign(DownloadMessage(native_url, expires));
  }

  // Whether `uri` names data below the data directory.
  bool IsOurs(const std::string& uri) const {
    const auto path = idl::LocalPathOf(uri);
    if (!path) return false;
    const fs::path normal = fs::path(*path).lexically_normal();
    const fs::path root = options.data_dir.lexically_normal();
    auto [r, n] = std::mismatch(root.begin(), root.end(), normal.begin(), normal.end());
    return r == root.end() && n != normal.end();
  }
};

DataProxy::DataProxy(AdminApi& api, DataProxyOptions options)
    : impl_(std::make_unique<Impl>(api, std::move(options))) {
  if (impl_->options.signing_key.empty()) impl_->options.signing_key = RandomHex(32);
}

DataProxy::~DataProxy() = default;

void DataProxy::set_base_url(std::string base) {
  std::lock_guard lock(impl_->mu);
  impl_->base_url = std::move(base);
}

Result<service::CreateUploadLocationResponse> DataProxy::CreateUploadLocation(
    const service::CreateUploadLocationRequest& request) {
  if (request.project().empty() || request.domain().empty()) {
    return InvalidArgument("CreateUploadLocation: project and domain are required");
  }
  if (request.content_md5().empty() && request.filename_root().empty()) {
    return InvalidArgument("CreateUploadLocation: content_md5 or filename_root is required");
  }
  if (!request.content_md5().empty() && request.content_md5().size() != 16) {
    return InvalidArgument(
        "CreateUploadLocation: content_md5 must be the 16 bytes of an MD5, not " +
        std::to_string(request.content_md5().size()));
  }
  FLYTECPP_ASSIGN_OR_RETURN(const int64_t expires_s,
                            impl_->ExpiryAfter(request.expires_in(), request.has_expires_in()));
  const std::string filename = request.filename().empty() ? RandomName() : request.filename();
  FLYTECPP_RETURN_IF_ERROR(CheckSegment("filename", filename));
  std::vector<std::string> parts;
  if (!request.org().empty()) parts.push_back(request.org());
  parts.push_back(request.project());
  parts.push_back(request.domain());
  const std::string root =
      request.filename_root().empty() ? Base32(request.content_md5()) : request.filename_root();
  for (const std::string& segment : Split(root, '/')) parts.push_back(segment);
  parts.push_back(filename);
  for (const std::string& segment : parts) {
    FLYTECPP_RETURN_IF_ERROR(CheckSegment("upload path segment", segment));
  }
  const std::string rel = Join(parts, '/');
  const fs::path target = impl_->uploads() / rel;
  const std::string native_url = "file://" + target.string();
  std::error_code error;
  if (fs::exists(target, error)) {
    // The same name again is fine for the same content (a re-run of
    // `pyflyte register`); anything else would change what tasks read.
    auto md5 = Md5OfFile(target);
    if (request.content_md5().empty() || !md5.ok() || *md5 != request.content_md5()) {
      return AlreadyExists("upload location " + native_url + ": an object with different content " +
                           "is there already");
    }
  }
  FLYTECPP_ASSIGN_OR_RETURN(std::string base, impl_->Base());
  const std::string expires = std::to_string(expires_s);
  const std::string md5_b64 = Base64(request.content_md5());
  std::string url = base + std::string(kUploadPrefix);
  for (size_t i = 0; i < parts.size(); ++i) url += (i ? "/" : "") + PathEscape(parts[i]);
  url += "?expires=" + expires + "&md5=" + PathEscape(md5_b64) +
         "&signature=" + impl_->Sign(Impl::UploadMessage(rel, expires, md5_b64));

  service::CreateUploadLocationResponse out;
  out.set_signed_url(url);
  out.set_native_url(native_url);
  *out.mutable_expires_at() = TimeUtil::SecondsToTimestamp(expires_s);
  if (!md5_b64.empty()) (*out.mutable_headers())["Content-MD5"] = md5_b64;
  return out;
}

Result<std::unique_ptr<Upload>> DataProxy::StartUpload(
    const std::string& path, const std::map<std::string, std::string>& query,
    const std::string& content_md5) {
  std::vector<std::string> parts;
  for (const std::string& escaped : Split(path, '/')) {
    auto segment = PathUnescape(escaped);
    if (!segment) return InvalidArgument("upload path '" + path + "': badly percent-encoded");
    FLYTECPP_RETURN_IF_ERROR(CheckSegment("upload path segment", *segment));
    parts.push_back(std::move(*segment));
  }
  const std::string rel = Join(parts, '/');
  const std::string expires = Query(query, "expires");
  const std::string md5_b64 = Query(query, "md5");
  if (!IsExpiry(expires)) {
    return PermissionDenied("upload " + rel + ": not a URL this server signed");
  }
  FLYTECPP_RETURN_IF_ERROR(impl_->Check("upload " + rel, Impl::UploadMessage(rel, expires, md5_b64),
                                        expires, Query(query, "signature")));
  if (!content_md5.empty() && content_md5 != md5_b64) {
    return InvalidArgument("upload " + rel + ": Content-MD5 " + content_md5 +
                           " is not the MD5 the URL was made for (" + md5_b64 + ")");
  }
  std::string want_md5;
  if (!md5_b64.empty()) {
    want_md5.resize(md5_b64.size());
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(want_md5.data()),
                                  reinterpret_cast<const unsigned char*>(md5_b64.data()),
                                  static_cast<int>(md5_b64.size()));
    if (n < 16) return InvalidArgument("upload " + rel + ": its md5 is not base64");
    want_md5.resize(16);  // EVP_DecodeBlock counts the padding's zero bytes
  }
  const fs::path target = impl_->uploads() / rel;
  std::error_code error;
  fs::create_directories(target.parent_path(), error);
  if (error) return IoError(target.parent_path().string() + ": " + error.message());
  fs::path temp = target;
  temp += ".part-" + RandomHex(8);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(temp.string() + ": " + std::strerror(errno));
  return std::unique_ptr<Upload>(std::make_unique<FileUpload>(target, temp, fd, want_md5));
}

Result<std::string> DataProxy::CheckDownload(const std::map<std::string, std::string>& query) {
  const std::string uri = Query(query, "uri");
  const std::string expires = Query(query, "expires");
  if (uri.empty() || !IsExpiry(expires)) {
    return PermissionDenied("download: not a URL this server signed");
  }
  FLYTECPP_RETURN_IF_ERROR(impl_->Check("download " + uri, Impl::DownloadMessage(uri, expires),
                                        expires, Query(query, "signature")));
  return uri;
}

Result<service::CreateDownloadLocationResponse> DataProxy::CreateDownloadLocation(
    const service::CreateDownloadLocationRequest& request) {
  FLYTECPP_ASSIGN_OR_RETURN(const int64_t expires_s,
                            impl_->ExpiryAfter(request.expires_in(), request.has_expires_in()));
  if (!impl_->IsOurs(request.native_url())) {
    return InvalidArgument("CreateDownloadLocation: native_url '" + request.native_url() +
                           "' is not data of this server");
  }
  FLYTECPP_ASSIGN_OR_RETURN(std::string url,
                            impl_->SignedDownload(request.native_url(), expires_s));
  service::CreateDownloadLocationResponse out;
  out.set_signed_url(url);
  *out.mutable_expires_at() = TimeUtil::SecondsToTimestamp(expires_s);
  return out;
}

Result<service::CreateDownloadLinkResponse> DataProxy::CreateDownloadLink(
    const service::CreateDownloadLinkRequest& request) {
  FLYTECPP_ASSIGN_OR_RETURN(const int64_t expires_s,
                            impl_->ExpiryAfter(request.expires_in(), request.has_expires_in()));
  if (request.artifact_type() != service::ARTIFACT_TYPE_DECK) {
    return InvalidArgument("CreateDownloadLink: artifact_type must be ARTIFACT_TYPE_DECK");
  }
  if (!request.has_node_execution_id()) {
    return InvalidArgument("CreateDownloadLink: node_execution_id is required");
  }
  flyteadmin::NodeExecutionGetRequest get;
  *get.mutable_id() = request.node_execution_id();
  FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::NodeExecution node, impl_->api.GetNodeExecution(get));
  const std::string& deck = node.closure().deck_uri();
  const auto path = idl::LocalPathOf(deck);
  std::error_code error;
  if (deck.empty() || !path || !fs::exists(*path, error)) {
    return NotFound("node " + request.node_execution_id().node_id() + " of execution " +
                    request.node_execution_id().execution_id().name() + " has no deck");
  }
  FLYTECPP_ASSIGN_OR_RETURN(std::string url, impl_->SignedDownload(deck, expires_s));
  service::CreateDownloadLinkResponse out;
  out.mutable_pre_signed_urls()->add_signed_url(url);
  *out.mutable_pre_signed_urls()->mutable_expires_at() = TimeUtil::SecondsToTimestamp(expires_s);
  // Also where older clients read it, as flyteadmin does.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  out.add_signed_url(url);
  *out.mutable_expires_at() = out.pre_signed_urls().expires_at();
#pragma GCC diagnostic pop
  return out;
}

Result<service::GetDataResponse> DataProxy::GetData(const service::GetDataRequest& request) {
  static const std::regex kFlyteUrl(
      "flyte://v1/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)"
      "(?:/([0-9]+))?/([iod])(?:/([a-zA-Z0-9_-]+))?");
  std::smatch m;
  const std::string& url = request.flyte_url();
  if (!std::regex_match(url, m, kFlyteUrl) || (m[6] == "d" && m[7].matched)) {
    return InvalidArgument(
        "GetData: '" + url +
        "' is not flyte://v1/<project>/<domain>/<execution>/<node>[/<attempt>]/{i,o,d}[/<name>]");
  }
  core::NodeExecutionIdentifier node;
  node.set_node_id(m[4]);
  node.mutable_execution_id()->set_project(m[1]);
  node.mutable_execution_id()->set_domain(m[2]);
  node.mutable_execution_id()->set_name(m[3]);
  const std::string kind = m[6];
  service::GetDataResponse out;
  if (kind == "d") {
    service::CreateDownloadLinkRequest link;
    link.set_artifact_type(service::ARTIFACT_TYPE_DECK);
    *link.mutable_node_execution_id() = node;
    FLYTECPP_ASSIGN_OR_RETURN(service::CreateDownloadLinkResponse deck, CreateDownloadLink(link));
    *out.mutable_pre_signed_urls() = deck.pre_signed_urls();
    return out;
  }
  core::LiteralMap data;
  if (m[5].matched) {
    // One attempt: its task execution, found among the node's.
    flyteadmin::TaskExecutionListRequest list;
    *list.mutable_node_execution_id() = node;
    list.set_limit(1000);
    FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::TaskExecutionList attempts,
                              impl_->api.ListTaskExecutions(list));
    const uint32_t attempt = static_cast<uint32_t>(std::stoul(m[5]));
    const flyteadmin::TaskExecution* found = nullptr;
    for (const auto& t : attempts.task_executions()) {
      if (t.id().retry_attempt() == attempt) found = &t;
    }
    if (found == nullptr) {
      return NotFound("GetData: node " + node.node_id() + " of execution " +
                      node.execution_id().name() + " has no attempt " + std::string(m[5]));
    }
    flyteadmin::TaskExecutionGetDataRequest get;
    *get.mutable_id() = found->id();
    FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::TaskExecutionGetDataResponse got,
                              impl_->api.GetTaskExecutionData(get));
    data = kind == "i" ? got.full_inputs() : got.full_outputs();
  } else {
    flyteadmin::NodeExecutionGetDataRequest get;
    *get.mutable_id() = node;
    FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::NodeExecutionGetDataResponse got,
                              impl_->api.GetNodeExecutionData(get));
    data = kind == "i" ? got.full_inputs() : got.full_outputs();
  }
  if (!m[7].matched) {
    *out.mutable_literal_map() = std::move(data);
    return out;
  }
  auto it = data.literals().find(m[7]);
  if (it == data.literals().end()) {
    return InvalidArgument("GetData: no " + std::string(kind == "i" ? "input" : "output") +
                           " named " + std::string(m[7]) + " in node " + node.node_id() +
                           " of execution " + node.execution_id().name());
  }
  *out.mutable_literal() = it->second;
  return out;
}

}  // namespace flytecpp::admin
