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
