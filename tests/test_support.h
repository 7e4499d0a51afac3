// Shared helpers for flytecpp tests.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace flytecpp::testing {

// The conformance artifacts directory (../shared/conformance, or
// $FLYTECPP_CONFORMANCE_DIR), if it exists.
inline std::optional<std::filesystem::path> ConformanceDir() {
  const char* env = std::getenv("FLYTECPP_CONFORMANCE_DIR");
  std::filesystem::path dir = env != nullptr ? env : FLYTECPP_CONFORMANCE_DEFAULT;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  return dir;
}

// Sorted regular files in `dir` whose names end with `suffix`.
inline std::vector<std::filesystem::path> FilesEndingWith(const std::filesystem::path& dir,
                                                          const std::string& suffix) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A TCP listener on the host's loopback, on a port of the kernel's choice:
// what a sandboxed task must not reach without network.
class LoopbackListener {
 public:
  LoopbackListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on the loopback";
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~LoopbackListener() { ::close(fd_); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
  std::string port() const { return std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A fresh, empty temporary directory removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "flytecpp-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace flytecpp::testing

// Skips the test, loudly, when the conformance artifacts are absent.
#define FLYTECPP_REQUIRE_CONFORMANCE(var)                                            \
  auto var##_opt = ::flytecpp::testing::ConformanceDir();                            \
  if (!var##_opt) {                                                                  \
    GTEST_SKIP() << "conformance artifacts not found: set FLYTECPP_CONFORMANCE_DIR " \
                    "or place them at " FLYTECPP_CONFORMANCE_DEFAULT;                \
  }                                                                                  \
  const std::filesystem::path var = *var##_opt
