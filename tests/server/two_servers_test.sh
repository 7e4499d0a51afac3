#!/usr/bin/env bash
# Two `flytecpp serve` processes on one PostgreSQL database (the throwaway
# server the test command starts) share the work: executions created on A
# are seen on B; A is killed with SIGKILL while it runs them, and B adopts
# and finishes every one, with the right outputs.
# Usage: with_pg_database.sh two_servers_test.sh FLYTECPP WORKDIR
set -uo pipefail
FLYTECPP=$(realpath "$1")
WORK=$2
URL=${FLYTECPP_TEST_STORE_URL:?run me through tests/support/with_pg_database.sh}
rm -rf "$WORK" && mkdir -p "$WORK"
source "$(dirname "$0")/../support/checks.sh"

servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT

start() { # start NAME: a server on the shared database and home; sets $H_<NAME>
  "$FLYTECPP" --store "$URL" --home "$WORK/home" serve --grpc 127.0.0.1:0 --http 127.0.0.1:0 \
    >"$WORK/$1.out" 2>&1 &
  servers+=($!)
  eval "PID_$1=$!"
  for _ in $(seq 100); do grep -q "HTTP on" "$WORK/$1.out" && break; sleep 0.1; done
  eval "H_$1=http://$(grep -o "HTTP on [^,]*" "$WORK/$1.out" | cut -d' ' -f3)"
}
start A
start B
password=$(sed -E 's|^postgresql://[^:]*:([^@]*)@.*|\1|' <<<"$URL")
shown=$(sed -E 's|^postgresql://[^@]*@|postgres://|' <<<"$URL")
if grep -q "$password" "$WORK/A.out"; then bad "serve printed the database password"; fi
check "both servers name the database, not its password" \
  "$(grep -c "store $shown" "$WORK/A.out" "$WORK/B.out" | cut -d: -f2 | xargs)" "1 1"

api() { # api BASE METHOD PATH [BODY]
  curl -s -X "$2" -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$1$3"
}
P='"project":"flytesnacks","domain":"development"'
id() { echo "{\"resource_type\":\"$1\",$P,\"name\":\"two.slow_double\",\"version\":\"v1\"}"; }
INT='{"simple":"INTEGER"}'
IO="{\"inputs\":{\"variables\":{\"x\":{\"type\":$INT}}},\"outputs\":{\"variables\":{\"y\":{\"type\":$INT}}}}"
api "$H_A" POST /api/v1/tasks "{\"id\":$(id TASK),\"spec\":{\"template\":{\"id\":$(id TASK),
  \"type\":\"raw-container\",\"metadata\":{},\"interface\":$IO,\"container\":{\"image\":\"debian:12\",
  \"command\":[\"sh\",\"-c\",\"sleep 4; expr \$(cat /var/inputs/x) \\\\* 2 > /var/outputs/y\"],
  \"data_config\":{\"enabled\":true,\"input_path\":\"/var/inputs\",\"output_path\":\"/var/outputs\"}}}}}" >/dev/null
api "$H_A" POST /api/v1/workflows "{\"id\":$(id WORKFLOW),\"spec\":{\"template\":{\"id\":$(id WORKFLOW),
  \"metadata\":{},\"interface\":$IO,\"nodes\":[{\"id\":\"n0\",\"inputs\":[{\"var\":\"x\",\"binding\":
  {\"promise\":{\"node_id\":\"start-node\",\"var\":\"x\"}}}],\"task_node\":{\"reference_id\":$(id TASK)}}],
  \"outputs\":[{\"var\":\"y\",\"binding\":{\"promise\":{\"node_id\":\"n0\",\"var\":\"y\"}}}]}}}" >/dev/null
api "$H_A" POST /api/v1/launch_plans "{\"id\":$(id LAUNCH_PLAN),\"spec\":{\"workflow_id\":$(id WORKFLOW)}}" >/dev/null
check "what A registered, B serves" \
  "$(api "$H_B" GET /api/v1/launch_plans/flytesnacks/development/two.slow_double/v1 | jq -r .id.name)" \
  two.slow_double

for i in 1 2 3 4; do
  api "$H_A" POST /api/v1/executions "{$P,\"name\":\"x$i\",\"spec\":{\"launch_plan\":$(id LAUNCH_PLAN)},
    \"inputs\":{\"literals\":{\"x\":{\"scalar\":{\"primitive\":{\"integer\":\"$((i * 10))\"}}}}}}" >/dev/null
done
phase() { api "$1" GET "/api/v1/executions/flytesnacks/development/$2" | jq -r .closure.phase; }
running=0
for _ in $(seq 100); do
  running=0
  for i in 1 2 3 4; do [[ "$(phase "$H_B" "x$i")" == RUNNING ]] && running=$((running + 1)); done
  ((running == 4)) && break
  sleep 0.1
done
check "four executions created on A are RUNNING, as B sees them" "$running" 4

kill -9 "$PID_A"
wait "$PID_A" 2>/dev/null
check "server A was killed with SIGKILL" "$?" 137
# Nobody runs them now (B adopts after its next look): still unfinished,
# so B is the one that finishes them.
unfinished=0
for i in 1 2 3 4; do [[ "$(phase "$H_B" "x$i")" == RUNNING ]] && unfinished=$((unfinished + 1)); done
check "... while it ran them: none had finished" "$unfinished" 4

done_count=0
for _ in $(seq 600); do
  done_count=0
  for i in 1 2 3 4; do
    case "$(phase "$H_B" "x$i")" in SUCCEEDED | FAILED | ABORTED) done_count=$((done_count + 1)) ;; esac
  done
  ((done_count == 4)) && break
  sleep 0.1
done
check "B adopts and ends all four" "$done_count" 4
for i in 1 2 3 4; do
  check "x$i SUCCEEDED with y = $((i * 20))" \
    "$(phase "$H_B" "x$i") $(api "$H_B" GET "/api/v1/data/executions/flytesnacks/development/x$i" |
       jq -r .full_outputs.literals.y.scalar.primitive.integer)" "SUCCEEDED $((i * 20))"
done

finish
