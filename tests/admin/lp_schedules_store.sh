#!/usr/bin/env bash
# Registers flytesnacks' productionizing/lp_schedules.py, packaged by the
# real pyflyte, into a fresh store for the scheduler's fake-clock test
# (SchedulerTest.FlytesnacksLpSchedules*), through with_venv.sh:
#   lp_schedules_store.sh FLYTECPP OUT_DIR CONFORMANCE_DIR
# OUT_DIR/store is that store. Without flytekit or the example, it says
# SKIPPED and makes nothing (the test then skips, loudly).
set -euo pipefail
flytecpp=$(realpath "$1")
out=$(realpath -m "$2")
example="$3/flytesnacks/productionizing/productionizing/lp_schedules.py"
rm -rf "$out"
if [[ ! -f "$example" ]]; then
  echo "SKIPPED: NO FLYTESNACKS: $example is missing"
  exit 0
fi
project=$(mktemp -d)  # outside any git repository (pyflyte honours .gitignore)
trap 'rm -rf "$project"' EXIT
cp "$example" "$project/"
(cd "$project" && pyflyte --pkgs lp_schedules package --image flytecpp/none:1 -f -o "$project/pkg.tgz" >/dev/null)
mkdir -p "$out"
# Registered as a user registers: through a server on the store.
"$flytecpp" --store "$out/store.part" serve --grpc 127.0.0.1:0 --http none >"$project/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$project"' EXIT
for _ in $(seq 100); do grep -q "gRPC on" "$project/serve.out" && break; sleep 0.1; done
grpc=$(grep -o "gRPC on [^,]*" "$project/serve.out" | cut -d' ' -f3)
"$flytecpp" register "$project/pkg.tgz" --server "$grpc" --version v1 \
  --project flytesnacks --domain development
kill $server
wait $server 2>/dev/null || true
mv "$out/store.part" "$out/store"
