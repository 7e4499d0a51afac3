"""Flyte users' code on flytecpp: every workflow of every flytesnacks example,
run by flytecpp and by flytekit's own local execution with the same inputs,
outputs compared value by value (both decoded by flytekit's type engine).

  flytesnacks_suite.py FLYTECPP WORK_DIR [--examples DIR] [--only SUBSTRING]
                       [--runtime slurm]

Each example folder (a folder holding a Python package) is packaged with the
real `pyflyte package --copy auto` (its code travels as a fast-registration
bundle) and run with `flytecpp run PACKAGE --workflow NAME`. Inputs are the
workflow's defaults, and for inputs without one, values made from their
types (a file input gets a file of the example's test_data/). Gates get the
same values on both sides: flytecpp through `flytecpp signal`/`approve`,
flytekit through the prompts its local execution would show.

Prints a table (example, workflow, result) and exits 1 on any mismatch. A
workflow both sides fail counts as a match when both fail with the same
exception. What flytecpp deliberately does not run here is listed in
NOT_RUN, each with its reason.
"""

import argparse
import concurrent.futures
import dataclasses
import datetime
import enum
import hashlib
import importlib
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import traceback
import typing

# flytekit's local execution writes its caches and temporary data under HOME.
os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")

import click  # noqa: E402  (flytekit's dependency: its gates prompt through it)
import flytekit  # noqa: E402
from flyteidl.core import literals_pb2  # noqa: E402
from flytekit.core import gate as flytekit_gate  # noqa: E402
from flytekit.core.context_manager import FlyteContextManager  # noqa: E402
from flytekit.core.python_function_task import EagerAsyncPythonFunctionTask  # noqa: E402
from flytekit.core.type_engine import TypeEngine  # noqa: E402
from flytekit.core.workflow import WorkflowBase  # noqa: E402
from flytekit.models import literals as literal_models  # noqa: E402
from flytekit.types.directory import FlyteDirectory  # noqa: E402
from flytekit.types.file import FlyteFile  # noqa: E402
from flytekit.types.structured import StructuredDataset  # noqa: E402

# Workflows flytecpp does not run in this suite, and why. Matched against
# the workflow's full name by suffix.
NOT_RUN = {
    # @eager tasks launch their sub-tasks through FlyteRemote: they need a
    # FlyteAdmin endpoint (flytecpp serve), which the client tests run.
    "eager": "an @eager workflow: its tasks call FlyteAdmin (run against flytecpp serve)",
}

# Workflows whose outputs differ from flytekit's local execution on purpose
# (docs/compatibility.md): flytecpp must run them to success; their outputs
# are not compared. (A recoverable failure flytecpp retries, where flytekit's
# local run does not, is recognised where outputs are compared.)
KNOWN_DIFFERENCES = {
    "basics.shell_task.shell_task_wf": (
        "task_2 copies a file into its input directory and task_3 reads it there: flytekit's "
        "local run shares one directory between tasks, Flyte and flytecpp give each task its "
        "own copy (so task_3 counts 0 characters, as on Flyte)"),
}


def example_inputs(name: str, example_dir: pathlib.Path):
    """Inputs for the workflows whose inputs made from types could not mean
    anything: the values of the examples' own __main__ blocks, with the local
    copies of the files they name (machines here have no internet)."""
    data = example_dir / "test_data"
    biostats = ["Name", "Sex", "Age", "Heights (in)", "Weight (lbs)"]
    faithful = ["Index", "Eruption length (mins)", "Eruption wait (mins)"]
    return {
        "data_types_and_io.file.normalize_csv_file": lambda: dict(
            csv_url=FlyteFile(str(data / "biostats.csv")), column_names=biostats,
            columns_to_normalize=["Age"]),
        "data_types_and_io.folder.download_and_normalize_csv_files": lambda: dict(
            csv_urls=[(data / "biostats.csv").as_uri(), (data / "faithful.csv").as_uri()],
            columns_metadata=[biostats, faithful],
            columns_to_normalize_metadata=[["Age"], ["Eruption length (mins)"]]),
    }.get(name, lambda: {})()


@dataclasses.dataclass
class Outcome:
    ok: bool
    values: dict = dataclasses.field(default_factory=dict)
    error: str = ""


# ---- inputs made from types ----------------------------------------------------------


