#!/usr/bin/env bash
# Benchmark of webhook delivery (not a test): how many deliveries per second one
# `gasstock-server` worker makes, release build, against local receivers.
#
# For each backend and scenario it creates a fresh database, an admin and one order, starts
# WEBHOOKS receivers (scripts/bench/webhook_receiver.py, one per webhook, so one target
# each; DELAY_MS before each answer), subscribes one webhook to each (`*`), writes EVENTS
# undelivered `order.approved` status events straight into the database (the backlog a
# loaded server leaves), starts the server with its worker and waits until every delivery
# is delivered (or TIMEOUT seconds). Rate = deliveries / (last recorded attempt - first
# dispatch), both read from the database, so start-up is not counted and dispatching,
# claiming, sending and recording are.
#
#   scripts/bench-webhooks.sh                                  # both backends, default scenarios
#   BACKENDS=sqlite EVENTS=5000 scripts/bench-webhooks.sh
#   SCENARIOS="1:0 4:0 1:20" scripts/bench-webhooks.sh         # WEBHOOKS:DELAY_MS ...
#   BIN_DIR=/tmp/old/release scripts/bench-webhooks.sh         # binaries of another build
#   WORKER_ENV="GASSTOCK_WEBHOOK_POLL_INTERVAL=10ms GASSTOCK_WEBHOOK_BATCH=256" scripts/bench-webhooks.sh
#
# PostgreSQL: database `gasstock_webhook_bench` on PG_URL, dropped and created for each
# scenario. By default a cluster of the benchmark's own on 127.0.0.1:55451, started with
# PostgreSQL's durable defaults (`GASSTOCK_PG_DURABLE=1 scripts/test-postgres.sh`, as
# scripts/bench.sh does) and stopped at the end: every recorded attempt is a durable commit,
# as in production. A PG_URL of your own must be durable too.
# Needs python3, sqlite3 and psql. Everything stays on 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
EVENTS="${EVENTS:-2000}"
SCENARIOS="${SCENARIOS:-1:0 4:0 1:20}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PG_PORT="${BENCH_PG_PORT:-55451}"
PG_URL="${PG_URL:-}"
TIMEOUT="${TIMEOUT:-300}"
WORKER_ENV="${WORKER_ENV:-}"
if [ -z "${BIN_DIR:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet -p gasstock-server -p gasstock-cli)
    BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
fi
CLI="$BIN_DIR/gasstock"
SERVER="$BIN_DIR/gasstock-server"
WORK="$(mktemp -d)"
PIDS=()
STOP_PG=""
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
    [ -n "$STOP_PG" ] && GASSTOCK_PG_PORT="$PG_PORT" "$ROOT/scripts/test-postgres.sh" stop || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ " $BACKENDS " == *" postgres "* ]]; then
    if [ -z "$PG_URL" ]; then
        GASSTOCK_PG_PORT="$PG_PORT" GASSTOCK_PG_DURABLE=1 "$ROOT/scripts/test-postgres.sh" start > /dev/null
        STOP_PG=1
        PG_URL="postgres://postgres@127.0.0.1:$PG_PORT"
    fi
    durability="$(psql -X -q -At "$PG_URL/postgres" \
        -c "SELECT current_setting('fsync') || ',' || current_setting('synchronous_commit')")"
    if [ "$durability" != "on,on" ]; then
        echo "bench-webhooks: $PG_URL runs with fsync,synchronous_commit = $durability: not what production runs" >&2
        exit 1
    fi
fi

export GASSTOCK_ADMIN=bench-admin@example.rw GASSTOCK_LOG=warn
export GASSTOCK_JWT_SECRET="webhook benchmark secret, at least 32 bytes"

sql() {
    case "$GASSTOCK_DATABASE_URL" in
        sqlite:*) sqlite3 "${GASSTOCK_DATABASE_URL#sqlite://}" "$1" ;;
        *) psql -qtA -F '|' "$GASSTOCK_DATABASE_URL" -c "$1" ;;
    esac
}

fresh_database() {
    case "$1" in
        sqlite) export GASSTOCK_DATABASE_URL="sqlite://$WORK/bench-$RANDOM.db" ;;
        postgres)
            psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS gasstock_webhook_bench WITH (FORCE)" \
                -c "CREATE DATABASE gasstock_webhook_bench" 2> /dev/null
            export GASSTOCK_DATABASE_URL="$PG_URL/gasstock_webhook_bench" ;;
    esac
    echo "long enough password" | "$CLI" users create-admin --email "$GASSTOCK_ADMIN" --password-stdin > /dev/null
    "$CLI" seed --sellers 1 --buyers 1 --items 1 --orders 1 > /dev/null
}

