#!/usr/bin/env bash
# Idle notification streams at scale (issue 16; results in BENCHMARKS.md). Not a test: it
# measures, and fails only when something does not work (a stream refused, an approval that
# never reaches its stream).
#
#   scripts/bench-streams.sh                            # sqlite, postgres, postgres-2 (two instances)
#   CONFIGS=sqlite STREAMS=2000 scripts/bench-streams.sh   # a quicker, smaller run
#
# For each configuration it seeds a fresh database (`gasstock seed`), starts the release
# server, measures its CPU over CPU_SECONDS idle with no stream open, then
# scripts/bench/streams.py opens STREAMS streams (10 per buyer) and measures, with them open:
# the server's CPU over CPU_SECONDS of idleness, its RSS, and the latency from an approval to
# the `order.approved` event on the buyer's stream over 100 approvals. Then browse throughput
# (wrk) and the server's CPU time per browse request, without and with the streams,
# interleaved over CYCLES cycles after WARMUP_ROUNDS untimed runs (streams.py's doc says how),
# with the change pooled over the runs and paired per cycle, each with its bootstrap 90%
# interval: the server's CPU per request is a figure the load generators on the same cores do
# not move the way they move req/s.
# `postgres-2` runs two instances on one database: the streams on the first, the approvals
# through the second (the event crosses instances through LISTEN/NOTIFY).
#
# Needs: cargo, python3, wrk and sqlite3 (Debian packages, installed when missing as root),
# PostgreSQL (scripts/test-postgres.sh starts a durable cluster of its own on
# ${BENCH_PG_PORT:-25450}). Traffic stays on 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONFIGS="${CONFIGS:-sqlite postgres postgres-2}"
STREAMS="${STREAMS:-10000}"
APPROVALS="${APPROVALS:-100}"
CPU_SECONDS="${CPU_SECONDS:-30}"
BROWSE_DURATION="${BROWSE_DURATION:-5s}"
BROWSE_ROUNDS="${BROWSE_ROUNDS:-3}"
CYCLES="${CYCLES:-4}"
SELLERS="${SELLERS:-100}"
ITEMS="${ITEMS:-20000}"
ORDERS="${ORDERS:-20000}"
PASSWORD="bench-password-1"
SECRET="bench-secret-0123456789abcdef0123456789"
ADMIN=bench-admin@example.rw
PG_PORT="${BENCH_PG_PORT:-25450}"
PG_DB=gasstock_streams

WORK="$(mktemp -d)"
PIDS=()
STOP_PG=""

log() { echo "bench-streams: $*" >&2; }

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    [ -n "$STOP_PG" ] && GASSTOCK_PG_PORT="$PG_PORT" "$ROOT/scripts/test-postgres.sh" stop || true
    rm -rf "$WORK"
}
trap cleanup EXIT

need() {
    command -v "$1" >/dev/null && return
    [ "$(id -u)" = 0 ] || { log "$1 is missing: install Debian's '$2' package"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2
}
need wrk wrk
need sqlite3 sqlite3

log "building the release binaries"
(cd "$ROOT" && cargo build --release --quiet -p gasstock-cli -p gasstock-server)
CLI="${CARGO_TARGET_DIR:-$ROOT/target}/release/gasstock"
# BENCH_SERVER: another server binary to measure (a copy of an earlier build, for A/B).
SERVER="${BENCH_SERVER:-${CARGO_TARGET_DIR:-$ROOT/target}/release/gasstock-server}"
# Each stream is a connection (and a file descriptor) on both ends.
ulimit -n "$(ulimit -Hn)"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

sql() {
    case "$URL" in
        sqlite:*) sqlite3 "${URL#sqlite://}" "$1" ;;
        postgres*) psql -X -q -At "$URL" -c "$1" ;;
    esac
}

# start_server: starts one release server on a free port; sets PORT and LAST_PID.
start_server() {
    PORT="$(free_port)"
    GASSTOCK_BIND="127.0.0.1:$PORT" GASSTOCK_JWT_SECRET="$SECRET" GASSTOCK_WEBHOOKS=off GASSTOCK_LOG=warn \
        GASSTOCK_MAX_CONNECTIONS=$((STREAMS + 2000)) GASSTOCK_STREAM_MAX_PER_INSTANCE=$((STREAMS + 1000)) \
        "$SERVER" > "$WORK/server.$PORT.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
    for _ in $(seq 100); do
        python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/readyz', timeout=1)" \
            2>/dev/null && return
        sleep 0.1
    done
    cat "$WORK/server.$PORT.log" >&2
    exit 1
}

