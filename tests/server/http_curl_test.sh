#!/usr/bin/env bash
# flytecpp serve over HTTP, driven by curl as a script or a person would:
# flyteadmin's /api/v1 paths with JSON bodies — register, launch, watch,
# read outputs and logs, approve a gate, terminate — plus the errors a
# client sees — and the flytecpp commands with --server against it.
# Usage: http_curl_test.sh FLYTECPP WORKDIR [EXAMPLE_PROCESS_PACKAGE]
set -uo pipefail
FLYTECPP=$(realpath "$1")
WORK=$2
MAKER=${3:-}  # example_process_package: writes a pyflyte package for run --server
rm -rf "$WORK" && mkdir -p "$WORK"
source "$(dirname "$0")/../support/checks.sh"

# The store: a directory, or the PostgreSQL database with_pg_database.sh made.
store=(--store "$WORK/store")
[[ -z "${FLYTECPP_TEST_STORE_URL:-}" ]] || store=(--store "$FLYTECPP_TEST_STORE_URL" --home "$WORK/home")
"$FLYTECPP" "${store[@]}" serve --grpc 127.0.0.1:0 --http 127.0.0.1:0 >"$WORK/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q "HTTP on" "$WORK/serve.out" && break; sleep 0.1; done
H=http://$(grep -o "HTTP on [^,]*" "$WORK/serve.out" | cut -d' ' -f3)
[[ "$H" != "http://" ]] || { echo "FAIL - serve did not start: $(cat "$WORK/serve.out")"; exit 1; }

# api METHOD PATH [BODY]: prints the answer's body; the HTTP status goes to $WORK/status.
api() {
  curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data-binary "$3"} "$H$2" >"$WORK/status"
  cat "$WORK/body"
}
status() { cat "$WORK/status"; }

check "GET /api/v1/version" "$(api GET /api/v1/version | jq -r '.control_plane_version.Build')" flytecpp

# ---- Register a task, its workflow and launch plan (JSON, proto3 mapping).
P='"project":"flytesnacks","domain":"development"'
id() { echo "{\"resource_type\":\"$1\",$P,\"name\":\"$2\",\"version\":\"v1\"}"; }
INT='{"simple":"INTEGER"}'
IO="{\"inputs\":{\"variables\":{\"x\":{\"type\":$INT}}},\"outputs\":{\"variables\":{\"y\":{\"type\":$INT}}}}"
task() { # task NAME SCRIPT
  echo "{\"id\":$(id TASK "$1"),\"spec\":{\"template\":{\"id\":$(id TASK "$1"),\"type\":\"raw-container\",
    \"metadata\":{},\"interface\":$IO,\"container\":{\"image\":\"debian:12\",\"command\":[\"sh\",\"-c\",\"$2\"],
    \"data_config\":{\"enabled\":true,\"input_path\":\"/var/inputs\",\"output_path\":\"/var/outputs\"}}}}}"
}
workflow() { # workflow NAME TASK [GATE]
  local nodes="{\"id\":\"n0\",\"inputs\":[{\"var\":\"x\",\"binding\":{\"promise\":{\"node_id\":\"start-node\",\"var\":\"x\"}}}],
    \"task_node\":{\"reference_id\":$(id TASK "$2")}${3:+,\"upstream_node_ids\":[\"gate\"]}}"
  [[ -n "${3:-}" ]] && nodes="{\"id\":\"gate\",\"gate_node\":{\"approve\":{\"signal_id\":\"go\"}}},$nodes"
  echo "{\"id\":$(id WORKFLOW "$1"),\"spec\":{\"template\":{\"id\":$(id WORKFLOW "$1"),\"metadata\":{},
    \"interface\":$IO,\"nodes\":[$nodes],
    \"outputs\":[{\"var\":\"y\",\"binding\":{\"promise\":{\"node_id\":\"n0\",\"var\":\"y\"}}}]}}}"
}
launch_plan() { # launch_plan NAME
  echo "{\"id\":$(id LAUNCH_PLAN "$1"),\"spec\":{\"workflow_id\":$(id WORKFLOW "$1"),
    \"default_inputs\":{\"parameters\":{\"x\":{\"var\":{\"type\":$INT},
    \"default\":{\"scalar\":{\"primitive\":{\"integer\":\"4\"}}}}}}}}"
}
api POST /api/v1/tasks "$(task curl.double 'echo doubling >&2; expr $(cat /var/inputs/x) \\* 2 > /var/outputs/y')" >/dev/null
check "POST /api/v1/tasks registers a task" "$(status)" 200
api POST /api/v1/tasks "$(task curl.double 'echo doubling >&2; expr $(cat /var/inputs/x) \\* 2 > /var/outputs/y')" >/dev/null
check "registering it again is 409 (ALREADY_EXISTS)" "$(status)" 409
api POST /api/v1/tasks "$(task curl.slow 'sleep 600')" >/dev/null
for wf in curl.double:curl.double curl.slow:curl.slow; do
  api POST /api/v1/workflows "$(workflow "${wf%%:*}" "${wf##*:}")" >/dev/null
  api POST /api/v1/launch_plans "$(launch_plan "${wf%%:*}")" >/dev/null
done
api POST /api/v1/workflows "$(workflow curl.gated curl.double gate)" >/dev/null
api POST /api/v1/launch_plans "$(launch_plan curl.gated)" >/dev/null
check "workflows and launch plans registered (the last: 200)" "$(status)" 200
check "GET /api/v1/launch_plans/{project}/{domain} lists them" \
  "$(api GET '/api/v1/launch_plans/flytesnacks/development?limit=10&sort_by.key=name&sort_by.direction=ASCENDING' |
     jq -r '[.launch_plans[].id.name] | join(",")')" "curl.double,curl.gated,curl.slow"

