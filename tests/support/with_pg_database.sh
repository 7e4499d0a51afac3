#!/usr/bin/env bash
# Runs a command with a fresh database on the throwaway PostgreSQL server
# (tests/support/postgres.sh, found through $FLYTECPP_TEST_PG_DIR), named to
# it by FLYTECPP_TEST_STORE_URL=postgresql://...; drops the database after.
# Without the server it says so and exits 0 with "SKIPPED: NO POSTGRESQL".
# Usage: with_pg_database.sh COMMAND [ARGS...]
set -uo pipefail
PG=${FLYTECPP_TEST_PG_DIR:-}
if [[ -z "$PG" || ! -f "$PG/conninfo" ]]; then
  echo "SKIPPED: NO POSTGRESQL (FLYTECPP_TEST_PG_DIR/conninfo missing; ctest starts the server)"
  exit 0
fi
port=$(grep -o 'port=[0-9]*' "$PG/conninfo" | cut -d= -f2)
export PGPASSWORD
PGPASSWORD=$(cat "$PG/password")
db="test_$$_$RANDOM"
psql -q -h 127.0.0.1 -p "$port" -U flyte -d postgres -c "CREATE DATABASE $db" ||
  { echo "FAIL - cannot create database $db"; exit 1; }
trap 'psql -q -h 127.0.0.1 -p "$port" -U flyte -d postgres \
        -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1' EXIT
FLYTECPP_TEST_STORE_URL="postgresql://flyte:$PGPASSWORD@127.0.0.1:$port/$db" "$@"
