#!/usr/bin/env bash
# Schedules on a real `flytecpp serve`, in real time (the fake-clock cases,
# a day of slots, PostgreSQL and two servers are tests/admin/scheduler_test.cc):
#   schedules_test.sh FLYTECPP WORK_DIR [FLYTECTL]
# flytesnacks' productionizing/lp_schedules.py is registered with
# `pyflyte register --activate-launchplans`; its every-minute launch plan
# fires on its own, the server is killed (-9) and started again after a
# slot went by: that slot fires at the restart, no slot fires twice, and
# each run gets its slot's time as its kickoff input. About two minutes.
set -uo pipefail
flytecpp=$(realpath "$1")
work=$(realpath -m "$2")
flytectl=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/checks.sh"

example="${FLYTECPP_CONFORMANCE_DIR:-$here/../../../shared/conformance}/flytesnacks/productionizing/productionizing/lp_schedules.py"
if [[ ! -f "$example" ]]; then
  echo "SKIPPED: NO FLYTESNACKS: $example is missing (set FLYTECPP_CONFORMANCE_DIR)"
  exit 0
fi
rm -rf "$work"
mkdir -p "$work"
export FLYTECPP_HOME="$work/home"
project=$(mktemp -d)/project  # outside any git repository (pyflyte honours .gitignore)
mkdir -p "$project"
cp "$example" "$project/"

server=""
trap '[[ -n "$server" ]] && kill -9 "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$(dirname "$project")"' EXIT
# start NAME: a server on free loopback ports; $grpc and $http say where
# once it listens.
start() {
  local name=$1
  "$flytecpp" serve --grpc 127.0.0.1:0 --http 127.0.0.1:0 >"$work/$name.out" 2>&1 &
  server=$!
  for _ in $(seq 100); do grep -q "HTTP on" "$work/$name.out" && break; sleep 0.1; done
  grpc=$(grep -o "gRPC on [^,]*" "$work/$name.out" | cut -d' ' -f3)
  http=http://$(grep -o "HTTP on [^,]*" "$work/$name.out" | cut -d' ' -f3)
}
# The scheduled executions of the every-minute launch plan, one line each:
# "<scheduled_at> <name> <phase> <kickoff_time input>".
scheduled() {
  local list name
  list=$(curl -s "$http/api/v1/executions/flytesnacks/development?limit=500")
  jq -r '.executions[] | select(.spec.launch_plan.name == "my_cron_scheduled_lp")
         | select(.spec.metadata.mode == "SCHEDULED")
         | "\(.spec.metadata.scheduled_at) \(.id.name) \(.closure.phase)"' <<<"$list" | sort |
    while read -r at name phase; do
      kickoff=$(curl -s "$http/api/v1/data/executions/flytesnacks/development/$name" |
        jq -r '.full_inputs.literals.kickoff_time.scalar.primitive.datetime')
      echo "$at $name $phase $kickoff"
    done
}
# wait_for N SECONDS: until N scheduled executions exist (or the time is up).
wait_for() {
  local deadline=$(($(date +%s) + $2))
  while (($(date +%s) < deadline)); do
    (($(scheduled | wc -l) >= $1)) && return 0
    sleep 1
  done
  return 1
}
epoch() { date -d "$1" +%s; }

start serve
export FLYTECTL_CONFIG="$work/config.yaml"
run_ok "config init" "$flytecpp" config init --server "$grpc" --console "$http" -o "$FLYTECTL_CONFIG"
cd "$project"
run_ok "pyflyte register --activate-launchplans lp_schedules.py" \
  pyflyte register --activate-launchplans --version v1 -p flytesnacks -d development lp_schedules.py
run_ok "flytecpp schedules ls --server" "$flytecpp" schedules ls --server "$grpc"
expect_in "... the cron launch plan, every minute" "my_cron_scheduled_lp" "$out"
expect_in "... its schedule" "cron */1 * * * *" "$out"
expect_in "... the fixed-rate one, every 10 minutes" "every 10 minutes" "$out"
next=$(grep my_cron_scheduled_lp <<<"$out" | grep -o '20[0-9-]*T[0-9:]*Z' | head -1)
check "... its next firing is the next minute" "$(($(epoch "$next") % 60))" 0
run_ok "flytecpp schedules ls (the local store)" "$flytecpp" schedules ls --all
expect_in "... the same" "$(grep my_cron_scheduled_lp <<<"$out" | head -1)" "$out"
check "the console reads the same" \
  "$(curl -s "$http/schedules?project=flytesnacks&domain=development" |
    jq -r '.[] | select(.launch_plan.name == "my_cron_scheduled_lp") | .next')" "$next"

