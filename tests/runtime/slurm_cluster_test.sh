#!/usr/bin/env bash
# The one-node Slurm cluster the test command starts (tests/support/slurm.sh)
# answers through the machine interfaces the Slurm runtime uses — `sbatch
# --parsable`, `squeue --json` — and honours a job array's parallelism.
# Usage: slurm_cluster_test.sh (reads $FLYTECPP_TEST_SLURM_DIR)
set -uo pipefail
source "$(dirname "$0")/../support/slurm_env.sh"
# state JOB: the states of a job (an array: of each element), sorted, unique.
state() {
  squeue --json -t all | jq -r --argjson id "$1" \
    '[.jobs[] | select(.job_id == $id or .array_job_id == $id) | .job_state] | unique | join(",")'
}
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
check "the job completes (squeue --json)" "$(wait_done "$job")" COMPLETED
check "its output is where it was asked to be" "$(cat "$WORK/one-$job.out")" "hello from $job"

failing=$(sbatch --parsable -o /dev/null --wrap 'exit 3')
# exit_code is a wait status: the exit code is its high byte.
check "a failing job ends FAILED, exit code 3" \
  "$(wait_done "$failing") $(squeue --json -t all |
     jq --argjson id "$failing" '.jobs[] | select(.job_id == $id) | .exit_code / 256 | floor')" \
  "FAILED 3"

# An array of 20 with at most 5 at once: sampled while it runs.
array=$(sbatch --parsable --array=0-19%5 -n1 -c1 --mem=10M -o "$WORK/arr-%A_%a.out" \
  --wrap 'sleep 0.3; echo $SLURM_ARRAY_TASK_ID')
most=0
for _ in $(seq 600); do
  running=$(squeue --json -t all | jq --argjson id "$array" \
    '[.jobs[] | select(.array_job_id == $id and .job_state == "RUNNING")] | length')
  ((running > most)) && most=$running
  [[ "$(state "$array")" == COMPLETED ]] && break
  sleep 0.05
done
check "the array's 20 elements complete" "$(state "$array") $(ls "$WORK"/arr-*.out | wc -l)" "COMPLETED 20"
check "no more than 5 ran at once" "$((most <= 5 && most >= 1))" 1
check "each element saw its index" "$(cat "$WORK"/arr-*.out | sort -n | xargs)" "$(seq 0 19 | xargs)"

finish
