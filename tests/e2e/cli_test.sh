#!/usr/bin/env bash
# End-to-end tests of the flytecpp command, run the way a user runs it.
#   usage: cli_test.sh FLYTECPP_BINARY EXAMPLES_BIN_DIR
# Conformance artifacts: $FLYTECPP_CONFORMANCE_DIR (default ../shared/conformance
# beside the source tree); tests that need them are skipped loudly without.
set -uo pipefail

FLYTECPP="$1"
EXAMPLES="$2"
CONF="${FLYTECPP_CONFORMANCE_DIR:-$(dirname "$0")/../../../shared/conformance}"
SNACKS="$CONF/flytepropeller-compiler/snacks-core"
PKGS="$CONF/flytectl-packages"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0
skipped=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
skip() { skipped=$((skipped + 1)); echo "SKIP $1 (conformance artifacts not found at $CONF)"; }

# expect_bad_input NAME NEEDLE CMD...: exit 2, exactly one stderr line that
# contains NEEDLE, nothing on stdout.
expect_bad_input() {
  local name="$1" needle="$2"
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$WORK/err")
  if [[ $rc -eq 2 && $lines -eq 1 && ! -s "$WORK/out" ]] && grep -qF -- "$needle" "$WORK/err"; then
    ok "$name"
  else
    bad "$name (rc=$rc, stderr lines=$lines): $(head -c 300 "$WORK/err")"
  fi
}

# --- version ---------------------------------------------------------------------
if "$FLYTECPP" --version | grep -q "flyteidl 1.16.5"; then ok "version names flyteidl"; else bad "version"; fi

