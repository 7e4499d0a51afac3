#!/usr/bin/env bash
# Builds the release preset and runs the compile benchmark, then prints the
# growth ratio of each shape: time(10x nodes) / time(x nodes). Linear growth
# is ~10; the target is <= 12, and a 100k-node workflow in under 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target compile_bench >/dev/null
out=$(build/release/bench/compile_bench --benchmark_repetitions=3 \
        --benchmark_report_aggregates_only=true "$@")
echo "$out"
echo
echo "growth (median time, 10x nodes / x nodes):"
echo "$out" | awk '
  /_median/ && $1 ~ /BM_(Compile|Copy)/ {
    split($1, parts, "/"); shape = parts[1]; n = parts[2] + 0;
    t[shape, n] = $2; shapes[shape] = 1
  }
  END {
    for (s in shapes) {
      printf "  %-18s 1k->10k: %5.2fx   10k->100k: %5.2fx   100k nodes: %.1f ms\n", s,
             t[s, 10000] / t[s, 1000], t[s, 100000] / t[s, 10000], t[s, 100000]
    }
  }'
