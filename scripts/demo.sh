#!/usr/bin/env bash
# Sets up, builds, and shows flytecpp on real inputs: the builder examples
# write Flyte messages, which flytecpp inspects and converts; a pyflyte
# package from flytectl's test data is listed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# ccache hits across checkouts in different folders (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)" >/dev/null
echo "build: ok"

bin=build/dev/src/flytecpp
out=build/demo
mkdir -p "$out"
run() { echo; echo "\$ $*"; "$@"; }

run "$bin" --version
run build/dev/examples/example_branch_workflow "$out/branch_workflow.pb"
run "$bin" inspect "$out/branch_workflow.pb"
run "$bin" compile "$out/branch_workflow.pb" -o "$out/branch_workflow.compiled.yaml"
run head -n 12 "$out/branch_workflow.compiled.yaml"
run "$bin" graph "$out/branch_workflow.pb" --format mermaid
run build/dev/examples/example_array_node "$out/array_node.pb"
run "$bin" inspect "$out/array_node.pb"
pkg=../shared/conformance/flytectl-packages/flyte-package.tgz
if [[ -f "$pkg" ]]; then
  run "$bin" package ls "$pkg"
  run "$bin" compile "$pkg"
fi
