#!/usr/bin/env bash
# Python tasks written with flytekit, run by flytecpp as a user runs them:
#   python_tasks_test.sh FLYTECPP WORK_DIR [--big-map]
# (run through with_venv.sh: the pinned flytekit is on PATH). `flytecpp run
# file.py WORKFLOW` and a task by name, dataclass outputs printed as JSON, a
# task that raises reported in one line, which Python environment runs a
# task (PATH, config.yaml, none: a clear error), the sandbox's view of
# inputs; --big-map: a 1,000-element map_task.
set -uo pipefail
flytecpp=$(realpath "$1")
work=$2
big_map=${3:-}
source "$(dirname "$0")/../support/checks.sh"

rm -rf "$work"
mkdir -p "$work/project/app"
export FLYTECPP_HOME="$work/store"
venv_bin=$(dirname "$(command -v pyflyte-execute)")
touch "$work/project/app/__init__.py"
cat >"$work/project/app/flows.py" <<'EOF'
import dataclasses
from pathlib import Path

from flytekit import map_task, task, workflow
from flytekit.types.file import FlyteFile


@dataclasses.dataclass
class Report:
    name: str
    total: int


@task
def numbers(n: int) -> list[int]:
    return list(range(n))


@task
def square(x: int) -> int:
    return x * x


@task
def summarize(name: str, values: list[int]) -> Report:
    return Report(name=name, total=sum(values))


@workflow
def squares(n: int = 4, name: str = "squares") -> Report:
    return summarize(name=name, values=map_task(square)(x=numbers(n=n)))


@task
def boom(x: int) -> int:
    if x > 1:
        raise ValueError(f"x is too big: {x}")
    return x


@workflow
def fails(x: int = 5) -> int:
    return boom(x=x)


@task
def write(text: str) -> FlyteFile:
    p = Path("note.txt")
    p.write_text(text)
    return FlyteFile(str(p))


@task
def append(f: FlyteFile) -> FlyteFile:
    # Changes its own copy of the input (as a Flyte pod does), then returns it.
    with open(f, "a") as out:
        out.write("+more")
    return FlyteFile(f.path)


@task
def read(a: FlyteFile, b: FlyteFile) -> str:
    return open(a).read() + "|" + open(b).read()


@workflow
def files(text: str = "hello") -> str:
    f = write(text=text)
    return read(a=f, b=append(f=f))


class Point:  # no type transformer: flytekit pickles it into the raw output folder
    def __init__(self, x: int, y: int):
        self.x, self.y = x, y


@task
def make_point(x: int) -> Point:
    return Point(x, x + 1)


@task
def norm(p: Point) -> int:
    return p.x * p.x + p.y * p.y


@workflow
def pickled(x: int = 3) -> int:
    return norm(p=make_point(x=x))


@task
def total(values: list[int]) -> int:
    return sum(values)


@workflow
def big_map(n: int = 1000) -> int:
    return total(values=map_task(square)(x=numbers(n=n)))
EOF
cd "$work/project"

if [[ "$big_map" == "--big-map" ]]; then
  run_ok "1,000-element map_task" "$flytecpp" run app/flows.py big_map --exec-id big
  expect_in "sum of the squares below 1000" "o0 = 332833500" "$out"
  finish
  exit
fi

# A workflow from a .py file, by its short name; its dataclass output as JSON.
run_ok "run file.py WORKFLOW" "$flytecpp" run app/flows.py squares --input n=5 --exec-id sq
expect_in "dataclass output printed as JSON" '"name":"squares","total":30' "$out"
# A task alone, by name (as pyflyte run takes a task).
run_ok "run file.py TASK" "$flytecpp" run app/flows.py square --input x=7 --exec-id one
expect_in "task output" "o0 = 49" "$out"
run_ok "executions get" "$flytecpp" executions get sq
expect_in "execution names the module's workflow" "app.flows.squares" "$out"

# A task that raises: exit 1; its exception in one line, the traceback in its log.
run_fails 1 "a raising task fails the run" "$flytecpp" run app/flows.py fails --exec-id boom
expect_in "its exception on stderr" "ValueError: x is too big: 5" "$err"
run_ok "executions get of the failure" "$flytecpp" executions get boom
error_line=$(grep '^error:' <<<"$out")
expect_in "error line names the exception" "USER:RuntimeError: ValueError: x is too big: 5" \
  "$error_line"
expect_not_in "no traceback in the error" "Traceback" "$out"
run_ok "logs of the failed task" "$flytecpp" logs boom n0
expect_in "the traceback stays in its log" "Traceback" "$out$err"

# Files: a task changes its own copy of an input file, never the upstream's.
run_ok "run with files" "$flytecpp" run app/flows.py files --exec-id files
expect_in "upstream file unchanged, the copy changed" 'o0 = "hello|hello+more"' "$out"

# A pickled value (a class flytekit has no transformer for) between tasks.
run_ok "run with a pickle" "$flytecpp" run app/flows.py pickled --exec-id pickled
expect_in "the next task read the pickle" "o0 = 25" "$out"

# Which Python runs a task. The package made once; then run without
# flytekit on PATH: a clear error naming the image and what to configure,
# not retried.
run_ok "pyflyte package" "$venv_bin/pyflyte" --pkgs app package --copy auto -d . \
  --image example.org/app:1 -f -o "$work/app.tgz"
run_fails 1 "no Python environment" env PATH=/usr/bin:/bin "$flytecpp" run "$work/app.tgz" \
  --workflow squares --exec-id nopy
expect_in "the error names the image" 'image "example.org/app:1" has no Python environment' "$err"
expect_in "and what to configure" "config.yaml" "$err"
run_ok "executions get nopy" "$flytecpp" executions get nopy
expect_in "failed without retrying" "PythonEnvironmentNotFound" "$out"
# The image mapped to the environment in config.yaml: it runs.
cat >"$FLYTECPP_HOME/config.yaml" <<EOF
images:
  - image: "example.org/app:*"
    python: $(dirname "$venv_bin")
EOF
run_ok "config.yaml python mapping" env PATH=/usr/bin:/bin "$flytecpp" run "$work/app.tgz" \
  --workflow squares --input n=3 --exec-id mapped
expect_in "mapped environment ran it" '"total":5' "$out"
rm "$FLYTECPP_HOME/config.yaml"
# A name that is neither a workflow nor a task of the module.
run_fails 2 "an unknown entity" "$flytecpp" run app/flows.py nosuch
expect_in "names it" 'app/flows.py: no workflow or task named "nosuch"' "$err"

# A module pyflyte cannot import: one line naming the file.
printf 'import no_such_module_here\n' >"$work/project/broken.py"
run_fails 2 "a module that does not import" "$flytecpp" run broken.py wf
expect_in "names the file" "broken.py: pyflyte could not package module broken" "$err"
finish
