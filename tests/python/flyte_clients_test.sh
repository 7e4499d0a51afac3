#!/usr/bin/env bash
# Flyte's own clients against a real `flytecpp serve`, as Flyte users run
# them (through with_venv.sh: the pinned flytekit on PATH):
#   flyte_clients_test.sh FLYTECPP WORK_DIR FLYTECTL
# With FLYTECPP_TEST_STORE_URL (tests/support/with_pg_database.sh) the
# server's store is that PostgreSQL database. The config comes from
# `flytecpp config init`; then pyflyte run --remote (a workflow with --wait,
# a task), pyflyte register --activate-launchplans, FlyteRemote
# (flyte_remote_check.py), flytectl (skipped, loudly, without it), and the
# data proxy's refusals (a wrong MD5, a forged URL) over HTTP.
set -uo pipefail
flytecpp=$(realpath "$1")
work=$(realpath -m "$2")
flytectl=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/checks.sh"

rm -rf "$work"
mkdir -p "$work"
export FLYTECPP_HOME="$work/home"
store=()
[[ -n "${FLYTECPP_TEST_STORE_URL:-}" ]] && store=(--store "$FLYTECPP_TEST_STORE_URL" --home "$work/home")
# The user's project, outside any git repository: pyflyte leaves out what
# an enclosing repository's .gitignore names (this build directory).
project=$(mktemp -d)/project
mkdir -p "$project/app"
cp "$here/clients/flows.py" "$project/app/flows.py"
touch "$project/app/__init__.py"

servers=()
trap 'kill "${servers[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$(dirname "$project")"' EXIT
# serve NAME ARGS...: a server on free loopback ports (ARGS before serve's
# own options go to flytecpp); once it listens, $grpc and $http say where.
serve() {
  local name=$1
  shift
  "$flytecpp" "$@" --grpc 127.0.0.1:0 --http 127.0.0.1:0 >"$work/$name.out" 2>&1 &
  servers+=($!)
  for _ in $(seq 100); do grep -q "HTTP on" "$work/$name.out" && break; sleep 0.1; done
  grpc=$(grep -o "gRPC on [^,]*" "$work/$name.out" | cut -d' ' -f3)
  http=http://$(grep -o "HTTP on [^,]*" "$work/$name.out" | cut -d' ' -f3)
}
serve serve "${store[@]}" serve
expect_in "serve prints the command that configures Flyte's clients" \
  "flytecpp config init --server $grpc --console $http" "$(cat "$work/serve.out")"

export FLYTECTL_CONFIG="$work/config.yaml"
run_ok "config init writes the clients' config" \
  "$flytecpp" config init --server "$grpc" --console "$http" -o "$FLYTECTL_CONFIG"
run_fails 2 "config init does not overwrite a config" \
  "$flytecpp" config init --server "$grpc" -o "$FLYTECTL_CONFIG"
expect_in "... and says how to" "--force" "$err"

cd "$project"
# pyflyte run --remote: the code is uploaded (DataProxy), registered, run here.
run_ok "pyflyte run --remote --wait (a workflow)" \
  pyflyte run --remote --wait app/flows.py hello --name pyflyte
expect_in "... ends SUCCEEDED" "has succeeded" "$out"
expect_in "... and links the execution in flytecpp's console" "$http/console/projects/" "$out"
exec_url=$(grep -o "$http/console/projects/[^ ]*" <<<"$out" | head -1)
name=${exec_url##*/}
check "the console link opens that execution" \
  "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$exec_url")" \
  "302 $http/#/executions/flytesnacks/development/$name"
run_ok "flytecpp reads it back" "$flytecpp" executions get --server "$grpc" "$name"
expect_in "... with pyflyte's output" 'o0: "hello pyflyte"' "$out"
run_ok "pyflyte run --remote (a single task)" \
  pyflyte run --remote --wait app/flows.py greet --name task
