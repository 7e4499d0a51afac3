#!/usr/bin/env bash
# flytecpp serve on a PostgreSQL that restarts under it (a private server:
# the shared one serves other tests): the calls after the restart work (the
# connections are made again), an execution gated across the restart is
# released and finishes, a new one runs; nothing is lost.
# Usage: pg_reconnect_test.sh FLYTECPP WORK_DIR EXAMPLE_PROCESS_PACKAGE EXAMPLE_CONSOLE_PACKAGE
set -uo pipefail
FLYTECPP=$(realpath "$1")
WORK=$2
MAKER=$3
GATED_MAKER=$4
SUPPORT=$(cd "$(dirname "$0")/../support" && pwd)
rm -rf "$WORK" && mkdir -p "$WORK"
source "$SUPPORT/checks.sh"

PG=$(mktemp -d /tmp/flytecpp-pgr-XXXXXX)  # short: the server's socket path
rmdir "$PG"
"$SUPPORT/postgres.sh" start "$PG" >/dev/null 2>"$WORK/pg.err"
if [[ ! -f "$PG/conninfo" ]]; then
  echo "SKIPPED: NO POSTGRESQL ($(head -1 "$WORK/pg.err"))"
  exit 0
fi
port=$(grep -o 'port=[0-9]*' "$PG/conninfo" | cut -d= -f2)
URL="postgresql://flyte:$(cat "$PG/password")@127.0.0.1:$port/postgres"
"$FLYTECPP" --store "$URL" --home "$WORK/home" serve --grpc 127.0.0.1:0 --http 127.0.0.1:0 \
  >"$WORK/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; "$SUPPORT/postgres.sh" stop "$PG"' EXIT
for _ in $(seq 100); do grep -q "HTTP on" "$WORK/serve.out" && break; sleep 0.1; done
G=$(grep -o "gRPC on [^,]*" "$WORK/serve.out" | cut -d' ' -f3)
[[ -n "$G" ]] || { echo "FAIL - serve did not start: $(cat "$WORK/serve.out")"; exit 1; }
cli() { "$FLYTECPP" --store "$WORK/cli-store" "$@" --server "$G"; }

"$MAKER" "$WORK/pkg" >/dev/null && tar -czf "$WORK/pkg.tgz" -C "$WORK/pkg" .
run_ok "an execution before the restart" cli run "$WORK/pkg.tgz" --exec-id before
expect_in "it succeeded" "execution before SUCCEEDED" "$out"

# One waits at its approve gate while the database restarts.
"$GATED_MAKER" "$WORK/gated" >/dev/null && tar -czf "$WORK/gated.tgz" -C "$WORK/gated" .
run_ok "an execution that waits at a gate" cli run "$WORK/gated.tgz" --workflow console.review \
  --exec-id gated --detach
for _ in $(seq 100); do cli signals ls gated 2>/dev/null | grep -q waiting && break; sleep 0.1; done
check "its gate waits" "$(cli signals ls gated | awk 'NR > 1 {print $2, $4}')" "review waiting"

"$SUPPORT/postgres.sh" restart "$PG" || { echo "FAIL - PostgreSQL did not restart"; exit 1; }
run_ok "approving it after the restart" cli approve gated review
for _ in $(seq 100); do
  phase=$(cli executions get gated 2>/dev/null | awk '/^phase:/ {print $2}')
  [[ "$phase" == SUCCEEDED || "$phase" == FAILED ]] && break
  sleep 0.1
done
check "it goes on to the end" "$phase" SUCCEEDED
run_ok "a read after the restart" cli executions get before
expect_in "answers from the database" "SUCCEEDED" "$out"
run_ok "an execution after the restart" cli run "$WORK/pkg.tgz" --exec-id after
expect_in "it succeeded" "execution after SUCCEEDED" "$out"
run_ok "the server lists both" cli executions ls
expect_in "before" "before" "$out"
expect_in "after" "after" "$out"
if kill -0 "$server" 2>/dev/null; then ok "the server still runs"; else bad "the server died"; fi
finish
