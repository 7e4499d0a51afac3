#!/usr/bin/env bash
# Sets up, builds, and runs real workflows on the embedded store: a Python
# workflow written with flytekit, run from its .py file with the pinned
# flytekit (setup.sh's venv); a branch workflow built with the C++ builders;
# shell tasks as sandboxed processes; and flytesnacks workflows from a
# pyflyte package, executed by flytecpp's engine with in-process C++ tasks
# (flytecpp-demo = the flytecpp command + a few registered tasks).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# ccache hits across checkouts in different folders (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)" --target flytecpp flytecpp-demo \
  example_branch_workflow example_process_package >/dev/null
echo "build: ok"

flytecpp=build/dev/src/flytecpp
demo=build/dev/examples/flytecpp-demo
out=build/demo
rm -rf "$out"
mkdir -p "$out"
export FLYTECPP_HOME="$out/store"  # the embedded store (SQLite + data directory)
run() { echo; echo "\$ $*"; "$@"; }

run "$flytecpp" --version

# Python tasks written with flytekit, from a .py file, as `pyflyte run`
# takes it: each task a sandboxed process of the pinned flytekit.
export PATH="${FLYTECPP_VENV:-$PWD/.venv}/bin:$PATH"
run "$flytecpp" run examples/python/word_stats.py word_stats \
  --input text="Flyte users' Python tasks, run by flytecpp without Kubernetes." --exec-id words
run "$flytecpp" executions get words
run build/dev/examples/example_branch_workflow "$out/branch_workflow.pb"
run "$flytecpp" inspect "$out/branch_workflow.pb"
run "$flytecpp" graph "$out/branch_workflow.pb" --format mermaid
run "$demo" run "$out/branch_workflow.pb" --input input_count=250 --exec-id bulk
run "$demo" run "$out/branch_workflow.pb" --input input_count=7 --exec-id single
run "$demo" executions get bulk
run "$demo" events bulk

# Container tasks as sandboxed local processes: a package of shell tasks.
run build/dev/examples/example_process_package "$out/pkg"
run tar -czf "$out/shell-pipeline.tgz" -C "$out/pkg" .
run "$flytecpp" package ls "$out/shell-pipeline.tgz"
run "$flytecpp" run "$out/shell-pipeline.tgz" --exec-id shell   # x defaults to 21 (launch plan)
run "$flytecpp" logs shell n1

snacks="${FLYTECPP_CONFORMANCE_DIR:-../shared/conformance}/flytepropeller-compiler/snacks-core"
if [[ -d "$snacks" ]]; then
  mkdir -p "$out/snacks" && cp "$snacks"/*.pb "$out/snacks/"
  tar -czf "$out/snacks.tgz" -C "$out/snacks" .
  run "$flytecpp" compile "$out/snacks.tgz" --workflow multiplier_3
  run "$demo" run "$out/snacks.tgz" --workflow multiplier_3 --input my_input=5
  echo; echo "\$ $demo run $out/snacks.tgz --workflow multiplier_2 --input my_input=20   # fails on purpose"
  "$demo" run "$out/snacks.tgz" --workflow multiplier_2 --input my_input=20 || echo "(exit code $?)"
fi
run "$demo" executions ls
