#!/usr/bin/env bash
# A flytekit workflow (map_task, a dataclass, a file between tasks) run
# locally and on the test command's one-node Slurm cluster (flytecpp
# --runtime slurm): the same outputs; its Python tasks were Slurm jobs.
# Usage: slurm_python_test.sh FLYTECPP (through with_venv.sh; reads
# $FLYTECPP_TEST_SLURM_DIR)
set -uo pipefail
FLYTECPP=$(realpath "$1")
source "$(dirname "$0")/../support/slurm_env.sh"

mkdir -p "$WORK/project"
cat >"$WORK/project/flows.py" <<'PY'
import dataclasses
from pathlib import Path

from flytekit import map_task, task, workflow
from flytekit.types.file import FlyteFile


@dataclasses.dataclass
class Summary:
    total: int
    note: str


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def cube(x: int) -> int:
    return x * x * x


@task
def note(values: list[int]) -> FlyteFile:
    p = Path("note.txt")
    p.write_text(",".join(map(str, values)))
    return FlyteFile(str(p))


@task
def summarize(values: list[int], f: FlyteFile) -> Summary:
    return Summary(total=sum(values), note=open(f).read())


@workflow
def cubes(n: int = 5) -> Summary:
    values = map_task(cube)(x=numbers(n=n))
    return summarize(values=values, f=note(values=values))
PY
cd "$WORK/project"
local_out=$("$FLYTECPP" --store "$WORK/store" run flows.py cubes --exec-id here 2>&1)
check "the workflow succeeds locally" "$(head -1 <<<"$local_out")" "execution here SUCCEEDED"
slurm_out=$("$FLYTECPP" --store "$WORK/store" --runtime slurm run flows.py cubes --exec-id there 2>&1)
check "it succeeds on Slurm" "$(head -1 <<<"$slurm_out")" "execution there SUCCEEDED"
check "with the outputs it has locally" "$(tail -n +2 <<<"$slurm_out")" "$(tail -n +2 <<<"$local_out")"
check "which are the cubes' sum and the note" "$(tail -n +2 <<<"$local_out")" \
  '  o0 = {"total":100,"note":"0,1,8,27,64"}'
jobs=$(sqlite3 "$WORK/store/flytecpp.db" \
  "select count(*) from nodes where execution_id = 'there' and runtime = 'slurm' and handle like 'slurm:%'")
check "its three plain tasks were Slurm jobs" "$jobs" 3

# The same through `flytecpp serve` on Slurm, as a Flyte user sends it:
# pyflyte run --remote uploads the code, and the Slurm jobs run it from the
# store's data directory.
"$FLYTECPP" --store "$WORK/served" --runtime slurm serve --grpc 127.0.0.1:0 --http 127.0.0.1:0 \
  >"$WORK/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q "HTTP on" "$WORK/serve.out" && break; sleep 0.1; done
grpc=$(grep -o "gRPC on [^,]*" "$WORK/serve.out" | cut -d' ' -f3)
"$FLYTECPP" config init --server "$grpc" --console none -o "$WORK/config.yaml" >/dev/null
remote_out=$(FLYTECTL_CONFIG="$WORK/config.yaml" pyflyte run --remote --wait flows.py cubes --n 5 2>&1)
expect_in "pyflyte run --remote on a Slurm-backed server succeeds" "has succeeded" "$remote_out"
served=$(grep -o "Execution [a-z0-9]* has succeeded" <<<"$remote_out" | cut -d' ' -f2)
jobs=$(sqlite3 "$WORK/served/flytecpp.db" \
  "select count(*) from nodes where execution_id = '$served' and runtime = 'slurm' and handle like 'slurm:%'")
check "... its plain tasks were Slurm jobs" "$jobs" 3
check "... with the outputs of the local run" \
  "$("$FLYTECPP" executions get --server "$grpc" "$served" | grep '^outputs:')" \
  'outputs:   {o0: {"total":100,"note":"0,1,8,27,64"}}'
finish
