#!/usr/bin/env bash
# with_venv.sh VENV SCRIPT ARGS...: runs a test script with the Python of
# the pinned environment scripts/setup.sh made (requirements.lock), its bin/
# first on PATH (so flytecpp finds flytekit's entrypoints there). Without
# that environment the test is skipped, loudly.
set -euo pipefail
venv=$(realpath -m "$1")
shift
if [[ ! -x "$venv/bin/python" || ! -x "$venv/bin/pyflyte-execute" ]]; then
  echo "SKIPPED: NO FLYTEKIT ($venv/bin/pyflyte-execute is missing: run scripts/setup.sh)"
  exit 0
fi
export PATH="$venv/bin:$PATH" PYTHONDONTWRITEBYTECODE=1
case "$1" in
  *.py) exec "$venv/bin/python" "$@" ;;
  *) exec bash "$@" ;;
esac