# --- inspect every snacks-core file ------------------------------------------------
if [[ -d "$SNACKS" ]]; then
  n=0; fails=0
  for f in "$SNACKS"/*.pb; do
    n=$((n + 1))
    if ! "$FLYTECPP" inspect "$f" >"$WORK/out" 2>"$WORK/err"; then
      fails=$((fails + 1)); echo "  inspect failed: $f: $(cat "$WORK/err")"
    elif ! grep -q "^kind: " "$WORK/out"; then
      fails=$((fails + 1)); echo "  no kind line: $f"
    fi
  done
  if [[ $fails -eq 0 && $n -eq 183 ]]; then ok "inspect exits 0 on all $n snacks-core files"; else bad "inspect snacks-core ($fails of $n failed)"; fi

  "$FLYTECPP" inspect "$SNACKS/026_core.control_flow.conditions.multiplier_2.pb" >"$WORK/out"
  if grep -q "nodes: 3 (branch 1, task 2)" "$WORK/out" && grep -q "inputs:  my_input: float" "$WORK/out"; then
    ok "inspect shows interface and node tree"
  else
    bad "inspect content: $(cat "$WORK/out")"
  fi

  # Round trip through every format: what inspect shows must not change.
  src="$SNACKS/019_core.control_flow.chain_tasks.chain_tasks_wf_2.pb"
  "$FLYTECPP" inspect "$src" | tail -n +2 >"$WORK/before"
  if "$FLYTECPP" convert "$src" -o "$WORK/wf.json" 2>/dev/null &&
     "$FLYTECPP" convert "$WORK/wf.json" -o "$WORK/wf.yaml" --type WorkflowSpec 2>/dev/null &&
     "$FLYTECPP" convert "$WORK/wf.yaml" -o "$WORK/wf.pb" --type WorkflowSpec 2>/dev/null &&
     "$FLYTECPP" inspect "$WORK/wf.pb" --type WorkflowSpec | tail -n +2 >"$WORK/after" &&
     diff -q "$WORK/before" "$WORK/after" >/dev/null; then
    ok "convert pb -> json -> yaml -> pb keeps the workflow"
  else
    bad "convert round trip"
  fi

  expect_bad_input "ambiguous JSON asks for --type" "pass --type" \
    "$FLYTECPP" inspect "$SNACKS/compiled/024_core.control_flow.conditions.square_1_task.json"
  if "$FLYTECPP" inspect --type CompiledTask \
       "$SNACKS/compiled/024_core.control_flow.conditions.square_1_task.json" >/dev/null 2>&1; then
    ok "--type settles an ambiguous file"
  else
    bad "--type CompiledTask"
  fi

  head -c 100 "$SNACKS/026_core.control_flow.conditions.multiplier_2.pb" >"$WORK/trunc_2.pb"
  expect_bad_input "truncated pb" "trunc_2.pb" "$FLYTECPP" inspect "$WORK/trunc_2.pb"
  expect_bad_input "wrong --type" "LaunchPlan" \
    "$FLYTECPP" inspect --type LaunchPlan "$SNACKS/024_core.control_flow.conditions.square_1.pb"
  expect_bad_input "convert of a bad file writes nothing" "trunc_2.pb" \
    "$FLYTECPP" convert "$WORK/trunc_2.pb" -o "$WORK/never.json"
  if [[ ! -e "$WORK/never.json" ]]; then ok "no half-written output"; else bad "output written on failure"; fi
  expect_bad_input "convert into a missing directory" "missing/out.json" \
    "$FLYTECPP" convert "$src" -o "$WORK/missing/out.json"
else
  skip "snacks-core inspect/convert"
fi

# --- packages ------------------------------------------------------------------------
if [[ -d "$PKGS" ]]; then
  "$FLYTECPP" package ls "$PKGS/valid-unordered-register.tar" >"$WORK/out"
  if [[ "$(awk '{print $2" "$3}' "$WORK/out" | tr '\n' ';')" == "task recipes.core.basic.basic_workflow.t1;task recipes.core.basic.basic_workflow.t2;workflow recipes.core.basic.basic_workflow.my_wf;launch_plan recipes.core.basic.basic_workflow.my_wf;" ]]; then
    ok "package ls lists entities in registration order"
  else
    bad "package ls order: $(cat "$WORK/out")"
  fi
  if "$FLYTECPP" inspect "$PKGS/flyte-package.tgz" | grep -q "package: .*(3 entities)"; then
    ok "inspect summarises a package"
  else
    bad "inspect package"
  fi
  expect_bad_input "not an archive" "invalid.tgz: not a tar archive" "$FLYTECPP" package ls "$PKGS/invalid.tgz"
  expect_bad_input "wrong archive extension" "invalid-extension-register.zip" \
    "$FLYTECPP" package ls "$PKGS/invalid-extension-register.zip"
  # An archive with a foreign file in it.
  mkdir -p "$WORK/foreign"
  tar -xf "$PKGS/valid-register.tar" -C "$WORK/foreign"
  echo "hello" >"$WORK/foreign/notes.txt"
  tar -czf "$WORK/foreign.tgz" -C "$WORK/foreign" .
  expect_bad_input "archive with a foreign file" "invalid entry \"notes.txt\"" \
    "$FLYTECPP" package ls "$WORK/foreign.tgz"
else
  skip "flytectl packages"
fi

# --- inputs made here ------------------------------------------------------------------
echo '{"template": {"id": ' >"$WORK/bad.json"
expect_bad_input "invalid JSON" "bad.json" "$FLYTECPP" inspect --type TaskSpec "$WORK/bad.json"
printf 'template:\n  id: [unclosed\n' >"$WORK/bad.yaml"
expect_bad_input "invalid YAML" "bad.yaml" "$FLYTECPP" inspect --type TaskSpec "$WORK/bad.yaml"
head -c 64 /dev/urandom >"$WORK/noise.pb"
printf '\xff\xff\xff\xff\xff' >>"$WORK/noise.pb"
expect_bad_input "garbage bytes" "noise.pb" "$FLYTECPP" inspect "$WORK/noise.pb"
: >"$WORK/empty.pb"
expect_bad_input "empty file" "empty.pb: the file is empty" "$FLYTECPP" inspect "$WORK/empty.pb"
expect_bad_input "missing file" "nope.pb" "$FLYTECPP" inspect "$WORK/nope.pb"
expect_bad_input "unknown --type" "unknown message type" "$FLYTECPP" inspect --type Bogus "$WORK/empty.pb"
expect_bad_input "unknown subcommand" "bogus" "$FLYTECPP" bogus
expect_bad_input "missing argument" "FILE" "$FLYTECPP" inspect
expect_bad_input "unknown option" "--frobnicate" "$FLYTECPP" inspect --frobnicate x

# --- the builder examples ----------------------------------------------------------------
for ex in task_template two_node_workflow branch_workflow array_node; do
  if "$EXAMPLES/example_$ex" "$WORK/$ex.pb" && "$FLYTECPP" inspect "$WORK/$ex.pb" >"$WORK/$ex.txt"; then
    ok "example $ex writes a message inspect reads"
  else
    bad "example $ex"
  fi
done
grep -q "timeout: 1800s" "$WORK/task_template.txt" && grep -q "retries: 3" "$WORK/task_template.txt" \
  && ok "example (a) has timeout and retries" || bad "example (a) content"
grep -q "nodes: 2 (task 2)" "$WORK/two_node_workflow.txt" && ok "example (b) has two task nodes" || bad "example (b)"
grep -q "route-bulk \[task\] examples.process_in_bulk  (if)" "$WORK/branch_workflow.txt" \
  && ok "example (c) has the if case" || bad "example (c): $(cat "$WORK/branch_workflow.txt")"
grep -q "parallelism 10, min_successes 8" "$WORK/array_node.txt" && grep -q "min_success_ratio 0.80" "$WORK/array_node.txt" \
  && ok "example (d) has parallelism and success criteria" || bad "example (d): $(cat "$WORK/array_node.txt")"

echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
