#include "sandbox_helper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "flytecpp/util/find_program.h"
#include "spawn.h"

#ifndef FLYTECPP_SANDBOX_HELPER
#define FLYTECPP_SANDBOX_HELPER ""
#endif

namespace flytecpp::runtime::internal {

namespace {

// One message from a SOCK_SEQPACKET socket; "" at its end or on an error.
std::string Receive(int fd) {
  char buffer[512];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }
}

bool Starts(const std::string& message, const char* prefix, std::string* rest) {
  const size_t n = std::strlen(prefix);
  if (message.compare(0, n, prefix) != 0) return false;
  *rest = message.substr(n);
  return true;
}

}  // namespace

std::string DefaultSandboxHelper() {
  if (const char* env = std::getenv("FLYTECPP_SANDBOX_HELPER")) {
    return std::string(env) == "none" ? "" : env;
  }
  return FLYTECPP_SANDBOX_HELPER;
}

HelperAttempt::~HelperAttempt() {
  if (reply_ >= 0) ::close(reply_);
}

std::optional<Result<int>> HelperAttempt::Next() {
  const std::string message = Receive(reply_);
  std::string rest;
  if (Starts(message, "error ", &rest)) {
    error_ = rest;  // its "exit" follows
    return std::nullopt;
  }
  if (Starts(message, "exit ", &rest)) {
    if (!error_.empty()) return Internal("the sandbox could not start the task: " + error_);
    return std::atoi(rest.c_str());
  }
  if (message.empty()) {
    return Internal("the sandbox helper ended before the task did" +
                    (error_.empty() ? std::string() : ": " + error_));
  }
  return std::nullopt;  // a report of no interest
}

SandboxHelpers::SandboxHelpers(std::string bwrap, std::string helper)
    : bwrap_(std::move(bwrap)), helper_(std::move(helper)) {
  helpers_[0].broken = helpers_[1].broken = helper_.empty() || ::access(helper_.c_str(), X_OK) != 0;
}

SandboxHelpers::~SandboxHelpers() {
  for (Helper& h : helpers_) Stop(h);
}