# ---- Launch, watch, read outputs.
launch() { # launch NAME LP [INPUTS]
  api POST /api/v1/executions "{$P,\"name\":\"$1\",\"spec\":{\"launch_plan\":$(id LAUNCH_PLAN "$2")}${3:+,\"inputs\":$3}}"
}
wait_phase() { # wait_phase NAME PHASE...: prints the phase it ended in
  local phase=""
  for _ in $(seq 300); do
    phase=$(api GET "/api/v1/executions/flytesnacks/development/$1" | jq -r '.closure.phase')
    for want in "${@:2}"; do [[ "$phase" == "$want" ]] && { echo "$phase"; return; }; done
    sleep 0.1
  done
  echo "$phase"
}
launch e1 curl.double '{"literals":{"x":{"scalar":{"primitive":{"integer":"21"}}}}}' >/dev/null
check "POST /api/v1/executions creates e1" "$(status)" 200
check "e1 reaches SUCCEEDED" "$(wait_phase e1 SUCCEEDED FAILED ABORTED)" SUCCEEDED
check "GET /api/v1/data/executions: full_outputs" \
  "$(api GET /api/v1/data/executions/flytesnacks/development/e1 |
     jq -r '.full_outputs.literals.y.scalar.primitive.integer')" 42
check "GET /api/v1/node_executions lists the top-level nodes" \
  "$(api GET '/api/v1/node_executions/flytesnacks/development/e1?limit=10' |
     jq -r '[.node_executions[].id.node_id] | sort | join(",")')" "end-node,n0,start-node"
check "GET /api/v1/node_executions/.../n0: SUCCEEDED" \
  "$(api GET /api/v1/node_executions/flytesnacks/development/e1/n0 | jq -r '.closure.phase')" SUCCEEDED
