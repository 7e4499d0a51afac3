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

# What a newcomer runs first must not break unseen: the README's demo, from
# a fresh copy of this checkout in a temporary folder (its store path is
# relative, as a newcomer gets it).
echo "=== demo: ./scripts/demo.sh in a fresh copy"
demo_dir=$(mktemp -d)
trap 'rm -rf "$demo_dir"' EXIT
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$demo_dir"
cp -a node_modules "$demo_dir/"  # the pinned packages setup.sh installed: no second download
# The pinned Python environment likewise (a venv cannot be copied: named).
export FLYTECPP_VENV="${FLYTECPP_VENV:-$PWD/.venv}"
conformance="$(cd .. && pwd)/shared/conformance"
if (cd "$demo_dir" && FLYTECPP_CONFORMANCE_DIR="${FLYTECPP_CONFORMANCE_DIR:-$conformance}" \
      ./scripts/demo.sh) >"$demo_dir/demo.log" 2>&1; then
  echo "demo: ok ($(grep -c '^\$ ' "$demo_dir/demo.log") commands)"
else
  echo "demo: FAILED; its output:"
  cat "$demo_dir/demo.log"
  status=1
fi

for preset in dev asan; do
  echo "=== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== $preset: test"
  ctest --preset "$preset" -j "$jobs" || status=1
done
exit $status