expect_in "... ends SUCCEEDED" "has succeeded" "$out"
bundles=$(find "$work/home" -path "*/uploads/*" -name "fast*.tar.gz" | sort -u)
check "the code bundles landed in the data directory's uploads" "$(wc -l <<<"$bundles")" 1
check "... with the user's code" "$(tar tzf $bundles | grep -c 'app/flows.py')" 1

# pyflyte register (fast) with --activate-launchplans.
run_ok "pyflyte register --activate-launchplans" \
  pyflyte register --activate-launchplans --version v1 -p flytesnacks -d development app
lp=$(curl -s "$http/api/v1/launch_plans/flytesnacks/development/app.flows.hello/v1")
check "the launch plan is active" "$(jq -r .closure.state <<<"$lp")" ACTIVE
check "... its workflow registered under the same version" "$(jq -r .spec.workflow_id.version <<<"$lp")" v1

# FlyteRemote, as a notebook uses it.
run_ok "FlyteRemote: fetch, execute, outputs, sync, signals, terminate, recover, eager" \
  python "$here/flyte_remote_check.py" "$FLYTECTL_CONFIG" flytesnacks development v1
echo "$out" | sed 's/^/    /'

# flytectl (the pinned one scripts/setup.sh builds with Go).
if [[ -z "$flytectl" || ! -x "$flytectl" ]]; then
  echo "flytectl: SKIPPED: NO FLYTECTL (${flytectl:-none}: scripts/setup.sh builds it where Go is installed)"
else
  ctl() { "$flytectl" --config "$FLYTECTL_CONFIG" "$@"; }
  run_ok "flytectl get project" ctl get project
  expect_in "... lists flytesnacks" "flytesnacks" "$out"
  run_ok "flytectl get workflow (named entities)" ctl get workflow -p flytesnacks -d development
  expect_in "... lists app.flows.hello" "app.flows.hello" "$out"
  run_ok "flytectl get task -o json" ctl get task -p flytesnacks -d development app.flows.greet --version v1 -o json
  check "... the task's type" "$(jq -r .closure.compiledTask.template.type <<<"$out")" python-task
  run_ok "flytectl get launchplan --execFile" \
    ctl get launchplan -p flytesnacks -d development app.flows.hello --version v1 --execFile "$work/exec.yaml"
  sed -i 's/name: world/name: flytectl/' "$work/exec.yaml"
  run_ok "flytectl create execution --execFile" \
    ctl create execution -p flytesnacks -d development --execFile "$work/exec.yaml"
  ctl_exec=$(grep -o 'name:"[^"]*"' <<<"$out" | cut -d'"' -f2)
  run_ok "flytecpp waits for it" "$flytecpp" executions get --server "$grpc" --wait "$ctl_exec"
  run_ok "flytectl get execution --details" \
    ctl get execution -p flytesnacks -d development "$ctl_exec" --details
  expect_in "... shows the node's output" "o0: hello flytectl" "$out"
  run_ok "flytectl get execution -o json" ctl get execution -p flytesnacks -d development "$ctl_exec" -o json
  check "... SUCCEEDED" "$(jq -r .closure.phase <<<"$out")" SUCCEEDED
  run_ok "flytectl update launchplan --deactivate" \
    ctl update launchplan -p flytesnacks -d development app.flows.hello --version v1 --deactivate --force
  check "... it is inactive" \
    "$(curl -s "$http/api/v1/launch_plans/flytesnacks/development/app.flows.hello/v1" | jq -r .closure.state)" INACTIVE
  run_ok "flytectl update launchplan --activate" \
    ctl update launchplan -p flytesnacks -d development app.flows.hello --version v1 --activate --force
  run_ok "flytectl create project" ctl create project --id clients --name "Clients test"
  run_ok "flytectl get project clients" ctl get project clients -o json
  check "... it is there" "$(jq -r .id <<<"$out")" clients
  # A package of pyflyte's, fast: its code travels through the data proxy.
  run_ok "pyflyte package --fast" \
    pyflyte --pkgs app package --image flytecpp/none:1 --fast -f --output "$work/app.tgz"
  run_ok "flytectl register files (a fast package)" \
    ctl register files "$work/app.tgz" --archive -p clients -d development --version v2
  run_ok "flytectl get launchplan --execFile (v2)" \
    ctl get launchplan -p clients -d development app.flows.hello --version v2 --execFile "$work/exec2.yaml"
  run_ok "flytectl create execution of it" \
    ctl create execution -p clients -d development --execFile "$work/exec2.yaml"
  ctl_exec=$(grep -o 'name:"[^"]*"' <<<"$out" | cut -d'"' -f2)
  run_ok "... it runs the uploaded code" \
    "$flytecpp" executions get --server "$grpc" --project clients --wait "$ctl_exec"
  expect_in "... and succeeds" "SUCCEEDED" "$out"
