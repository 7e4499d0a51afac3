// The engine's side of the sandbox helper (sandbox_helper_protocol.h has
// what it is and how the two talk).
#pragma once

#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flytecpp/util/status.h"
#include "sandbox.h"
#include "sandbox_helper_protocol.h"

namespace flytecpp::runtime::internal {

// An attempt started by a helper. Its pid is the attempt's outermost process
// (not a child of the engine): kill its process group to end the attempt.
class HelperAttempt {
 public:
  // `error`: what its setup reported before its pid came (Wait returns it).
  HelperAttempt(pid_t pid, int reply, std::string error)
      : pid_(pid), reply_(reply), error_(std::move(error)) {}
  HelperAttempt(HelperAttempt&& other) noexcept
      : pid_(other.pid_),
        reply_(std::exchange(other.reply_, -1)),
        error_(std::move(other.error_)) {}
  HelperAttempt(const HelperAttempt&) = delete;
  ~HelperAttempt();
  pid_t pid() const { return pid_; }
  // Readable when the helper reports on the attempt (Next then does not block).
  int reply_fd() const { return reply_; }
  // Reads one report: nullopt while the attempt runs on; once it ended, its
  // wait status (as waitpid gives it), or an error if its setup failed or
  // the helper died.
  std::optional<Result<int>> Next();

 private:
  pid_t pid_;
  int reply_;
  std::string error_;
};

// The helpers of one process runtime, one per network setting, each started
// on first use. Thread-safe.
class SandboxHelpers {
 public:
  // `helper`: the helper executable; "" = none (every attempt a bubblewrap).
  SandboxHelpers(std::string bwrap, std::string helper);
  SandboxHelpers(const SandboxHelpers&) = delete;
  SandboxHelpers& operator=(const SandboxHelpers&) = delete;
  ~SandboxHelpers();  // closes the sockets: the helpers and their attempts end

  // Whether an attempt sandboxed as `spec` is one a helper takes: the host's
  // root, every mount target already in it, no devices. (Whether a helper
  // runs here, Start finds out.)
  bool Fits(const SandboxSpec& spec) const;

  // Starts `command` sandboxed as `spec` (which must fit). nullopt: no helper
  // could take it (it could not start, or the request is too large): start
  // a bubblewrap instead. Otherwise the attempt, or why it did not start.
  std::optional<Result<HelperAttempt>> Start(const SandboxSpec& spec,
                                             const std::vector<std::string>& command,
                                             const std::vector<std::string>& env,
                                             std::optional<uint64_t> address_space, int stdout_fd,
                                             int stderr_fd,
                                             const std::vector<std::string>& cgroup_dirs);

 private:
  struct Helper {
    int socket = -1;
    pid_t pid = -1;       // its bubblewrap
    bool broken = false;  // none, or it could not start: not tried again
  };
  // The helper for `network`, started if needed; nullptr if none can run.
  Helper* Get(bool network);
  void Stop(Helper& h);

  const std::string bwrap_, helper_;
  std::mutex mu_;  // guards helpers_ and orders the requests on each socket
  Helper helpers_[2];
};

// The helper built with flytecpp, or $FLYTECPP_SANDBOX_HELPER when set ("" or
// "none" there: no helper).
std::string DefaultSandboxHelper();

}  // namespace flytecpp::runtime::internal