class Inputs:
    """Values for a workflow's inputs without defaults, made from their types."""

    def __init__(self, example_dir: pathlib.Path, scratch: pathlib.Path):
        self.data = sorted(p for p in (example_dir / "test_data").glob("*") if p.is_file()) \
            if (example_dir / "test_data").is_dir() else []
        self.scratch = scratch

    def value(self, t, i=0):
        origin = typing.get_origin(t)
        args = typing.get_args(t)
        if t is int:
            return 3 + i
        if t is float:
            return 2.5 + i
        if t is str:
            return f"flytecpp-{i}"
        if t is bool:
            return True
        if t is datetime.datetime:
            return datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        if t is datetime.timedelta:
            return datetime.timedelta(seconds=1 + i)
        if origin in (list, typing.List):
            return [self.value(args[0], i + k) for k in range(3)]
        if origin in (dict, typing.Dict):
            return {f"k{k}": self.value(args[1], i + k) for k in range(2)}
        if origin is typing.Union:
            return self.value(next(a for a in args if a is not type(None)), i)
        if origin is typing.Annotated:
            return self.value(args[0], i)
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return list(t)[0]
        # Files before dataclasses: flytekit's file types are dataclasses too.
        if t is FlyteFile or (isinstance(t, type) and issubclass(t, FlyteFile)):
            return FlyteFile(str(self.file(i)))
        if t is FlyteDirectory or (isinstance(t, type) and issubclass(t, FlyteDirectory)):
            return FlyteDirectory(str(self.directory()))
        if dataclasses.is_dataclass(t):
            hints = typing.get_type_hints(t)
            return t(**{f.name: self.value(hints[f.name], i) for f in dataclasses.fields(t)})
        raise TypeError(f"no value made for an input of type {t!r}")

    def file(self, i):
        if self.data:
            return self.data[i % len(self.data)]
        path = self.scratch / f"input-{i}.txt"
        path.write_text(f"flytecpp input {i}\n")
        return path

    def directory(self):
        d = self.scratch / "input-dir"
        d.mkdir(exist_ok=True)
        for i, f in enumerate(self.data or [self.file(0)]):
            shutil.copy(f, d / f.name)
        return d


# ---- comparing values ----------------------------------------------------------------


