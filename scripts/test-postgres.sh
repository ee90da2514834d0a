#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the test suite and prints the URL to use.
#
#   eval "$(scripts/test-postgres.sh start)"   # exports GASSTOCK_TEST_PG_URL
#   scripts/test-postgres.sh stop
#   GASSTOCK_PG_PORT=25450 GASSTOCK_PG_DURABLE=1 scripts/test-postgres.sh start   # durable
#
# Installs PostgreSQL from Debian's packages when it is missing (needs root). The cluster
# lives in a temporary folder, listens on 127.0.0.1 only, and trusts local connections.
set -euo pipefail

PORT="${GASSTOCK_PG_PORT:-55432}"
STATE_FILE="${TMPDIR:-/tmp}/gasstock-test-pg.$PORT"

log() { echo "test-postgres: $*" >&2; }

pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

install_postgres() {
    if [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ]; then
        return
    fi
    if [ "$(id -u)" != 0 ]; then
        log "PostgreSQL is not installed and this is not root: install the 'postgresql' package"
        exit 1
    fi
    log "installing PostgreSQL from Debian's packages"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

# Runs a command as the postgres user when we are root (initdb refuses to run as root).
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/bash -c "$*"
    else
        bash -c "$*"
    fi
}

start() {
    install_postgres
    local bin data
    bin="$(pg_bin)"
    if [ -f "$STATE_FILE" ] && as_pg "'$bin/pg_ctl' -D '$(cat "$STATE_FILE")' status" >/dev/null 2>&1; then
        log "already running (data in $(cat "$STATE_FILE"))"
    else
        data="$(mktemp -d "${TMPDIR:-/tmp}/gasstock-pg.XXXXXX")"
        [ "$(id -u)" = 0 ] && chown postgres: "$data"
        chmod 700 "$data"
        as_pg "'$bin/initdb' -D '$data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
        # Tests race many connections at once; fsync off because the data is thrown away.
        # GASSTOCK_PG_DURABLE=1 keeps PostgreSQL's durable defaults (fsync, synchronous
        # commit, full page writes): benchmarks and the kill -9 soak measure what production gets.
        local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        [ "${GASSTOCK_PG_DURABLE:-0}" = 1 ] && speed=""
        as_pg "'$bin/pg_ctl' -D '$data' -l '$data/log' -w start -o \"-p $PORT -c listen_addresses=127.0.0.1 -k '$data' -c max_connections=300 $speed\"" >/dev/null
        echo "$data" > "$STATE_FILE"
        psql -q -h 127.0.0.1 -p "$PORT" -U postgres -c 'CREATE DATABASE gasstock_test' >/dev/null
        log "started on 127.0.0.1:$PORT (data in $data)"
    fi
    echo "export GASSTOCK_TEST_PG_URL=postgres://postgres@127.0.0.1:$PORT/gasstock_test"
}

stop() {
    [ -f "$STATE_FILE" ] || { log "not running"; return; }
    local data
    data="$(cat "$STATE_FILE")"
    as_pg "'$(pg_bin)/pg_ctl' -D '$data' -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$data" "$STATE_FILE"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
