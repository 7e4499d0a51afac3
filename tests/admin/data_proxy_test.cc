// The data proxy's rules, without HTTP: what a signed upload URL names and
// allows (one object, one content, until it expires: the fake clock moves
// time), what a bad request is told, and that nothing half-written stays.
#include "data_proxy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "flytecpp/store/store.h"
#include "flytecpp/util/text.h"
#include "test_support.h"

namespace flytecpp::admin {
namespace {

namespace fs = std::filesystem;

// The MD5 of "abc", as raw bytes, base64 and base32 (computed elsewhere).
const std::string kAbcMd5("\x90\x01\x50\x98\x3c\xd2\x4f\xb0\xd6\x96\x3f\x7d\x28\xe1\x7f\x72", 16);
constexpr char kAbcMd5Base64[] = "kAFQmDzST7DWlj99KOF/cg==";
constexpr char kAbcMd5Base32[] = "SAAVBGB42JH3BVUWH56SRYL7OI======";

// A URL's path below `prefix` and its query, percent-decoded as HTTP
// servers hand them over.
struct SplitUrl {
  std::string path;
  std::map<std::string, std::string> query;
};
SplitUrl Split(const std::string& url, std::string_view prefix) {
  SplitUrl out;
  const size_t at = url.find(prefix);
  const size_t q = url.find('?');
  out.path = url.substr(at + prefix.size(), q - at - prefix.size());
  std::stringstream params(url.substr(q + 1));
  std::string param;
  while (std::getline(params, param, '&')) {
    const size_t eq = param.find('=');
    out.query[param.substr(0, eq)] = PathUnescape(param.substr(eq + 1)).value();
  }
  return out;
}

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class DataProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalAdminOptions local;
    local.store = (dir_.path() / "store").string();
    local.data_dir = data_dir().string();
    local.engine = []() -> Result<engine::Engine*> {
      return FailedPrecondition("no engine in this test");
    };
    auto api = OpenLocalAdmin(local);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(api).value();
    DataProxyOptions options;
    options.data_dir = data_dir();
    options.clock = &clock_;
    proxy_ = std::make_unique<DataProxy>(*api_, options);
    proxy_->set_base_url("http://127.0.0.1:8088");
  }

  fs::path data_dir() const { return dir_.path() / "store" / "data"; }

  service::CreateUploadLocationRequest AbcRequest(const std::string& filename = "abc.txt") {
    service::CreateUploadLocationRequest request;
    request.set_project("flytesnacks");
    request.set_domain("development");
    request.set_filename(filename);
    request.set_content_md5(kAbcMd5);
    return request;
  }

