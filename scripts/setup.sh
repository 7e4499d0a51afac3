#!/usr/bin/env bash
# Installs everything flytecpp needs on a Debian 12 machine, then the pinned
# npm packages (the official flyteidl protos, the JS bindings for tests, and
# the web console's build: preact, esbuild, TypeScript; playwright-core) and
# the pinned Python environment Flyte users' tasks run with (flytekit and
# what the flytesnacks examples import: requirements.lock, in .venv, or in
# $FLYTECPP_VENV when that is set), the Go module of the scheduler's cron
# helper, and flytectl at a pinned version (in .tools, built with Go).
# Idempotent: installs only what is missing. Run as root or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  clang libclang-rt-14-dev                       # asan preset and libFuzzer
  protobuf-compiler libprotobuf-dev              # flyteidl C++ generation
  libarchive-dev libyaml-cpp-dev libcli11-dev
  libmsgpack-cxx-dev                             # flytekit's msgpack values, printed as JSON
  libgtest-dev libgmock-dev libbenchmark-dev
  libtbb-dev                                     # bench/run's in-process peer (oneTBB flow_graph)
  libsqlite3-dev
  libpq-dev postgresql                           # SQL tasks on PostgreSQL; its tests start a server
  libssl-dev                                     # SHA-256 for cache keys
  bubblewrap                                     # the task sandbox
  libgrpc++-dev protobuf-compiler-grpc           # flytecpp serve: the FlyteAdmin gRPC API
  libcpp-httplib-dev                             # flytecpp serve: its HTTP/JSON gateway
  libcurl4-openssl-dev                           # flytecpp serve: notifications (SMTP, webhooks)
  python3-aiosmtpd                               # the notification tests' SMTP sink
  curl jq sqlite3                                # tests read answers and stores with them
  slurmctld slurmd slurm-client munge            # a one-node Slurm cluster for the Slurm tests
  slurmdbd mariadb-server                        # its accounting (sacct: who cancelled a job)
  chromium                                       # the console's browser tests (playwright-core drives it)
  python3 python3-venv                           # Python tasks: a venv of the pinned flytekit
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
# Go builds the cron helper of flytecpp's scheduler (src/admin/cron) and
# flytectl. A machine that has a Go toolchain keeps it.
[[ -x /usr/local/go/bin/go ]] && export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || missing+=(golang-go)
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
# The Python environment: Debian's python3, every package pinned with its
# hashes (requirements.lock); rebuilt whenever the lock changes.
venv="${FLYTECPP_VENV:-$PWD/.venv}"
lock_hash=$(sha256sum requirements.lock | cut -d' ' -f1)
if [[ ! -f "$venv/.flytecpp-lock-hash" ]] || [[ "$(cat "$venv/.flytecpp-lock-hash")" != "$lock_hash" ]]; then
  echo "setup: python venv $venv (the pinned packages of requirements.lock)"
  if [[ -e "$venv" && ! -f "$venv/pyvenv.cfg" ]]; then
    echo "setup: $venv exists and is not a Python venv; move it away or set FLYTECPP_VENV" >&2
    exit 1
  fi
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r requirements.lock
  echo "$lock_hash" >"$venv/.flytecpp-lock-hash"
fi
# The cron helper's one dependency (robfig/cron, the parser Flyte's scheduler
# uses), at the version and hash its go.sum pins: the build then needs no
# network.
(cd src/admin/cron && go mod download)

# flytectl, Flyte's Go CLI, for the tests of Flyte's own clients: the
# standalone module at an exact version, its module hash checked, built from
# the Go module proxy. `go install module@version` refuses it (its go.mod has
# `replace` lines), so a copy of the module is built as the main module, where
# its go.sum checks every dependency.
FLYTECTL_MODULE=github.com/flyteorg/flytectl
FLYTECTL_VERSION=v0.8.22
FLYTECTL_SUM="h1:hYQsJMawNvnsRnOgPic/217KqNMlKK/fCtU/6Ls978Q="
tools="$PWD/.tools"
if [[ ! -x "$tools/flytectl-$FLYTECTL_VERSION" ]]; then
  echo "setup: building flytectl $FLYTECTL_VERSION"
  info=$(cd / && go mod download -json "$FLYTECTL_MODULE@$FLYTECTL_VERSION")
  if [[ $(jq -r .Sum <<<"$info") != "$FLYTECTL_SUM" ]]; then
    echo "setup: $FLYTECTL_MODULE@$FLYTECTL_VERSION is not the pinned module ($FLYTECTL_SUM)" >&2
    exit 1
  fi
  src=$(mktemp -d)
  cp -r "$(jq -r .Dir <<<"$info")/." "$src"
  chmod -R u+w "$src"
  mkdir -p "$tools"
  (cd "$src" && go build -trimpath -o "$tools/flytectl-$FLYTECTL_VERSION.part" .)
  rm -rf "$src"
  mv "$tools/flytectl-$FLYTECTL_VERSION.part" "$tools/flytectl-$FLYTECTL_VERSION"
fi
ln -sfn "flytectl-$FLYTECTL_VERSION" "$tools/flytectl"
echo "setup: ok"
