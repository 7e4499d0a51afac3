# Sourced by the bash tests that need the test command's Slurm cluster
# (tests/support/slurm.sh): skips loudly without one, else exports
# SLURM_CONF, makes $WORK (removed on exit) and brings in the checks.
DIR=${FLYTECPP_TEST_SLURM_DIR:-}
if [[ -z "$DIR" || ! -f "$DIR/ready" ]]; then
  echo "SKIPPED: NO SLURM CLUSTER (FLYTECPP_TEST_SLURM_DIR/ready missing; ctest starts one as root)"
  exit 0
fi
export SLURM_CONF=$DIR/slurm.conf
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
