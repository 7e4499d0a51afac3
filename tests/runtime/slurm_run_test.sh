#!/usr/bin/env bash
# The same pyflyte package run locally and on the test command's one-node
# Slurm cluster (flytecpp --runtime slurm): the same outputs; its tasks were
# jobs; a cluster that cannot be reached is one clear line.
# Usage: slurm_run_test.sh FLYTECPP EXAMPLE_PROCESS_PACKAGE (reads $FLYTECPP_TEST_SLURM_DIR)
set -uo pipefail
FLYTECPP=$(realpath "$1")
MAKER=$2
source "$(dirname "$0")/../support/slurm_env.sh"

"$MAKER" "$WORK/pkg" >/dev/null && tar -czf "$WORK/shell.tgz" -C "$WORK/pkg" .
local_out=$("$FLYTECPP" --store "$WORK/store" run "$WORK/shell.tgz" --exec-id here 2>&1)
slurm_out=$("$FLYTECPP" --store "$WORK/store" --runtime slurm run "$WORK/shell.tgz" --exec-id there 2>&1)
check "the package succeeds on Slurm" "$(head -1 <<<"$slurm_out")" "execution there SUCCEEDED"
check "with the outputs it has locally" "$(tail -n +2 <<<"$slurm_out")" "$(tail -n +2 <<<"$local_out")"
jobs=$(sqlite3 "$WORK/store/flytecpp.db" \
  "select count(*) from nodes where execution_id = 'there' and runtime = 'slurm' and handle like 'slurm:%'")
check "its two tasks were Slurm jobs" "$jobs" 2
SLURM_CONF=$WORK/none "$FLYTECPP" --store "$WORK/store" --runtime slurm run "$WORK/shell.tgz" \
  >/dev/null 2>"$WORK/err"
check "no cluster: exit 2, one line naming SLURM_CONF" \
  "$? $(wc -l <"$WORK/err") $(grep -c "SLURM_CONF=$WORK/none: no such file" "$WORK/err")" "2 1 1"

finish