# The first slot fires on time: the first minute after the activation.
activated=$(curl -s "$http/api/v1/launch_plans/flytesnacks/development/my_cron_scheduled_lp/v1" |
  jq -r .closure.updated_at)
wait_for 1 75
first=$(scheduled | head -1)
read -r at1 name1 phase1 kickoff1 <<<"$first"
check "the first slot fired is the first minute after the activation" \
  "$(epoch "$at1")" "$(( $(epoch "$activated") / 60 * 60 + 60 ))"
# (schedules ls ran a moment after the activation: a minute may have begun.)
check "... which schedules ls said, or the minute after" \
  "$(( ($(epoch "$next") - $(epoch "$at1")) / 60 <= 1 ))" 1
check "... its execution is named as Flyte's scheduler names it" "$([[ $name1 =~ ^f[0-9a-f]{16}000$ ]] && echo yes)" yes
grep -q "slot .* fired: $name1" "$work/serve.out"
check "... the server says so" "$?" 0

# Killed; down while the next slot goes by; started again.
kill -9 "$server"
wait "$server" 2>/dev/null
server=""
missed=$(($(epoch "$at1") + 60))
while (($(date +%s) < missed + 3)); do sleep 1; done
start restarted
wait_for 2 20
second=$(scheduled | sed -n 2p)
read -r at2 name2 phase2 kickoff2 <<<"$second"
check "the slot missed while the server was down fires at the restart" "$(epoch "$at2")" "$missed"
grep -q "slot .* fired: $name2" "$work/restarted.out"
check "... by the restarted server" "$?" 0

# Every run ends, each slot once, each with its slot's time as kickoff_time.
deadline=$(($(date +%s) + 60))
runs=$(scheduled)
while (($(date +%s) < deadline)) && [[ $(grep -vc ' SUCCEEDED ' <<<"$runs") != 0 ]]; do
  sleep 1
  runs=$(scheduled)
done
echo "$runs" | sed 's/^/    /'
check "no slot fired twice" "$(cut -d' ' -f1 <<<"$runs" | sort | uniq -d | wc -l)" 0
check "... nor any execution name" "$(cut -d' ' -f2 <<<"$runs" | sort | uniq -d | wc -l)" 0
check "every run succeeded" "$(grep -vc ' SUCCEEDED ' <<<"$runs")" 0
check "each run's kickoff_time is its slot" \
  "$(awk '{ if ($1 != $4) print }' <<<"$runs" | wc -l)" 0
check "consecutive minutes, none missed" \
  "$(cut -d' ' -f1 <<<"$runs" | while read -r t; do echo $(($(epoch "$t") / 60)); done |
    awk 'NR > 1 && $1 != prev + 1 { gaps++ } { prev = $1 } END { print gaps + 0 }')" 0

# Deactivated (flytectl, or the API's UpdateLaunchPlan): no longer scheduled.
run_ok "config init (the restarted server)" \
  "$flytecpp" config init --server "$grpc" --console "$http" -o "$FLYTECTL_CONFIG" --force
if [[ -n "$flytectl" && -x "$flytectl" ]]; then
  run_ok "flytectl update launchplan --deactivate" \
    "$flytectl" --config "$FLYTECTL_CONFIG" update launchplan -p flytesnacks -d development \
    my_fixed_rate_lp --version v1 --deactivate --force
else
  echo "flytectl: SKIPPED: NO FLYTECTL (${flytectl:-none}); deactivating through the HTTP API"
  curl -s -X PUT "$http/api/v1/launch_plans/flytesnacks/development/my_fixed_rate_lp/v1" \
    -d '{"state": "INACTIVE"}' >/dev/null
fi
run_ok "schedules ls" "$flytecpp" schedules ls --server "$grpc"
expect_not_in "... the deactivated launch plan is no longer scheduled" "my_fixed_rate_lp" "$out"
finish
