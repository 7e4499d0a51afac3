"""A small Flyte workflow written with flytekit, run by flytecpp unchanged:

  flytecpp run examples/python/word_stats.py word_stats --input text="..."

Each task runs as its own sandboxed process with the flytekit of the Python
environment on PATH (or the one config.yaml maps its image to); the module
itself travels as a fast-registration bundle, as `pyflyte run --remote`
ships it.
"""

import dataclasses

from flytekit import conditional, map_task, task, workflow


@dataclasses.dataclass
class Stats:
    words: int
    longest: str
    letters: int


@task
def split(text: str) -> list[str]:
    return [w.strip(".,;:!?").lower() for w in text.split() if w.strip(".,;:!?")]


@task
def letters(word: str) -> int:
    return sum(c.isalpha() for c in word)


@task
def summarize(words: list[str], counts: list[int]) -> Stats:
    longest = max(words, key=len) if words else ""
    return Stats(words=len(words), longest=longest, letters=sum(counts))


@task
def count(words: list[str]) -> int:
    return len(words)


@task
def verdict(stats: Stats) -> str:
    return f"{stats.words} words, the longest is {stats.longest!r}"


@task
def nothing() -> str:
    return "no words at all"


@workflow
def word_stats(text: str = "Flyte tasks, run locally by flytecpp.") -> tuple[Stats, str]:
    words = split(text=text)
    counts = map_task(letters)(word=words)
    stats = summarize(words=words, counts=counts)
    n = count(words=words)
    said = (
        conditional("any_words")
        .if_(n > 0)  # decided by the engine, not by Python
        .then(verdict(stats=stats))
        .else_()
        .then(nothing())
    )
    return stats, said
