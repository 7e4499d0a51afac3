#!/usr/bin/env bash
# The one-node Slurm cluster the test command starts (tests/support/slurm.sh)
# answers through the machine interfaces the Slurm runtime uses — `sbatch
# --parsable`, `squeue --Format` with fields and a separator of its choosing,
# `sacct --json` and `sinfo --json` — and honours a job array's parallelism.
# Usage: slurm_cluster_test.sh (reads $FLYTECPP_TEST_SLURM_DIR)
set -uo pipefail
source "$(dirname "$0")/../support/slurm_env.sh"
# fields JOB: "job|array job|array task|state|wait status|" per job (an array: per task).
fields() { squeue --noheader -t all -j "$1" --Format="JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,exit_code:|"; }
# state JOB: the states of a job (an array: of each element), sorted, unique.
state() { fields "$1" | cut -d'|' -f4 | sort -u | paste -sd,; }
wait_done() { # wait_done JOB
  local s=""
  for _ in $(seq 600); do
    s=$(state "$1")
    [[ "$s" =~ ^(COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL)(,.*)?$ &&
       ! "$s" =~ (PENDING|RUNNING) ]] && break
    sleep 0.1
  done
  echo "$s"
}

job=$(sbatch --parsable -o "$WORK/one-%j.out" --wrap 'echo "hello from $SLURM_JOB_ID"')
check "sbatch --parsable gives a job id" "$([[ "$job" =~ ^[0-9]+$ ]] && echo number)" number
check "the job completes (squeue --Format)" "$(wait_done "$job")" COMPLETED
check "its output is where it was asked to be" "$(cat "$WORK/one-$job.out")" "hello from $job"

failing=$(sbatch --parsable -o /dev/null --wrap 'exit 3')
# exit_code is a wait status: the exit code is its high byte.
check "a failing job ends FAILED, exit code 3" \
  "$(wait_done "$failing") $(($(fields "$failing" | cut -d'|' -f5) >> 8))" "FAILED 3"

# An array of 20 with at most 5 at once: sampled while it runs.
array=$(sbatch --parsable --array=0-19%5 -n1 -c1 --mem=10M -o "$WORK/arr-%A_%a.out" \
  --wrap 'sleep 0.3; echo $SLURM_ARRAY_TASK_ID')
most=0
for _ in $(seq 600); do
  running=$(fields "$array" | grep -c '|RUNNING|')
  ((running > most)) && most=$running
  [[ "$(state "$array")" == COMPLETED ]] && break
  sleep 0.05
done
check "the array's 20 elements complete" "$(state "$array") $(ls "$WORK"/arr-*.out | wc -l)" "COMPLETED 20"
check "no more than 5 ran at once" "$((most <= 5 && most >= 1))" 1
check "each element saw its index" "$(cat "$WORK"/arr-*.out | sort -n | xargs)" "$(seq 0 19 | xargs)"

# Who cancelled a job: Slurm's accounting (slurmdbd) keeps it.
if [[ -f "$FLYTECPP_TEST_SLURM_DIR/slurmdbd.conf" ]]; then
  sleeper=$(sbatch --parsable -o /dev/null --wrap 'sleep 600')
  scancel "$sleeper"
  who=""
  for _ in $(seq 100); do
    who=$(sacct --json -j "$sleeper" | jq -r '.jobs[0].kill_request_user // empty')
    [[ -n "$who" ]] && break
    sleep 0.1
  done
  check "sacct --json says who cancelled a job" "$who" "$(id -un)"
else
  no_accounting=1
fi
check "sinfo --json lists the node" "$(sinfo --json | jq -r '.nodes[0].address')" 127.0.0.1
# Reported as a skip (never over a failure): the cluster has no accounting.
if ((failures == 0)) && [[ -n "${no_accounting:-}" ]]; then
  echo "SKIPPED: NOT EVERYTHING RAN: no accounting (slurmdbd) on the test cluster: sacct not checked"
fi

finish
