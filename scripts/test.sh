#!/usr/bin/env bash
# Sets up, builds and runs every test: the dev build (g++) and the asan build
# (clang, ASan+UBSan, libFuzzer targets run briefly). Prints ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# ccache hits across checkouts in different folders (CI clones afresh).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

jobs=$(nproc)
status=0
for preset in dev asan; do
  echo "=== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== $preset: test"
  ctest --preset "$preset" -j "$jobs" || status=1
done
exit $status
