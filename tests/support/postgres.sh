#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, in a temporary directory, run as
# an unprivileged user (nobody, when started by root):
#   postgres.sh start DIR   initdb + pg_ctl start; writes DIR/conninfo (no
#                           password) and DIR/password (the user's)
#   postgres.sh restart DIR stops it at once and starts it again (its clients'
#                           connections are cut)
#   postgres.sh stop DIR    stops it and removes DIR (only a DIR that start made,
#                           or an empty one)
# The tests that need it read DIR from FLYTECPP_TEST_PG_DIR and skip loudly
# when DIR/conninfo is missing.
set -euo pipefail
cmd="${1:?start|restart|stop}" dir="${2:?DIR}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql); its tests will skip" >&2
  exit 0
fi
marker=.flytecpp-postgres
# shellcheck source=remove_dir.sh
source "$(dirname "$0")/remove_dir.sh"
as_user=()
if [[ $(id -u) -eq 0 ]]; then as_user=(runuser -u nobody --); fi

case "$cmd" in
  start)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    remove_dir
    mkdir -p "$dir"
    touch "$dir/$marker"
    head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/password"
    [[ ${#as_user[@]} -eq 0 ]] || chown -R nobody "$dir"
    chmod 700 "$dir"
    "${as_user[@]}" "$bin/initdb" -D "$dir/data" -U flyte -E UTF8 --auth-local=trust \
      --auth-host=scram-sha-256 --pwfile="$dir/password" >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    chmod 755 "$dir"  # the tests (root or not) read conninfo and password
    chmod 644 "$dir/password"
    echo "host=127.0.0.1 port=$port dbname=postgres user=flyte" >"$dir/conninfo"
    echo "postgres.sh: PostgreSQL $(basename "$(dirname "$bin")") on 127.0.0.1:$port ($dir)"
    ;;
  restart)  # the same server, its connections cut (as a crash or an upgrade would)
    "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w restart >/dev/null 2>&1 ||
      { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    remove_dir
    ;;
  *) echo "postgres.sh: start|restart|stop DIR" >&2; exit 2 ;;
esac
