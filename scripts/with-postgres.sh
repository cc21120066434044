#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server: initdb in a temporary directory (as the unprivileged `postgres`
# user when run as root), a free port on 127.0.0.1, the connection string in ACTORPIPELINE_POSTGRES; the server is
# stopped and its directory removed when the command ends, whatever its outcome. Exits with the command's exit code.
#
#   scripts/with-postgres.sh dotnet test --filter PostgreSql
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)" >&2
  exit 3
fi

as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

data=$(mktemp -d)
if [ "$(id -u)" = 0 ]; then chown postgres "$data"; fi
stop() {
  as_owner "$bin/pg_ctl" -D "$data/db" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$data"
}
# Stopped however this script ends: done, failed, or interrupted (SIGINT, SIGTERM) while the command runs.
trap stop EXIT

# A port nobody listens on: a connection to it is refused.
port=""
for candidate in $(shuf -i 20000-60000 -n 50); do
  if ! (exec 3<> "/dev/tcp/127.0.0.1/$candidate") 2> /dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "with-postgres: no free port found" >&2; exit 3; }

as_owner "$bin/initdb" -D "$data/db" -U postgres -A trust --no-sync > "$data/initdb.log" 2>&1 \
  || { cat "$data/initdb.log" >&2; exit 3; }
as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1" start > /dev/null \
  || { cat "$data/server.log" >&2; exit 3; }

export ACTORPIPELINE_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
# The command runs in the background so that a signal to this script is handled at once: passed on to the command, and
# the server stopped after it.
"$@" &
child=$!
trap 'kill -TERM "$child" 2> /dev/null; wait "$child"; exit 143' TERM
trap 'kill -INT "$child" 2> /dev/null; wait "$child"; exit 130' INT
set +e
wait "$child"
status=$?
set -e
exit $status
