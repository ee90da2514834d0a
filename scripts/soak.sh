#!/usr/bin/env bash
# The kill -9 soak: the release server under order load, killed with SIGKILL and restarted
# several times, on SQLite and on a durable PostgreSQL; then every acknowledged answer is
# checked against the database.
#
#   scripts/soak.sh                 # both backends
#   scripts/soak.sh sqlite          # or only one: sqlite | postgres
#
# Settings (environment): SOAK_KILLS (5), SOAK_INTERVAL seconds of load between two kills (8),
# SOAK_PG_PORT (55440) for the temporary PostgreSQL cluster, SOAK_KILL_POSTGRES=1 to kill -9
# PostgreSQL's postmaster too at each kill (crash recovery of the durable cluster).
# Needs cargo, curl, python3 (standard library only) and, for PostgreSQL, its server binaries
# and psql (scripts/test-postgres.sh starts the cluster; it installs PostgreSQL from Debian's packages when
# missing and root).
#
# PostgreSQL runs in a cluster of its own, started here with the *durable* defaults (fsync on,
# synchronous_commit on, full_page_writes on), unlike the test cluster. Checks (scripts/soak/
# soak.py verify): every acknowledged (201) order exists with its item and quantity; every
# acknowledged reject, cancel and delivery holds; each delivered order has exactly one payment
# (the acknowledged one, the approved invoice's amount); no payment without delivery; each
# order's last status event is its status; stock conserved (initial = available + held by
# orders that are not rejected or cancelled); PRAGMA integrity_check and foreign_key_check on
# SQLite, amcheck (bt_index_parent_check with heapallindexed) on every index on PostgreSQL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KILLS="${SOAK_KILLS:-5}"
INTERVAL="${SOAK_INTERVAL:-8}"
PG_PORT="${SOAK_PG_PORT:-55440}"
BACKENDS="${1:-sqlite postgres}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gasstock-soak.XXXXXX")"
SECRET="soak secret: thirty-two bytes or more for HS256"
SERVER_PID=""
LOAD_PID=""
PG_DATA=""
STOP_PG=""

log() { echo "soak: $*" >&2; }

cleanup() {
    [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
    [ -n "$STOP_PG" ] && GASSTOCK_PG_PORT="$PG_PORT" "$ROOT/scripts/test-postgres.sh" stop 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_pg() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

log "building the release binaries"
(cd "$ROOT" && cargo build --release --quiet -p gasstock-server -p gasstock-cli)
TARGET="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
SERVER="$TARGET/release/gasstock-server"
CLI="$TARGET/release/gasstock"

start_server() { # DB_URL PORT LOGFILE
    GASSTOCK_LOG=warn "$SERVER" --database-url "$1" --bind "127.0.0.1:$2" --jwt-secret "$SECRET" \
        --webhooks off --register-attempts-per-client 1000 >>"$3" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return
        kill -0 "$SERVER_PID" 2>/dev/null || { log "the server died at start:"; tail -20 "$3" >&2; exit 1; }
        sleep 0.1
    done
    log "the server did not become ready"; exit 1
}

# The cluster of scripts/test-postgres.sh on PG_PORT, with PostgreSQL's durable defaults
# (GASSTOCK_PG_DURABLE=1: fsync, synchronous_commit and full_page_writes all on).
start_durable_postgres() {
    GASSTOCK_PG_PORT="$PG_PORT" GASSTOCK_PG_DURABLE=1 "$ROOT/scripts/test-postgres.sh" start >/dev/null
    STOP_PG=1
    PG_DATA="$(cat "${TMPDIR:-/tmp}/gasstock-test-pg.$PG_PORT")"
    psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'DROP DATABASE IF EXISTS gasstock_soak' \
        -c 'CREATE DATABASE gasstock_soak' >/dev/null
    local settings
    settings="$(psql -X -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")"
    log "durable PostgreSQL on 127.0.0.1:$PG_PORT ($settings)"
    case "$settings" in *fsync=off*|*synchronous_commit=off*|*full_page_writes=off*) log "not durable"; exit 1 ;; esac
}

soak() { # BACKEND
    local backend="$1" db_url state port stop started
    state="$WORK/$backend"
    mkdir -p "$state"
    [ "$(id -u)" = 0 ] && chmod 755 "$WORK"
    if [ "$backend" = sqlite ]; then
        db_url="sqlite://$state/gasstock.db"
    else
        start_durable_postgres
        db_url="postgres://postgres@127.0.0.1:$PG_PORT/gasstock_soak"
    fi
    port="$(free_port)"
    start_server "$db_url" "$port" "$state/server.log"
    python3 "$ROOT/scripts/soak/soak.py" setup "http://127.0.0.1:$port" "$state" "$db_url" "$CLI"
    stop="$state/stop"
    touch "$state/acks.jsonl"
    python3 "$ROOT/scripts/soak/soak.py" load "http://127.0.0.1:$port" "$state" "$stop" &
    LOAD_PID=$!
    local kills=0
    started=$(date +%s)
    for _ in $(seq 1 "$KILLS"); do
        sleep "$(python3 -c "import random; print(round($INTERVAL * random.uniform(0.6, 1.4), 2))")"
        kill -9 "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
        if [ "$backend" = postgres ] && [ "${SOAK_KILL_POSTGRES:-0}" = 1 ]; then
            kill -9 "$(head -1 "$PG_DATA/postmaster.pid")"
            # Its backends exit once they see it gone; until then a restart is refused.
            for try in $(seq 1 60); do
                as_pg "'$(pg_bin)/pg_ctl' -D '$PG_DATA' -l '$PG_DATA/log' -w start -o \"-p $PG_PORT -c listen_addresses=127.0.0.1 -k '$PG_DATA'\"" >/dev/null 2>&1 && break
                [ "$try" = 60 ] && { log "PostgreSQL does not restart:"; tail -20 "$PG_DATA/log" >&2; exit 1; }
                sleep 0.5
            done
            log "$backend: PostgreSQL killed with -9 too, and recovered"
        fi
        kills=$((kills + 1))
        log "$backend: kill -9 number $kills ($(wc -l <"$state/acks.jsonl") acknowledged answers so far); restarting"
        start_server "$db_url" "$port" "$state/server.log"
    done
    sleep "$INTERVAL"
    touch "$stop"
    wait "$LOAD_PID"
    LOAD_PID=""
    kill -TERM "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    log "$backend: $kills kills in $(( $(date +%s) - started )) s; checking"
    if python3 "$ROOT/scripts/soak/soak.py" verify "$state" "$db_url"; then
        RESULTS+=("$backend: passed ($kills kills)")
    else
        RESULTS+=("$backend: FAILED ($kills kills)")
    fi
    if [ "$backend" = postgres ]; then
        as_pg "'$(pg_bin)/pg_ctl' -D '$PG_DATA' -m fast -w stop" >/dev/null
        PG_DATA=""
    fi
}

RESULTS=()
for backend in $BACKENDS; do
    case "$backend" in
        sqlite|postgres) soak "$backend" ;;
        *) log "unknown backend '$backend' (sqlite or postgres)"; exit 2 ;;
    esac
done
printf 'soak: %s\n' "${RESULTS[@]}"
case "${RESULTS[*]}" in *FAILED*) exit 1 ;; esac