def normalized(v):
    """A plain Python value to compare: files by content, frames by rows."""
    import pandas as pd

    if isinstance(v, FlyteFile):
        return ("file", pathlib.Path(v.download()).name, pathlib.Path(v.download()).read_bytes())
    if isinstance(v, FlyteDirectory):
        root = pathlib.Path(v.download())
        return ("dir", sorted((str(p.relative_to(root)), p.read_bytes())
                              for p in root.rglob("*") if p.is_file()))
    if isinstance(v, StructuredDataset):
        return ("frame", normalized(v.open(pd.DataFrame).all()))
    if isinstance(v, pd.DataFrame):
        return ("frame", list(v.columns), v.astype(str).values.tolist())
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return normalized(dataclasses.asdict(v))
    if isinstance(v, dict):
        return {k: normalized(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [normalized(x) for x in v]
    if isinstance(v, float):
        return round(v, 9) if math.isfinite(v) else str(v)
    return v


def to_literal_map(ctx, values: dict, types: dict):
    return TypeEngine.dict_to_literal_map(ctx, values, types)


def from_literal_map(ctx, lm, types: dict) -> dict:
    return TypeEngine.literal_map_to_kwargs(ctx, lm, types)


# ---- the two runs --------------------------------------------------------------------


@dataclasses.dataclass
class GateValue:
    approve: bool  # an approve() gate: approved; else wait_for_input() gets `value`
    value: typing.Any = None


def gate_values(wf, inputs: Inputs) -> dict:
    """What each gate of `wf` gets, by signal name."""
    out = {}
    for node in getattr(wf, "nodes", []):
        entity = node.flyte_entity
        if isinstance(entity, flytekit_gate.Gate) and not entity.sleep_duration:
            out[entity.name] = GateValue(True) if entity.input_type is None else \
                GateValue(False, inputs.value(entity.input_type))
    return out


def run_local(wf, values: dict, gates: dict) -> Outcome:
    """flytekit's own local execution (what `pyflyte run` without --remote does)."""
    ctx = FlyteContextManager.current_context()

    def answer(ctx_, input_type, message):
        name = message.split("@", 1)[1].split(" ", 1)[0]
        return TypeEngine.to_literal(ctx_, gates[name].value, input_type,
                                     TypeEngine.to_literal_type(input_type))

    saved = (flytekit_gate.parse_stdin_to_literal, click.confirm)
    flytekit_gate.parse_stdin_to_literal = answer
    click.confirm = lambda *a, **k: True
    try:
        result = wf(**values)
    except Exception as e:  # the workflow failed: compared with flytecpp's failure
        return Outcome(False, error=f"{type(e).__name__}: {e}")
    finally:
        flytekit_gate.parse_stdin_to_literal, click.confirm = saved
    names = list(wf.python_interface.outputs.keys())
    if len(names) == 1:
        result = {names[0]: result}
    elif names:
        result = dict(zip(names, result))
    else:
        result = {}
    types = wf.python_interface.outputs
    return Outcome(True, from_literal_map(ctx, to_literal_map(ctx, result, types), types))


def inputs_pb(wf, values: dict) -> bytes:
    ctx = FlyteContextManager.current_context()
    lm = to_literal_map(ctx, values, {k: wf.python_interface.inputs[k] for k in values})
    return lm.to_flyte_idl().SerializeToString()


def run_flytecpp(args, package, name: str, inputs: bytes, gates: dict, work: pathlib.Path):
    """Runs workflow `name` on flytecpp: (True, outputs.pb bytes) or (False, its error line).
    Only subprocesses here (it runs on a pool thread): flytekit's context is not shared."""
    exec_id = "s" + hashlib.md5(name.encode()).hexdigest()[:12]
    inputs_file = work / f"{exec_id}.inputs.pb"
    outputs_file = work / f"{exec_id}.outputs.pb"
    inputs_file.write_bytes(inputs)
    base = [args.flytecpp] + (["--runtime", args.runtime] if args.runtime else [])
    run = base + ["run", str(package), "--workflow", name, "--inputs", str(inputs_file),
                  "--outputs", str(outputs_file), "--exec-id", exec_id]
    steps = []
    if gates:  # recorded first, its signals set, then run
        steps.append(run + ["--detach=now"])
        for signal, gate in gates.items():
            if gate.approve:
                steps.append(base + ["approve", exec_id, signal])
            else:
                text = str(gate.value).lower() if isinstance(gate.value, bool) else str(gate.value)
                steps.append(base + ["signal", exec_id, signal, text])
        steps.append(base + ["resume", exec_id, "--outputs", str(outputs_file)])
    else:
        steps.append(run)
    for i, cmd in enumerate(steps):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if p.returncode == 1 and i == len(steps) - 1:
            lines = [l for l in p.stderr.splitlines() if l.startswith("flytecpp:")]
            return False, (lines[-1] if lines else p.stderr.strip())
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return True, outputs_file.read_bytes()


def decoded(wf, outputs: bytes) -> dict:
    ctx = FlyteContextManager.current_context()
    pb = literals_pb2.LiteralMap()
    pb.ParseFromString(outputs)
    return from_literal_map(ctx, literal_models.LiteralMap.from_flyte_idl(pb),
                            wf.python_interface.outputs)


def same_failure(local: str, remote: str) -> bool:
    """Both failed with the same exception (flytecpp's line names it)."""
    exception = local.split(":", 1)[0]
    return exception in remote


# ---- the suite -----------------------------------------------------------------------


def examples(root: pathlib.Path):
    """(folder, package) for every example folder: one holding a Python package."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for pkg in sorted(p for p in folder.iterdir() if (p / "__init__.py").is_file()):
            yield folder, pkg.name


def workflows_of(package: str, folder: pathlib.Path):
    """Every workflow (and eager entity) the package's modules define, by module."""
    sys.path.insert(0, str(folder))
    found = []
    for module_file in sorted((folder / package).glob("*.py")):
        if module_file.name == "__init__.py":
            continue
        module = importlib.import_module(f"{package}.{module_file.stem}")
        for obj in vars(module).values():
            defined_here = getattr(obj, "instantiated_in", None) == module.__name__ or \
                getattr(getattr(obj, "_workflow_function", None), "__module__", None) == \
                module.__name__ or getattr(getattr(obj, "task_function", None), "__module__",
                                           None) == module.__name__
            if isinstance(obj, (WorkflowBase, EagerAsyncPythonFunctionTask)) and defined_here:
                if obj not in found:
                    found.append(obj)
    return found


def package(folder: pathlib.Path, pkg: str, out: pathlib.Path) -> pathlib.Path:
    target = out / f"{pkg}.tgz"
    pyflyte = pathlib.Path(sys.executable).parent / "pyflyte"
    subprocess.run([str(pyflyte), "--pkgs", pkg, "package", "--copy", "auto", "-d", ".",
                    "--image", "flytecpp.test/python:1", "-f", "-o", str(target)],
                   cwd=folder, check=True, capture_output=True, text=True)
    return target


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("flytecpp")
    parser.add_argument("work")
    parser.add_argument("--examples", default=os.environ.get("FLYTECPP_CONFORMANCE_DIR", "") and
                        os.path.join(os.environ["FLYTECPP_CONFORMANCE_DIR"], "flytesnacks"))
    parser.add_argument("--only", default="")
    parser.add_argument("--runtime", default="")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    root = pathlib.Path(args.examples or "")
    if not args.examples or not root.is_dir():
        print(f"SKIPPED: NO FLYTESNACKS EXAMPLES (looked in {root}; set FLYTECPP_CONFORMANCE_DIR)")
        return 0
    args.flytecpp = os.path.abspath(args.flytecpp)
    work = pathlib.Path(args.work).absolute()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ["HOME"] = str(work / "home")  # flytekit's local cache: fresh each run
    os.environ["FLYTECPP_HOME"] = str(work / "store")
    os.environ["PATH"] = str(pathlib.Path(sys.executable).parent) + ":" + os.environ["PATH"]
    (work / "home").mkdir()
    (work / "cwd").mkdir()
    os.chdir(work / "cwd")  # what local runs write into their working directory

    rows, jobs, failures_found = [], [], []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
    for folder, pkg in examples(root):
        if args.only and args.only not in pkg:
            continue
        tgz = package(folder, pkg, work)
        scratch = work / "inputs" / pkg
        scratch.mkdir(parents=True)
        made = Inputs(folder, scratch)
        found = workflows_of(pkg, folder)
        if not found:  # a package of examples with nothing to run: the finder broke
            rows.append((pkg, "-", "ERROR: no workflow found in the package's modules"))
            failures_found.append(pkg)
        for wf in found:
            name = wf.name
            if args.only and args.only not in name and args.only != pkg:
                continue
            if isinstance(wf, EagerAsyncPythonFunctionTask):
                rows.append((pkg, name, "not run: " + NOT_RUN["eager"]))
                continue
            interface = wf.python_interface
            defaults = interface.default_inputs_as_kwargs
            given = example_inputs(name, folder)
            values = {k: given[k] if k in given else defaults[k] if k in defaults
                      else made.value(t, i) for i, (k, t) in enumerate(interface.inputs.items())}
            gates = gate_values(wf, made)
            job = pool.submit(run_flytecpp, args, tgz, name, inputs_pb(wf, values), gates, work)
            jobs.append((pkg, wf, run_local(wf, values, gates), job))
    failures = len(failures_found)
    for pkg, wf, local, future in jobs:
        name = wf.name
        try:
            ok, result = future.result()
            ours = Outcome(True, decoded(wf, result)) if ok else Outcome(False, error=result)
        except Exception as e:
            rows.append((pkg, name, f"ERROR: {e}"))
            failures += 1
            continue
        if name in KNOWN_DIFFERENCES and ours.ok:
            rows.append((pkg, name, "succeeded; not compared: " + KNOWN_DIFFERENCES[name]))
        elif local.ok and ours.ok:
            a = {k: normalized(v) for k, v in local.values.items()}
            b = {k: normalized(v) for k, v in ours.values.items()}
            if a == b:
                rows.append((pkg, name, f"same outputs ({len(a)})"))
            else:
                rows.append((pkg, name, f"MISMATCH: flytekit {a!r:.300} flytecpp {b!r:.300}"))
                failures += 1
        elif not local.ok and not ours.ok and same_failure(local.error, ours.error):
            rows.append((pkg, name, f"same failure ({local.error.split(':', 1)[0]})"))
        elif not local.ok and local.error.startswith("FlyteRecoverableException") and ours.ok:
            # flytekit's local execution does not retry; flytecpp retries a
            # recoverable failure as Flyte does (docs/compatibility.md).
            rows.append((pkg, name, "succeeded on retry (flytekit's local run does not retry)"))
        else:
            rows.append((pkg, name, "MISMATCH: flytekit " + (local.error or "succeeded") +
                         " | flytecpp " + (ours.error or "succeeded")))
            failures += 1
    pool.shutdown()
    width = max((len(r[1]) for r in rows), default=10)
    print(f"{'EXAMPLE':24} {'WORKFLOW':{width}} RESULT")
    for pkg, name, result in rows:
        print(f"{pkg:24} {name:{width}} {result}")
    compared = sum(1 for r in rows if not r[2].startswith("not run"))
    passed = compared - failures
    if compared == 0:  # a suite that compared nothing proves nothing
        print("ERROR: no workflow was run and compared")
        failures += 1
    print(f"{passed} passed, {failures} failed, "
          f"{len(rows) - compared} not run")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(2)