fi

# The data proxy's refusals: a wrong MD5, a forged signature; nothing half-written.
md5=$(printf 'right bytes' | openssl dgst -md5 -binary | base64)
loc=$(curl -s -X POST -H 'Content-Type: application/json' "$http/api/v1/dataproxy/artifact_urn" \
  --data "{\"project\":\"flytesnacks\",\"domain\":\"development\",\"filename\":\"x.txt\",\"content_md5\":\"$md5\"}")
url=$(jq -r .signed_url <<<"$loc")
native=$(jq -r .native_url <<<"$loc")
check "CreateUploadLocation over HTTP: a signed URL on this server" "${url%%/dataproxy/*}" "$http"
check "a body whose MD5 is not the signed one: 400" \
  "$(curl -s -o "$work/put.out" -w '%{http_code}' -X PUT --data-binary 'wrong bytes' -H "Content-MD5: $md5" "$url")" 400
expect_in "... saying so" "MD5" "$(cat "$work/put.out")"
check "... and nothing is left" "$(ls "$(dirname "${native#file://}")" 2>/dev/null | wc -l)" 0
check "a forged signature: 403" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary 'right bytes' "${url%signature=*}signature=00")" 403
check "the signed body: 200" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary 'right bytes' -H "Content-MD5: $md5" "$url")" 200
check "... is where the native URL says" "$(cat "${native#file://}")" "right bytes"
check "GetData of an unknown execution: 404 (NOT_FOUND)" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$http/api/v1/data?flyte_url=flyte://v1/flytesnacks/development/nosuch/n0/o")" 404

# A server with a bearer token: the clients get it from the command
# `config init --token-file` configures (flytekit's ExternalCommand), after
# asking AuthMetadataService, which answers without one; tasks that call the
# server (eager) get the same command.
printf 'the-token\n' >"$work/token"
first_grpc=$grpc
serve serve-token --store "$work/token-store" serve --token-file "$work/token"
tgrpc=$grpc thttp=$http
check "AuthMetadataService answers without a token" \
  "$(curl -s "$thttp/config/v1/flyte_client" | jq -r .authorization_metadata_key)" authorization
check "... the API does not" "$(curl -s -o /dev/null -w '%{http_code}' "$thttp/api/v1/projects")" 401
run_ok "config init --token-file" "$flytecpp" config init --server "$tgrpc" --console "$thttp" \
  --token-file "$work/token" -o "$work/token-config.yaml"
expect_in "... configures the command that prints it" "command: [cat, $work/token]" \
  "$(cat "$work/token-config.yaml")"
sed "s|dns:///$first_grpc|dns:///$tgrpc|" "$work/config.yaml" >"$work/no-token-config.yaml"
run_capture env FLYTECTL_CONFIG="$work/no-token-config.yaml" pyflyte run --remote app/flows.py hello
check "pyflyte without the token is refused" "$((rc != 0))" 1
run_ok "pyflyte run --remote with the token" \
  env FLYTECTL_CONFIG="$work/token-config.yaml" pyflyte run --remote --wait app/flows.py hello
expect_in "... succeeds" "has succeeded" "$out"
run_ok "an eager workflow on it (its task calls the server with the token)" \
  env FLYTECTL_CONFIG="$work/token-config.yaml" pyflyte run --remote --wait app/flows.py \
  eager_add_two --x 1
expect_in "... succeeds" "has succeeded" "$out"

finish