  // Uploads `body` to the location `request` gets.
  Status Put(const service::CreateUploadLocationRequest& request, const std::string& body) {
    auto location = proxy_->CreateUploadLocation(request);
    if (!location.ok()) return location.status();
    SplitUrl url = Split(location->signed_url(), DataProxy::kUploadPrefix);
    auto upload = proxy_->StartUpload(url.path, url.query, kAbcMd5Base64);
    if (!upload.ok()) return upload.status();
    FLYTECPP_RETURN_IF_ERROR((*upload)->Write(body));
    return (*upload)->Commit();
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<AdminApi> api_;
  std::unique_ptr<DataProxy> proxy_;
};

TEST_F(DataProxyTest, AnUploadLandsWhereTheNativeUrlSays) {
  auto location = proxy_->CreateUploadLocation(AbcRequest());
  ASSERT_TRUE(location.ok()) << location.status().ToString();
  const fs::path target =
      data_dir() / "uploads" / "flytesnacks" / "development" / kAbcMd5Base32 / "abc.txt";
  EXPECT_EQ(location->native_url(), "file://" + target.string());
  EXPECT_EQ(location->signed_url().rfind("http://127.0.0.1:8088/dataproxy/upload/", 0), 0u)
      << location->signed_url();
  ASSERT_TRUE(location->headers().contains("Content-MD5"));
  EXPECT_EQ(location->headers().at("Content-MD5"), kAbcMd5Base64);
  EXPECT_EQ(location->expires_at().seconds(), clock_.Now() / 1'000'000'000 + 3600);

  ASSERT_TRUE(Put(AbcRequest(), "abc").ok());
  EXPECT_EQ(ReadAll(target), "abc");
  // The same object again (a re-run of pyflyte register) is fine.
  EXPECT_TRUE(proxy_->CreateUploadLocation(AbcRequest()).ok());
}

TEST_F(DataProxyTest, ABodyOfAnotherMd5IsRefusedAndLeavesNothing) {
  Status st = Put(AbcRequest(), "abd");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("MD5"), std::string::npos) << st.message();
  const fs::path dir = data_dir() / "uploads" / "flytesnacks" / "development" / kAbcMd5Base32;
  ASSERT_TRUE(fs::exists(dir));
  EXPECT_TRUE(fs::is_empty(dir)) << "a temporary file was left in " << dir;
}

TEST_F(DataProxyTest, AContentMd5HeaderOtherThanTheSignedOneIsRefused) {
  auto location = proxy_->CreateUploadLocation(AbcRequest());
  ASSERT_TRUE(location.ok());
  SplitUrl url = Split(location->signed_url(), DataProxy::kUploadPrefix);
  auto upload = proxy_->StartUpload(url.path, url.query, "AAAAAAAAAAAAAAAAAAAAAA==");
  EXPECT_EQ(upload.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DataProxyTest, AnExpiredUrlIsRefused) {
  service::CreateUploadLocationRequest request = AbcRequest();
  request.mutable_expires_in()->set_seconds(60);
  auto location = proxy_->CreateUploadLocation(request);
  ASSERT_TRUE(location.ok());
  SplitUrl url = Split(location->signed_url(), DataProxy::kUploadPrefix);
  clock_.Advance(std::chrono::seconds(59));
  EXPECT_TRUE(proxy_->StartUpload(url.path, url.query, "").ok());
  clock_.Advance(std::chrono::seconds(2));
  auto upload = proxy_->StartUpload(url.path, url.query, "");
  EXPECT_EQ(upload.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(upload.status().message().find("expired"), std::string::npos)
      << upload.status().message();
}

TEST_F(DataProxyTest, AUrlChangedInAnyPartIsRefused) {
  auto location = proxy_->CreateUploadLocation(AbcRequest());
  ASSERT_TRUE(location.ok());
  const SplitUrl url = Split(location->signed_url(), DataProxy::kUploadPrefix);
  SplitUrl other_name = url;
  other_name.path.replace(other_name.path.rfind('/') + 1, std::string::npos, "other.txt");
  SplitUrl later = url;
  later.query["expires"] = std::to_string(std::stoll(url.query.at("expires")) + 3600);
  SplitUrl any_body = url;
  any_body.query["md5"] = "";
  SplitUrl unsigned_url = url;
  unsigned_url.query.erase("signature");
  for (const SplitUrl* changed : {&other_name, &later, &any_body, &unsigned_url}) {
    auto upload = proxy_->StartUpload(changed->path, changed->query, "");
    EXPECT_EQ(upload.status().code(), StatusCode::kPermissionDenied) << changed->path;
  }
}

TEST_F(DataProxyTest, BadRequestsAreInvalidArgumentsNamingTheField) {
  struct Case {
    std::function<void(service::CreateUploadLocationRequest*)> change;
    std::string says;
  };
  const std::vector<Case> cases = {
      {[](auto* r) { r->clear_project(); }, "project"},
      {[](auto* r) { r->clear_content_md5(); }, "content_md5 or filename_root"},
      {[](auto* r) { r->set_content_md5("abc"); }, "content_md5"},
      {[](auto* r) { r->mutable_expires_in()->set_seconds(7200); }, "expires_in"},
      {[](auto* r) { r->set_filename(".."); }, "filename"},
      {[](auto* r) { r->set_filename("a/b"); }, "filename"},
      {[](auto* r) { r->set_filename_root("x/../../y"); }, "upload path segment"},
  };
  for (const Case& c : cases) {
    service::CreateUploadLocationRequest request = AbcRequest();
    c.change(&request);
    auto location = proxy_->CreateUploadLocation(request);
    EXPECT_EQ(location.status().code(), StatusCode::kInvalidArgument) << c.says;
    EXPECT_NE(location.status().message().find(c.says), std::string::npos)
        << location.status().message();
  }
}

TEST_F(DataProxyTest, AnotherContentUnderATakenNameIsAlreadyExists) {
  service::CreateUploadLocationRequest request = AbcRequest();
  request.set_filename_root("code");
  ASSERT_TRUE(Put(request, "abc").ok());
  request.set_content_md5(std::string(16, '\1'));
  EXPECT_EQ(proxy_->CreateUploadLocation(request).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(DataProxyTest, DownloadsAreSignedForTheServersDataOnly) {
  ASSERT_TRUE(Put(AbcRequest(), "abc").ok());
  service::CreateDownloadLocationRequest request;
  request.set_native_url(proxy_->CreateUploadLocation(AbcRequest())->native_url());
  auto location = proxy_->CreateDownloadLocation(request);
  ASSERT_TRUE(location.ok()) << location.status().ToString();
  SplitUrl url = Split(location->signed_url(), DataProxy::kDownloadPath);
  auto uri = proxy_->CheckDownload(url.query);
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_EQ(*uri, request.native_url());
  clock_.Advance(std::chrono::seconds(3601));
  EXPECT_EQ(proxy_->CheckDownload(url.query).status().code(), StatusCode::kPermissionDenied);

  request.set_native_url("file:///etc/passwd");
  EXPECT_EQ(proxy_->CreateDownloadLocation(request).status().code(), StatusCode::kInvalidArgument);
  request.set_native_url("file://" + (data_dir() / ".." / "other").string());
  EXPECT_EQ(proxy_->CreateDownloadLocation(request).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DataProxyTest, GetDataReadsFlyteUrls) {
  service::GetDataRequest request;
  request.set_flyte_url("flyte://v1/flytesnacks/development");
  auto got = proxy_->GetData(request);
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("flyte://v1/<project>"), std::string::npos);
  request.set_flyte_url("flyte://v1/flytesnacks/development/nosuch/n0/o");
  EXPECT_EQ(proxy_->GetData(request).status().code(), StatusCode::kNotFound);
  request.set_flyte_url("flyte://v1/flytesnacks/development/nosuch/n0/d/name");
  EXPECT_EQ(proxy_->GetData(request).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace flytecpp::admin
