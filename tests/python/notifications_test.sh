#!/usr/bin/env bash
# Notifications from a real `flytecpp serve`, as they reach real receivers
# on loopback: an SMTP sink (Debian's aiosmtpd) and an HTTP listener
# (tests/support/webhook_sink.py):
#   notifications_test.sh FLYTECPP WORK_DIR
# A launch plan registered with pyflyte carries flytekit's Email and Slack
# notifications on FAILED; the server's config.yaml names the SMTP server
# and two webhooks (one signed, for FAILED; one for another project). An
# execution fails while the webhook's listener is down: the delivery is
# retried with back-off, across a kill -9 and restart of the server, and
# reaches the listener once it is up. Emails reach the sink as flyteadmin
# writes them; an execution that succeeds tells no one.
set -uo pipefail
flytecpp=$(realpath "$1")
work=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/checks.sh"

if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "SKIPPED: NO SMTP SINK: Debian's python3-aiosmtpd is not installed (scripts/setup.sh installs it)"
  exit 0
fi
rm -rf "$work"
mkdir -p "$work"
export FLYTECPP_HOME="$work/home"
mkdir -p "$FLYTECPP_HOME"
project=$(mktemp -d)/project  # outside any git repository (pyflyte honours .gitignore)
mkdir -p "$project/app"
cp "$here/clients/notify_flows.py" "$project/app/notify_flows.py"
touch "$project/app/__init__.py"

pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$(dirname "$project")"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
smtp_port=$(free_port)
hook_port=$(free_port)
/usr/bin/python3 -m aiosmtpd -n -c aiosmtpd.handlers.Mailbox "$work/maildir" -l "127.0.0.1:$smtp_port" &
pids+=($!)

secret="s3cr3t-$RANDOM$RANDOM"
run_ok "the webhook's secret, in the secret store" \
  bash -c "printf %s '$secret' | '$flytecpp' secrets set hooks/ops"
cat >"$FLYTECPP_HOME/config.yaml" <<YAML
notifications:
  smtp:
    server: "127.0.0.1:$smtp_port"
    sender: flyte@example.com
  webhooks:
    - name: ops
      url: "http://127.0.0.1:$hook_port/hook"
      phases: [FAILED]
      secret: hooks/ops
    - name: elsewhere
      url: "http://127.0.0.1:$hook_port/elsewhere"
      projects: [another]
YAML

server=""
start() {
  "$flytecpp" serve --grpc 127.0.0.1:0 --http 127.0.0.1:0 >"$work/$1.out" 2>&1 &
  server=$!
  pids+=($server)
  for _ in $(seq 100); do grep -q "HTTP on" "$work/$1.out" && break; sleep 0.1; done
  grpc=$(grep -o "gRPC on [^,]*" "$work/$1.out" | cut -d' ' -f3)
  http=http://$(grep -o "HTTP on [^,]*" "$work/$1.out" | cut -d' ' -f3)
}
start serve
export FLYTECTL_CONFIG="$work/config.yaml"
run_ok "config init" "$flytecpp" config init --server "$grpc" --console "$http" -o "$FLYTECTL_CONFIG"
cd "$project"
run_ok "pyflyte register (a launch plan with Email and Slack notifications)" \
  pyflyte register --version v1 -p flytesnacks -d development app
lp=$(curl -s "$http/api/v1/launch_plans/flytesnacks/development/alerting/v1")
check "... registered with its two notifications" \
  "$(jq '.spec.entity_metadata.notifications | length' <<<"$lp")" 2

# launch X: an execution of the launch plan with x=X; its name.
launch() {
  curl -s -X POST "$http/api/v1/executions" -d '{"project": "flytesnacks", "domain": "development",
    "spec": {"launch_plan": {"resource_type": "LAUNCH_PLAN", "project": "flytesnacks",
      "domain": "development", "name": "alerting", "version": "v1"}},
    "inputs": {"literals": {"x": {"scalar": {"primitive": {"integer": "'"$1"'"}}}}}}' | jq -r .id.name
}
failed=$(launch 5)
ok_run=$(launch 1)
run_ok "the failing execution ends" "$flytecpp" executions get --server "$grpc" --wait "$failed"
run_ok "the succeeding one too" "$flytecpp" executions get --server "$grpc" --wait "$ok_run"

