#!/usr/bin/env bash
# Runs a libFuzzer target briefly, seeded from the conformance artifacts when
# they are present.  usage: run_fuzz.sh FUZZER CORPUS_DIR SECONDS [SEED_DIR...]
set -euo pipefail
fuzzer="$1" corpus="$2" seconds="$3"
shift 3
mkdir -p "$corpus"
seeds=()
for d in "$@"; do [[ -d "$d" ]] && seeds+=("$d"); done
exec "$fuzzer" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -max_len=65536 \
  -rss_limit_mb=4096 -print_final_stats=1