RESULTS=""
bench_config() {
    local config="$1" instances=1
    case "$config" in
        sqlite) URL="sqlite://$WORK/streams.db"; rm -f "$WORK"/streams.db* ;;
        postgres | postgres-2)
            [ "$config" = postgres-2 ] && instances=2
            psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "DROP DATABASE IF EXISTS $PG_DB" \
                -c "CREATE DATABASE $PG_DB" >/dev/null
            URL="postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
            ;;
        *) log "unknown configuration $config"; exit 2 ;;
    esac
    export GASSTOCK_DATABASE_URL="$URL"
    local buyers=$(((STREAMS + 9) / 10))
    log "$config: seeding $SELLERS sellers, $buyers buyers, $ITEMS items, $ORDERS orders"
    "$CLI" --format json seed --sellers "$SELLERS" --buyers "$buyers" --items "$ITEMS" --orders "$ORDERS" \
        --password "$PASSWORD" > /dev/null
    echo "$PASSWORD" | "$CLI" users create-admin --email "$ADMIN" --password-stdin > /dev/null
    [ "$config" != sqlite ] && sql "VACUUM ANALYZE" > /dev/null
    sql "SELECT id FROM users WHERE role = 'buyer' ORDER BY id" > "$WORK/buyers"
    local seller_id admin_id
    seller_id="$(sql "SELECT MIN(id) FROM users WHERE role = 'seller'")"
    admin_id="$(sql "SELECT id FROM users WHERE email = '$ADMIN'")"

    start_server
    local stream_port="$PORT" server_pid="$LAST_PID" approve_port="$PORT"
    if [ "$instances" = 2 ]; then
        start_server
        approve_port="$PORT"
    fi
    local base="http://127.0.0.1:$stream_port"
    # wrk's browse scenario signs its requests with a few buyers' tokens (minted like streams.py's).
    local tokens
    tokens="$(SECRET="$SECRET" python3 -c '
import os, sys
sys.path.insert(0, sys.argv[1])
from streams import token
print(",".join(token(os.environ["SECRET"], int(l), "buyer") for l in open(sys.argv[2]).read().split()[:16]))
' "$ROOT/scripts/bench" "$WORK/buyers")"
    export BENCH_TOKENS="$tokens" BENCH_ITEMS="$ITEMS"

    log "$config: ${CPU_SECONDS}s idle with no stream open (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    local idle_before idle_cpu
    idle_before="$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")"
    sleep "$CPU_SECONDS"
    idle_cpu="$(awk -v b="$idle_before" -v s="$CPU_SECONDS" -v hz="$(getconf CLK_TCK)" \
        '{ printf "%.2f", ($14 + $15 - b) / hz / s * 100 }' "/proc/$server_pid/stat")"

    log "$config: $STREAMS streams, ${CPU_SECONDS}s idle, $APPROVALS approvals, browse over $CYCLES cycles"
    local result
    result="$(STREAM_URL="$base" APPROVE_URL="http://127.0.0.1:$approve_port" BROWSE_URL="$base" SECRET="$SECRET" \
        SERVER_PID="$server_pid" STREAMS="$STREAMS" APPROVALS="$APPROVALS" CPU_SECONDS="$CPU_SECONDS" \
        BUYER_IDS="$WORK/buyers" SELLER_ID="$seller_id" ADMIN_ID="$admin_id" LUA="$ROOT/scripts/bench/gasstock.lua" \
        BROWSE_DURATION="$BROWSE_DURATION" BROWSE_ROUNDS="$BROWSE_ROUNDS" CYCLES="$CYCLES" \
        python3 "$ROOT/scripts/bench/streams.py" | grep '^RESULT')"
    RESULTS+="$config idle_cpu_no_streams_pct=$idle_cpu ${result#RESULT }"$'\n'
    log "$config: ${result#RESULT }"
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    PIDS=()
}

# The cluster starts before any configuration runs, on a port below the kernel's range of
# ephemeral ports (32768-60999): thousands of client sockets of streams just closed held
# 55450, its port before ("could not bind ... Address already in use").
case " $CONFIGS " in
    *" postgres"*)
        if ! { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }; then
            GASSTOCK_PG_PORT="$PG_PORT" GASSTOCK_PG_DURABLE=1 "$ROOT/scripts/test-postgres.sh" start >/dev/null
            STOP_PG=1
        fi
        ;;
esac
for config in $CONFIGS; do
    bench_config "$config"
done
echo
echo "$STREAMS idle streams, $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s' "$RESULTS" | tr ' ' '\n' | awk -F= '
    NF == 1 { config = $1; configs[++n] = config; next }
    { value[config, $1] = $2; if (!($1 in seen)) { seen[$1] = 1; keys[++k] = $1 } }
    END {
        printf "%-34s", ""; for (i = 1; i <= n; i++) printf " %14s", configs[i]; print ""
        for (j = 1; j <= k; j++) {
            printf "%-34s", keys[j]
            for (i = 1; i <= n; i++) printf " %14s", value[configs[i], keys[j]]
            print ""
        }
    }'
