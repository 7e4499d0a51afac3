"""flytekit's FlyteRemote against a flytecpp server, as a user's notebook
would use it: flyte_remote_check.py CONFIG PROJECT DOMAIN VERSION.
The entities of clients/flows.py are registered (pyflyte register, by
flyte_clients_test.sh) under VERSION. Prints "ok - ..." or "FAIL - ..."
per check; exits 1 if any failed."""

import sys
import time
from datetime import timedelta

import pandas as pd
from flytekit.configuration import Config
from flytekit.exceptions.user import FlyteEntityNotExistException
from flytekit.models.core.execution import WorkflowExecutionPhase
from flytekit.remote import FlyteRemote
from flytekit.types.file import FlyteFile

config, project, domain, version = sys.argv[1:5]
failures = 0


def check(name, got, want):
    global failures
    if got == want:
        print(f"ok   - {name}")
    else:
        failures += 1
        print(f"FAIL - {name}: got {got!r}, want {want!r}")


remote = FlyteRemote(
    config=Config.auto(config_file=config), default_project=project, default_domain=domain
)
WAIT = timedelta(minutes=3)
POLL = timedelta(seconds=1)

# A launch plan, fetched and run, its outputs read as Python values.
lp = remote.fetch_launch_plan(name="app.flows.hello", version=version)
check("fetch_launch_plan: its id", (lp.id.name, lp.id.version), ("app.flows.hello", version))
def run(entity, inputs):
    """execute(..., wait=True), polling each second (execute's own wait polls every 30 s)."""
    return remote.wait(remote.execute(entity, inputs=inputs), timeout=WAIT, poll_interval=POLL)


ex = run(lp, {"name": "remote"})
check("execute + wait: succeeded", ex.closure.phase, WorkflowExecutionPhase.SUCCEEDED)
check("its output as a str", ex.outputs["o0"], "hello remote")

# GetData: a node's outputs by flyte:// URL, as FlyteRemote.get reads them.
got = remote.get(f"flyte://v1/{project}/{domain}/{ex.id.name}/n0/o")
check("get(flyte://…/o): the node's outputs", got.get("o0", as_type=str), "hello remote")
got = remote.get(f"flyte://v1/{project}/{domain}/{ex.id.name}/n0/i/name")
check("get(flyte://…/i/name): one input", got.scalar.primitive.string_value, "remote")
# The task's deck: a download link the server signed, fetched over HTTP.
deck = remote.get(f"flyte://v1/{project}/{domain}/{ex.id.name}/n0/d")
deck = deck if isinstance(deck, bytes) else str(getattr(deck, "data", deck)).encode()
check("get(flyte://…/d): the task's deck, with its output", b"hello remote" in deck, True)

# A FlyteFile and a StructuredDataset (a pandas frame) as outputs.
data_lp = remote.fetch_launch_plan(name="app.flows.data", version=version)
ex = run(data_lp, {"text": "from a task", "n": 4})
check("data: succeeded", ex.closure.phase, WorkflowExecutionPhase.SUCCEEDED)
f = ex.outputs.get("o0", as_type=FlyteFile)
with open(f, "r") as opened:
    check("a FlyteFile output, read", opened.read(), "from a task")
frame = ex.outputs.get("o1", as_type=pd.DataFrame)
check("a StructuredDataset output, as a DataFrame", frame["square"].tolist(), [0, 1, 4, 9])

# recent_executions and sync(sync_nodes=True): the nodes and their outputs.
recent = remote.recent_executions(limit=10)
check("recent_executions: newest first", recent[0].id.name, ex.id.name)
synced = remote.sync(ex, sync_nodes=True)
nodes = sorted(k for k in synced.node_executions if k not in ("start-node", "end-node"))
check("sync: its nodes", nodes, ["n0", "n1"])
check("sync: a node's output", synced.node_executions["n1"].outputs.get("o0", as_type=pd.DataFrame)["x"].tolist(), [0, 1, 2, 3])

# terminate, then recover (a new execution from what succeeded).
sleepy = remote.fetch_launch_plan(name="app.flows.sleepy", version=version)
ex = remote.execute(sleepy, inputs={"seconds": 600})
remote.terminate(ex, cause="stopped by the test")
ex = remote.wait(ex, timeout=WAIT, poll_interval=POLL)
check("terminate: aborted", ex.closure.phase, WorkflowExecutionPhase.ABORTED)
recovered = remote.client.recover_execution(ex.id)
check("recover: a new execution of the same project", recovered.project, project)
remote.terminate(remote.fetch_execution(name=recovered.name), cause="done")

# A gate: a value (set_signal), then an approval.
gated = remote.fetch_launch_plan(name="app.flows.gated", version=version)
def signals_of(execution, want):
    """The execution's signal ids once `want` is among them (or after 30 s)."""
    for _ in range(300):
        ids = [s.id.signal_id for s in remote.list_signals(execution.id.name)]
        if want in ids:
            return ids
        time.sleep(0.1)
    return ids


ex = remote.execute(gated, inputs={"x": 3})
check("list_signals: the execution's gates", "factor" in signals_of(ex, "factor"), True)
remote.set_signal("factor", ex.id.name, 7)
signals_of(ex, "go")
remote.approve("go", ex.id.name)
ex = remote.wait(ex, timeout=WAIT, poll_interval=POLL)
check("set_signal + approve: succeeded", ex.closure.phase, WorkflowExecutionPhase.SUCCEEDED)
check("the signalled value used", ex.outputs["o0"], 21)

# reject ends the execution.
ex = remote.execute(gated, inputs={"x": 3})
signals_of(ex, "factor")
remote.set_signal("factor", ex.id.name, 1)
signals_of(ex, "go")
remote.reject("go", ex.id.name)
ex = remote.wait(ex, timeout=WAIT, poll_interval=POLL)
check("reject: failed", ex.closure.phase, WorkflowExecutionPhase.FAILED)

# A single task, fetched and executed.
t = remote.fetch_task(name="app.flows.greet", version=version)
ex = run(t, {"name": "task"})
check("fetch_task + execute: its output", ex.outputs["o0"], "hello task")

# An eager workflow: its task creates executions of add_one on the server.
eager = remote.fetch_launch_plan(name="app.flows.eager_add_two", version=version)
ex = run(eager, {"x": 40})
check("eager: succeeded", ex.closure.phase, WorkflowExecutionPhase.SUCCEEDED)
check("eager: its output", ex.outputs["o0"] if ex.closure.phase == WorkflowExecutionPhase.SUCCEEDED else None, 42)
children = [e for e in remote.recent_executions(limit=20) if e.id.name.startswith("e-")]
check("eager: two sub-executions made through FlyteRemote", len(children) >= 2, True)

# An unknown execution is NOT_FOUND, as flyteadmin says it.
try:
    remote.fetch_execution(name="no-such-execution")
    check("fetch of an unknown execution: NOT_FOUND", "found", "NOT_FOUND")
except FlyteEntityNotExistException:
    check("fetch of an unknown execution: NOT_FOUND", "NOT_FOUND", "NOT_FOUND")

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
