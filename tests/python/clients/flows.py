"""Workflows a Flyte user would run against a Flyte server: what
flyte_clients_test.sh registers with pyflyte and drives with FlyteRemote
and flytectl (copied into the test's project as app/flows.py)."""

import time
from datetime import timedelta

import pandas as pd
from flytekit import approve, eager, task, wait_for_input, workflow
from flytekit.types.file import FlyteFile


@task(enable_deck=True)
def greet(name: str) -> str:
    return f"hello {name}"


@workflow
def hello(name: str = "world") -> str:
    return greet(name=name)


@task
def write(text: str) -> FlyteFile:
    with open("note.txt", "w") as f:
        f.write(text)
    return FlyteFile("note.txt")


@task
def table(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": list(range(n)), "square": [i * i for i in range(n)]})


@workflow
def data(text: str = "hi", n: int = 3) -> tuple[FlyteFile, pd.DataFrame]:
    return write(text=text), table(n=n)


@task
def nap(seconds: int) -> int:
    time.sleep(seconds)
    return seconds


@workflow
def sleepy(seconds: int = 600) -> int:
    return nap(seconds=seconds)


@task
def times(x: int, y: int) -> int:
    return x * y


@workflow
def gated(x: int = 2) -> int:
    factor = wait_for_input("factor", timeout=timedelta(hours=1), expected_type=int)
    approved = approve(factor, "go", timeout=timedelta(hours=1))
    return times(x=x, y=approved)


@task
def add_one(x: int) -> int:
    return x + 1


# flytekit 1.16's eager API: a task called inside runs as an execution of
# its own on the server (through FlyteRemote), and its value is returned.
@eager
async def eager_add_two(x: int) -> int:
    once = add_one(x=x)
    return add_one(x=once)