tasks=$(api GET '/api/v1/task_executions/flytesnacks/development/e1/n0?limit=10')
check "GET /api/v1/task_executions: one attempt" "$(jq -r '.task_executions | length' <<<"$tasks")" 1
log=$(jq -r '.task_executions[0].closure.logs[] | select(.name == "stderr") | .uri' <<<"$tasks")
check "the attempt's stderr log is served where its TaskLog says" "$(curl -s "$log")" doubling
check "a log of no such node is 404" \
  "$(curl -s -o /dev/null -w '%{http_code}' "${log/\/n0\//\/n9\/}")" 404
check "a followed log of an ended attempt is all of it, and ends" \
  "$(curl -s --max-time 20 "$log?follow=true")" doubling

# ---- Blobs: files of the server's data, and nothing else.
input_uri=$(api GET /api/v1/node_executions/flytesnacks/development/e1/n0 | jq -r '.input_uri')
# Small data lives in the store's database, not in the file its URI names.
check "GET /blobs serves data the store keeps in its database (n0's inputs: x = 21)" \
  "$(curl -s -o "$WORK/blob" -w '%{http_code}' --get --data-urlencode "uri=$input_uri" "$H/blobs"; \
     [[ ! -e ${input_uri#file://} ]] && echo " $(protoc --decode_raw <"$WORK/blob" | tr -s ' \n' ' ')")" \
  '200 1 { 1: "x" 2 { 1 { 1 { 1: 21 } } } } '
attempt_file="$(dirname "${input_uri#file://}")/0/stderr.log"
check "GET /blobs serves a file of the data (n0's stderr log)" \
  "$(curl -s -o "$WORK/blob" -w '%{http_code}' --get --data-urlencode "uri=file://$attempt_file" \
     "$H/blobs"; cmp -s "$WORK/blob" "$attempt_file" && echo " same bytes")" "200 same bytes"
check "GET /blobs refuses a file outside the data" \
  "$(curl -s -o /dev/null -w '%{http_code}' --get --data-urlencode "uri=file:///etc/passwd" "$H/blobs")" 404
check "GET /blobs refuses a way out of the data through .." \
  "$(curl -s -o /dev/null -w '%{http_code}' --get \
     --data-urlencode "uri=${input_uri%/*}/../../../../../../../../etc/passwd" "$H/blobs")" 404

# ---- The console's change feed: notices of what the engine records.
curl -sN --max-time 30 "$H/events" >"$WORK/events" &
feed=$!
# Subscribed once the stream has said hello (the feed is opened before it is).
for _ in $(seq 100); do grep -q "flytecpp change feed" "$WORK/events" && break; sleep 0.1; done

# ---- A gate approved with POST /api/v1/signals.
launch g1 curl.gated >/dev/null
check "g1 waits at its gate (RUNNING)" "$(wait_phase g1 RUNNING)" RUNNING
check "GET /api/v1/signals lists the gate's signal" \
  "$(api GET '/api/v1/signals/flytesnacks/development/g1?limit=10' | jq -r '.signals[0].id.signal_id')" go
api POST /api/v1/signals '{"id":{"execution_id":{'"$P"',"name":"g1"},"signal_id":"go"},
  "value":{"scalar":{"primitive":{"boolean":true}}}}' >/dev/null
check "POST /api/v1/signals approves" "$(status)" 200
check "g1 then SUCCEEDS with the default input doubled" "$(wait_phase g1 SUCCEEDED FAILED)" SUCCEEDED
check "g1's output" "$(api GET /api/v1/data/executions/flytesnacks/development/g1 |
  jq -r '.full_outputs.literals.y.scalar.primitive.integer')" 8
kill $feed 2>/dev/null; wait $feed 2>/dev/null
check "GET /events: the stream names itself" "$(head -1 "$WORK/events")" ": flytecpp change feed"
check "GET /events: g1's gate waiting was pushed" \
  "$(grep -c '"execution":"g1","kind":"node","node":"gate","phase":"RUNNING"' "$WORK/events")" 1
check "GET /events: g1's success was pushed" \
  "$(grep -c '"execution":"g1","kind":"workflow","node":"","phase":"SUCCEEDED"' "$WORK/events")" 1

# ---- Terminate a running execution.
launch s1 curl.slow >/dev/null
wait_phase s1 RUNNING >/dev/null
api DELETE /api/v1/executions/flytesnacks/development/s1 '{"cause":"enough"}' >/dev/null
check "DELETE /api/v1/executions/... terminates" "$(status)" 200
check "s1 ends ABORTED" "$(wait_phase s1 ABORTED FAILED SUCCEEDED)" ABORTED

# ---- Recover: what succeeded is reused (RECOVERED), the rest runs again.
api POST /api/v1/tasks "$(task curl.fail 'echo no >&2; exit 1')" >/dev/null
api POST /api/v1/workflows "{\"id\":$(id WORKFLOW curl.two),\"spec\":{\"template\":{\"id\":$(id WORKFLOW curl.two),
  \"metadata\":{},\"interface\":$IO,\"nodes\":[
  {\"id\":\"n0\",\"inputs\":[{\"var\":\"x\",\"binding\":{\"promise\":{\"node_id\":\"start-node\",\"var\":\"x\"}}}],
   \"task_node\":{\"reference_id\":$(id TASK curl.double)}},
  {\"id\":\"n1\",\"inputs\":[{\"var\":\"x\",\"binding\":{\"promise\":{\"node_id\":\"n0\",\"var\":\"y\"}}}],
   \"task_node\":{\"reference_id\":$(id TASK curl.fail)}}],
  \"outputs\":[{\"var\":\"y\",\"binding\":{\"promise\":{\"node_id\":\"n1\",\"var\":\"y\"}}}]}}}" >/dev/null
api POST /api/v1/launch_plans "$(launch_plan curl.two)" >/dev/null
launch f1 curl.two >/dev/null
check "f1 fails at n1" "$(wait_phase f1 FAILED SUCCEEDED)" FAILED
api POST /api/v1/executions/recover \
  "{\"id\":{$P,\"name\":\"f1\"},\"name\":\"f1-recovered\"}" >/dev/null
check "POST /api/v1/executions/recover creates f1-recovered" "$(status)" 200
check "f1-recovered runs n1 again (and fails again)" "$(wait_phase f1-recovered FAILED SUCCEEDED)" FAILED
node_phases=$(api GET '/api/v1/node_executions/flytesnacks/development/f1-recovered?limit=10' |
  jq -r '[.node_executions[] | select(.id.node_id == "n0" or .id.node_id == "n1") |
          "\(.id.node_id)=\(.closure.phase)"] | sort | join(",")')
check "n0 was not run again: RECOVERED" "$node_phases" "n0=RECOVERED,n1=FAILED"
check "f1-recovered is marked RECOVERED of f1" \
  "$(api GET /api/v1/executions/flytesnacks/development/f1-recovered |
     jq -r '"\(.spec.metadata.mode) \(.spec.metadata.reference_execution.name)"')" "RECOVERED f1"

# ---- Lists with filters, and the errors a client sees.
check "GET /api/v1/executions with filters" \
  "$(api GET '/api/v1/executions/flytesnacks/development?limit=10&filters=eq(phase,SUCCEEDED)' |
     jq -r '[.executions[].id.name] | sort | join(",")')" "e1,g1"
api GET /api/v1/executions/flytesnacks/development/nope >/dev/null
check "an unknown execution is 404" "$(status)" 404
check "... and says so in grpc-gateway's error shape" "$(jq -r .code "$WORK/body")" 5
api GET '/api/v1/executions/flytesnacks/development?limit=ten' >/dev/null
check "a malformed query parameter is 400 naming it" \
  "$(status) $(jq -r .message "$WORK/body" | grep -o "parameter 'limit'")" "400 parameter 'limit'"
api POST /api/v1/executions '{"spec": 7}' >/dev/null
check "a malformed JSON body is 400" "$(status)" 400
api GET /api/v1/no/such/thing >/dev/null
check "an unknown path is 404" "$(status)" 404
head -c $((65 << 20)) /dev/zero | tr '\0' ' ' >"$WORK/big"
check "a body over 64 MiB is refused (413), and the server carries on" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$WORK/big" "$H/api/v1/tasks") \
$(api GET /api/v1/version | jq -r .control_plane_version.Build)" "413 flytecpp"
rm -f "$WORK/big"

# ---- The CLI with --server: the same commands, against this server.
G=$(grep -o "gRPC on [^,]*" "$WORK/serve.out" | cut -d' ' -f3)
cli() { "$FLYTECPP" --store "$WORK/cli-store" "$@" --server "$G"; }
check "executions ls --server lists what the server ran" \
  "$(cli executions ls | awk 'NR > 1 {print $1}' | grep -c -x -e e1 -e g1 -e s1)" 3
got=$(cli executions get e1)
check "executions get --server: phase and outputs" \
  "$(grep -E '^(phase|outputs):' <<<"$got" | tr -s ' ' | xargs)" "phase: SUCCEEDED outputs: {y: 42}"
check "logs --server prints the attempt's stderr" "$(cli logs e1 n0 2>&1)" doubling
launch g2 curl.gated >/dev/null
wait_phase g2 RUNNING >/dev/null
for _ in $(seq 50); do cli signals ls g2 | grep -q waiting && break; sleep 0.1; done
check "signals ls --server: the gate waits" "$(cli signals ls g2 | awk 'NR > 1 {print $2, $4}')" "go waiting"
check "approve --server" "$(cli approve g2 go)" "signal go of execution g2 set to true"
check "g2 then SUCCEEDS" "$(wait_phase g2 SUCCEEDED FAILED)" SUCCEEDED
launch s2 curl.slow >/dev/null
wait_phase s2 RUNNING >/dev/null
check "abort --server" "$(cli abort s2)" "execution s2 ABORTED"
check "events --server: the phases reached, in time order" \
  "$(cli events e1 2>/dev/null | awk '{print $3, $4, $5}' | grep -E '^(workflow|node n0|task n0)' | xargs)" \
  "workflow - QUEUED node n0 QUEUED node n0 RUNNING task n0 RUNNING task n0 SUCCEEDED node n0 SUCCEEDED workflow - SUCCEEDED"
cli executions get nope >/dev/null 2>"$WORK/err"
check "an unknown execution --server: exit 2, named" "$? $(grep -c 'nope does not exist' "$WORK/err")" "2 1"
if [[ -n "$MAKER" ]]; then
  PACKAGE=$WORK/shell.tgz
  "$MAKER" "$WORK/pkg" >/dev/null && tar -czf "$PACKAGE" -C "$WORK/pkg" .
  out=$(cli run "$PACKAGE" --exec-id r1 2>"$WORK/err")
  check "run PKG --server registers and runs it there" "$?:$(head -1 <<<"$out")" "0:execution r1 SUCCEEDED"
  check "... where the server shows it" \
    "$(api GET /api/v1/executions/flytesnacks/development/r1 | jq -r .closure.phase)" SUCCEEDED
  again=$(cli run "$PACKAGE" --exec-id r2 2>&1 >/dev/null)
  check "running it again registers nothing new" "$(grep -o '0 entities registered' <<<"$again")" "0 entities registered"
  # The same package with ids of its own (project e2e, version 1): it is
  # registered under them, and run there (it looked under the defaults).
  mkdir -p "$WORK/own"
  for f in "$WORK"/pkg/*.pb; do
    base=$(basename "$f" .pb)
    case "$base" in
      *_1) type=flyteidl.admin.TaskSpec ;; *_2) type=flyteidl.admin.WorkflowSpec ;;
      *) type=flyteidl.admin.LaunchPlan ;;
    esac
    "$FLYTECPP" convert "$f" -o "$WORK/own/$base.json" --type "$type" >/dev/null
    jq 'walk(if type == "object" and has("resourceType")
             then .project = "e2e" | .domain = "development" | .version = "1" else . end)' \
      "$WORK/own/$base.json" >"$WORK/own/$base.tmp.json"
    "$FLYTECPP" convert "$WORK/own/$base.tmp.json" -o "$WORK/own/$base.pb" --type "$type" >/dev/null
    rm "$WORK/own/$base.json" "$WORK/own/$base.tmp.json"
  done
  tar -czf "$WORK/own.tgz" -C "$WORK/own" .
  out=$(cli run "$WORK/own.tgz" --exec-id r3 2>"$WORK/err")
  check "run PKG --server of entities with their own ids" "$?:$(head -1 <<<"$out")" \
    "0:execution r3 SUCCEEDED"
  check "... created in their project" \
    "$(api GET /api/v1/executions/e2e/development/r3 | jq -r .spec.launch_plan.version)" 1
fi
"$FLYTECPP" executions ls --server 127.0.0.1:1 >/dev/null 2>"$WORK/err"
check "an unreachable server: exit 2, named" "$? $(grep -c 'server 127.0.0.1:1' "$WORK/err")" "2 1"

finish
