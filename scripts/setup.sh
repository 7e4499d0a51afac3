#!/usr/bin/env bash
# Installs everything flytecpp needs on a Debian 12 machine, then the pinned
# npm packages (the official flyteidl protos, the JS bindings for tests, and
# the web console's build: preact, esbuild, TypeScript; playwright-core).
# Idempotent: installs only what is missing. Run as root or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  clang libclang-rt-14-dev                       # asan preset and libFuzzer
  protobuf-compiler libprotobuf-dev              # flyteidl C++ generation
  libarchive-dev libyaml-cpp-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtbb-dev                                     # bench/run's in-process peer (oneTBB flow_graph)
  libsqlite3-dev
  libpq-dev postgresql                           # SQL tasks on PostgreSQL; its tests start a server
  libssl-dev                                     # SHA-256 for cache keys
  bubblewrap                                     # the task sandbox
  libgrpc++-dev protobuf-compiler-grpc           # flytecpp serve: the FlyteAdmin gRPC API
  libcpp-httplib-dev                             # flytecpp serve: its HTTP/JSON gateway
  curl jq sqlite3                                # tests read answers and stores with them
  slurmctld slurmd slurm-client munge            # a one-node Slurm cluster for the Slurm tests
  slurmdbd mariadb-server                        # its accounting (sacct: who cancelled a job)
  chromium                                       # the console's browser tests (playwright-core drives it)
)

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: run as root (or install sudo) to install packages" >&2; exit 1
  fi
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Node.js runs the interop tests and npm fetches the pinned protos. A machine
# that already has a node (e.g. from another repository) keeps it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Exact versions and integrity hashes come from package-lock.json. Install
# scripts are not needed (protobufjs' only checks its own version).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.flytecpp-lock-hash ]] || [[ "$(cat node_modules/.flytecpp-lock-hash)" != "$lock_hash" ]]; then
  echo "setup: npm ci (the pinned packages of package-lock.json)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >node_modules/.flytecpp-lock-hash
fi
echo "setup: ok"
