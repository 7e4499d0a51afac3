# The checks of the tests written in bash: source it, use `check NAME
# ACTUAL EXPECTED` (or ok / bad), end with `finish` (the summary; non-zero
# exit status if anything failed).
failures=0
ok() { echo "ok   - $1"; }
bad() { echo "FAIL - $1"; failures=$((failures + 1)); }
check() { if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }
finish() {
  echo "$failures failure(s)"
  ((failures == 0))
}

# Running commands: `run_ok NAME CMD...` (ok if it exits 0) and `run_fails
# CODE NAME CMD...` (ok if it exits CODE) leave its stdout in $out, its
# stderr in $err and its exit status in $rc; `expect_in NAME TEXT IN` and
# `expect_not_in NAME TEXT IN` check what they said.
run_capture() {
  local o e
  o=$(mktemp) e=$(mktemp)
  "$@" >"$o" 2>"$e"
  rc=$?
  out=$(cat "$o") err=$(cat "$e")
  rm -f "$o" "$e"
}
run_ok() {
  local name=$1
  shift
  run_capture "$@"
  if ((rc == 0)); then ok "$name"; else bad "$name: exit $rc: $(tail -n 3 <<<"$err")"; fi
}
run_fails() {
  local want=$1 name=$2
  shift 2
  run_capture "$@"
  if ((rc == want)); then ok "$name"; else bad "$name: exit $rc, want $want: $(tail -n 3 <<<"$err$out")"; fi
}
expect_in() {
  if [[ "$3" == *"$2"* ]]; then ok "$1"; else bad "$1: '$2' not in: $(head -c 400 <<<"$3")"; fi
}
expect_not_in() {
  if [[ "$3" != *"$2"* ]]; then ok "$1"; else bad "$1: '$2' found in: $(head -c 400 <<<"$3")"; fi
}