void SandboxHelpers::Stop(Helper& h) {
  if (h.socket >= 0) ::close(h.socket);  // the helper sees its end and exits
  h.socket = -1;
  if (h.pid > 0) {
    int status;
    while (::waitpid(h.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  h.pid = -1;
}

bool SandboxHelpers::Fits(const SandboxSpec& spec) const {
  if (spec.root != "/" || !spec.dev_binds.empty()) return false;
  std::vector<std::string> targets = {spec.data_dir, spec.out_dir, spec.workdir};
  for (const auto& [host, inside] : spec.ro_binds) targets.push_back(inside);
  for (const auto& [host, inside] : spec.rw_binds) targets.push_back(inside);
  // Sources are named as the host names them; the helper's view replaces
  // /proc and /sys (and /dev, which it also sees at kHelperHostDev).
  auto hidden = [](const std::string& host) {
    return host.rfind("/proc/", 0) == 0 || host.rfind("/sys/", 0) == 0;
  };
  for (const auto* binds : {&spec.ro_binds, &spec.rw_binds}) {
    for (const auto& [host, inside] : *binds) {
      if (hidden(host)) return false;
    }
  }
  if (hidden(spec.data_dir) || hidden(spec.out_dir)) return false;
  return SandboxTargetsExist(spec.root, targets);
}

SandboxHelpers::Helper* SandboxHelpers::Get(bool network) {
  Helper& h = helpers_[network ? 1 : 0];
  if (h.broken) return nullptr;
  if (h.socket >= 0) return &h;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    h.broken = true;
    return nullptr;
  }
  // What every attempt shares: the host's root read-only, /sys hidden, a
  // minimal /dev, and (without network) one empty network namespace. The
  // helper does not get a pid namespace of its own: it reports pids the
  // engine can signal. Each attempt gets its own pid, mount, IPC and UTS
  // namespaces from the helper.
  SpawnRequest request;
  request.argv = {bwrap_};
  if (!network) request.argv.push_back("--unshare-net");
  request.argv.insert(request.argv.end(),
                      {"--ro-bind", "/", "/", "--tmpfs", "/sys", "--dev", "/dev", "--ro-bind",
                       "/dev", kHelperHostDev, "--proc", "/proc", "--", helper_});
  request.search_path = OwnSearchPath();
  request.cwd = "/";
  request.stdin_fd = sv[1];
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  request.stdout_fd = devnull;
  request.stderr_fd = 2;  // what it cannot report to an attempt, it says here
  auto spawned = Spawn(request);
  ::close(devnull);
  ::close(sv[1]);
  h.socket = sv[0];
  h.pid = spawned.ok() ? *spawned : -1;
  // It says "ready" once it runs; a helper that cannot start is not tried
  // again (attempts then start a bubblewrap each, as without one).
  pollfd ready{h.socket, POLLIN, 0};
  if (!spawned.ok() || ::poll(&ready, 1, 10000) != 1 || Receive(h.socket) != "ready") {
    if (h.pid > 0) ::kill(h.pid, SIGKILL);
    Stop(h);
    h.broken = true;
    return nullptr;
  }
  return &h;
}

std::optional<Result<HelperAttempt>> SandboxHelpers::Start(
    const SandboxSpec& spec, const std::vector<std::string>& command,
    const std::vector<std::string>& env, std::optional<uint64_t> address_space, int stdout_fd,
    int stderr_fd, const std::vector<std::string>& cgroup_dirs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (helpers_[spec.network ? 1 : 0].broken) return std::nullopt;  // without making anything
  }
  HelperRequest request;
  request.argv = command;
  request.env = env;
  request.workdir = spec.workdir;
  request.address_space = address_space;
  // In bubblewrap's order (SandboxArgv): the node's data read-only (a
  // private /tmp may have hidden it), the attempt's directory writable
  // within it, then what is mounted elsewhere.
  auto source = [](const std::string& host) {
    return host.rfind("/dev/", 0) == 0 ? kHelperHostDev + host.substr(4) : host;
  };
  request.mounts = {{source(spec.data_dir), spec.data_dir, true},
                    {source(spec.out_dir), spec.out_dir, false}};
  for (const auto& [host, inside] : spec.rw_binds) {
    request.mounts.push_back({source(host), inside, false});
  }
  for (const auto& [host, inside] : spec.ro_binds) {
    request.mounts.push_back({source(host), inside, true});
  }
  const std::string message = EncodeHelperRequest(request);
  if (message.size() > kMaxHelperRequestBytes || cgroup_dirs.size() > kMaxHelperCgroups) {
    return std::nullopt;
  }
  int reply[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, reply) != 0) return std::nullopt;
  std::vector<int> fds = {reply[1], stdout_fd, stderr_fd};
  for (const auto& dir : cgroup_dirs) {
    const int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) fds.push_back(fd);
  }
  auto close_sent = [&] {
    ::close(reply[1]);
    for (size_t i = 3; i < fds.size(); ++i) ::close(fds[i]);
  };
  bool sent = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Helper* h = Get(spec.network)) {
      iovec iov{const_cast<char*>(message.data()), message.size()};
      std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
      sent = ::sendmsg(h->socket, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(message.size());
      if (!sent) Stop(*h);  // it died: started again by the next attempt
    }
  }
  close_sent();
  if (!sent) {
    ::close(reply[0]);
    return std::nullopt;
  }
  std::string error;
  for (;;) {
    const std::string answer = Receive(reply[0]);
    std::string rest;
    if (Starts(answer, "pid ", &rest)) {
      return Result<HelperAttempt>(HelperAttempt(std::atoi(rest.c_str()), reply[0], error));
    }
    if (Starts(answer, "error ", &rest)) {
      error = rest;
      continue;
    }
    ::close(reply[0]);
    return Result<HelperAttempt>(
        Internal("the sandbox could not start the task: " +
                 (error.empty() ? std::string("its helper ended") : error)));
  }
}

}  // namespace flytecpp::runtime::internal