# deliveries [STATE]: `notifications ls` rows (of STATE).
deliveries() { "$flytecpp" notifications ls | tail -n +2 | grep -- "${1:-}"; }
wait_until() {  # wait_until SECONDS COMMAND...: until COMMAND succeeds
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do (($(date +%s) < deadline)) || return 1; sleep 0.5; done
}
wait_until 20 bash -c "[[ \$('$flytecpp' notifications ls | awk '\$4 == \"webhook\" { print \$7 }') -ge 2 ]]"
row=$(deliveries | grep webhook)
check "the webhook's delivery is pending while its listener is down" "$(awk '{ print $6 }' <<<"$row")" pending
expect_in "... with the reason" "Failed to connect to 127.0.0.1" "$row"
check "... one, for the failed execution (the other webhook is another project's)" \
  "$(deliveries | grep -c webhook)" 1
check "... and nothing for the execution that succeeded" "$(deliveries | grep -c "$ok_run")" 0

# The server dies with the delivery pending; a new one takes it over.
kill -9 "$server"
wait "$server" 2>/dev/null
start restarted
/usr/bin/python3 "$here/../support/webhook_sink.py" "$hook_port" "$work/hooks.jsonl" &
pids+=($!)
wait_until 60 bash -c "'$flytecpp' notifications ls | grep webhook | grep -q delivered"
check "the delivery reached the listener once it was up (after the restart)" \
  "$(deliveries delivered | grep -c webhook)" 1
check "... one POST" "$(wc -l <"$work/hooks.jsonl")" 1
hook=$(head -1 "$work/hooks.jsonl")
body=$(jq -r .body <<<"$hook")
check "... naming the execution" "$(jq -r .execution.name <<<"$body")" "$failed"
check "... its phase" "$(jq -r .phase <<<"$body")" FAILED
expect_in "... its error" "x is too big: 5" "$(jq -r .error.message <<<"$body")"
expect_in "... and its page on the server's console" "/console/projects/flytesnacks/domains/development/executions/$failed" \
  "$(jq -r .console_url <<<"$body")"
want_sig=$(printf %s "$body" | openssl dgst -sha256 -hmac "$secret" | awk '{ print $NF }')
check "... signed with the webhook's secret (HMAC-SHA256)" \
  "$(jq -r '.headers["X-Flytecpp-Signature"]' <<<"$hook")" "sha256=$want_sig"

# Emails, as flyteadmin sends them: Email and Slack alike.
wait_until 20 bash -c "(( \$(ls '$work/maildir/new' | wc -l) >= 2 ))"
mails=$(cat "$work"/maildir/new/*)
check "two emails reached the SMTP sink" "$(ls "$work/maildir/new" | wc -l)" 2
expect_in "... to the Email notification's recipient" "To: ops@example.com" "$mails"
expect_in "... and the Slack one's" "To: alerts@example.slack.com" "$mails"
expect_in "... from the configured sender" "From: flyte@example.com" "$mails"
expect_in "... with flyteadmin's subject" \
  "Subject: Notice: Execution \"$failed\" has failed in \"development\"." "$mails"
expect_in "... its error" "x is too big: 5" "$mails"
check "notifications ls: three delivered, none failed" \
  "$(deliveries delivered | wc -l) $(deliveries failed | wc -l)" "3 0"

# No secret anywhere it could be read.
for f in "$work"/*.out "$FLYTECPP_HOME/config.yaml"; do
  check "the webhook's secret is not in $(basename "$f")" "$(grep -c "$secret" "$f")" 0
done
check "... nor in notifications ls" "$("$flytecpp" notifications ls | grep -c "$secret")" 0
finish
