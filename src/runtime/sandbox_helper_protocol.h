// The sandbox helper: a long-lived process, started once per network setting
// inside a bubblewrap sandbox that has made the shared part of every task's
// sandbox (the read-only root, /dev, an empty network namespace). It starts
// each attempt with a fork into new mount, pid, IPC and UTS namespaces where
// only the attempt's own mounts are made (its /proc, a private /tmp, its
// writable directories) — 1–2 ms, where a fresh bubblewrap per task
// costs 4–5. See docs/runtime.md.
//
// Protocol, over a SOCK_SEQPACKET socket that is the helper's stdin: one
// message per attempt, the fields of HelperRequest as NUL-terminated strings,
// with descriptors attached (SCM_RIGHTS): the attempt's reply socket, its
// stdout and stderr, and the cgroup.procs files it joins. On the reply
// socket the helper answers "pid <n>" (the attempt's outermost process, in
// the engine's pid namespace: killing it ends the attempt's pid namespace)
// and then "exit <wait status>", or "error <message>" if it could not start.
// When the engine's end closes, the helper and every attempt end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace flytecpp::runtime::internal {

struct HelperMount {
  std::string host, inside;
  bool read_only = true;
};

struct HelperRequest {
  std::vector<std::string> argv;  // argv[0] looked up on the env's PATH
  std::vector<std::string> env;   // KEY=VALUE
  std::string workdir;
  std::optional<uint64_t> address_space;  // RLIMIT_AS, bytes
  std::vector<HelperMount> mounts;        // binds, made in this order
};

std::string EncodeHelperRequest(const HelperRequest& request);
// False when `data` is not a whole request.
bool DecodeHelperRequest(const std::string& data, HelperRequest* request);

// Where the helper sees the host's /dev, which its own /dev covers (a store
// on /dev/shm): mount sources under /dev are named from here. Each attempt
// detaches it once its mounts are made; tasks never see it.
constexpr const char* kHelperHostDev = "/dev/.flytecpp-host";

// The largest request a message carries; a larger one (a huge environment)
// starts through bubblewrap instead.
constexpr size_t kMaxHelperRequestBytes = 96 * 1024;
// Descriptors per request: reply, stdout, stderr and up to this many cgroups.
constexpr int kMaxHelperCgroups = 8;

}  // namespace flytecpp::runtime::internal