# Writes EVENTS undispatched order approvals, stamped like the newest webhook's creation (so
# every webhook subscribes to them).
write_events() {
    local columns="entity, entity_id, order_id, from_status, to_status, created_at"
    local row="'order', o.id, o.id, 'pending', 'approved', (SELECT MAX(created_at) FROM webhooks)"
    case "$GASSTOCK_DATABASE_URL" in
        sqlite:*) sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $EVENTS)
                       INSERT INTO status_events ($columns) SELECT $row FROM n, (SELECT MIN(id) AS id FROM orders) o" ;;
        *) sql "INSERT INTO status_events ($columns) SELECT $row FROM generate_series(1, $EVENTS), (SELECT MIN(id) AS id FROM orders) o" ;;
    esac
}

# Seconds from the first dispatch of the benchmark's events to the last recorded attempt.
elapsed() {
    case "$GASSTOCK_DATABASE_URL" in
        sqlite:*) sql "SELECT (julianday((SELECT MAX(created_at) FROM webhook_attempts))
                              - julianday(MIN(webhook_dispatched_at))) * 86400.0
                       FROM status_events WHERE id > $1" ;;
        *) sql "SELECT EXTRACT(EPOCH FROM (SELECT MAX(created_at) FROM webhook_attempts) - MIN(webhook_dispatched_at))
                FROM status_events WHERE id > $1" ;;
    esac
}

run_scenario() {
    local backend="$1" webhooks="$2" delay="$3"
    fresh_database "$backend"
    local receivers=() i
    for i in $(seq 1 "$webhooks"); do
        DELAY_MS="$delay" STATS="$WORK/receiver-$i.json" python3 "$ROOT/scripts/bench/webhook_receiver.py" > "$WORK/port-$i" 2> "$WORK/receiver-$i.err" &
        receivers+=("$!")
        PIDS+=("$!")
    done
    for i in $(seq 1 "$webhooks"); do
        until [ -s "$WORK/port-$i" ]; do sleep 0.05; done
        local url="http://127.0.0.1:$(cat "$WORK/port-$i")/hooks"
        # Builds before the target rule have no --allow-private-host (and need none).
        "$CLI" webhooks add "$url" --events '*' --allow-private-host > /dev/null 2>&1 \
            || "$CLI" webhooks add "$url" --events '*' > /dev/null 2>&1
    done
    local first_event
    first_event="$(sql "SELECT COALESCE(MAX(id), 0) FROM status_events")"
    write_events
    local expected=$((EVENTS * webhooks))

    (cd "$WORK" && exec env $WORKER_ENV GASSTOCK_BIND=127.0.0.1:0 "$SERVER" > "$WORK/server.out" 2> "$WORK/server.log") &
    local server="$!"
    PIDS+=("$server")
    local start=$SECONDS delivered=0
    while :; do
        delivered="$(sql "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'")"
        [ "$delivered" -ge "$expected" ] && break
        [ $((SECONDS - start)) -ge "$TIMEOUT" ] && break
        sleep 0.2
    done
    kill -TERM "$server" && wait "$server" || true
    local secs attempts
    secs="$(elapsed "$first_event")"
    attempts="$(sql "SELECT COUNT(*) FROM webhook_attempts")"
    local most=0
    for pid in "${receivers[@]}"; do kill -TERM "$pid" && wait "$pid" || true; done
    for i in $(seq 1 "$webhooks"); do
        local m
        m="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['most_in_flight'])" "$WORK/receiver-$i.json")"
        [ "$m" -gt "$most" ] && most="$m"
        rm -f "$WORK/port-$i" "$WORK/receiver-$i.json"
    done
    printf '| %-8s | %8d | %8s | %6d | %9d | %8d | %7.2f | %10.0f | %12d |\n' "$backend" "$webhooks" "$delay" "$EVENTS" \
        "$delivered" "$attempts" "$secs" "$(echo "$delivered / $secs" | bc -l)" "$most"
}

echo "bench: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), binaries $BIN_DIR, worker env '${WORKER_ENV}'" >&2
echo "| backend  | webhooks | delay ms | events | delivered | attempts | seconds | deliveries/s | most in flight |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for backend in $BACKENDS; do
    for scenario in $SCENARIOS; do
        run_scenario "$backend" "${scenario%%:*}" "${scenario##*:}"
    done
done
