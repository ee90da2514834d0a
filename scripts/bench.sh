#!/usr/bin/env bash
# The gasstock benchmark (issue 6; results in BENCHMARKS.md). Not a test: it measures, and
# fails only on wrong answers (lost or phantom stock, errors other than insufficient_stock).
#
#   scripts/bench.sh                          # both backends, the full data set
#   BACKENDS=sqlite DURATION=5s scripts/bench.sh
#   ITEMS=20000 ORDERS=100000 scripts/bench.sh  # a quicker, smaller run
#   BIN_DIR=/tmp/before scripts/bench.sh          # binaries of another build (before/after)
#
# For each backend it seeds a fresh database (`gasstock seed`), starts the release server on
# a loopback port, signs in, runs every scenario with wrk (scripts/bench/gasstock.lua) and
# prints one table: req/s, p50, p99, non-2xx answers, errors that are not insufficient_stock,
# and the server's RSS after the scenario. After the order scenarios it checks from the
# database that stock is exactly conserved: for every item, on-hand plus the quantities of
# its live orders (not rejected, cancelled or expired) is what it was before, and that there
# is one new order per 201. Then the sales report over the seeded orders (wall time) and the 1M-row
# CSV import (scripts/bench-import.sh).
#
# Needs: cargo, curl, awk; wrk and sqlite3 (installed from Debian's packages when missing, as
# root); PostgreSQL for the postgres backend (scripts/test-postgres.sh installs it when missing
# and starts a throwaway cluster on 127.0.0.1:${GASSTOCK_PG_PORT:-55432}); GNU time for the
# import (scripts/bench-import.sh). Traffic stays on 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
SELLERS="${SELLERS:-200}"
ITEMS="${ITEMS:-100000}"
ORDERS="${ORDERS:-1000000}"
DEEP_PAGE="${DEEP_PAGE:-2000}"
TOKENS_N="${TOKENS_N:-16}"
IMPORT_ROWS="${IMPORT_ROWS:-1000000}"
RUN_IMPORT="${RUN_IMPORT:-1}"
SERVER_LOG="${BENCH_LOG:-warn}"
PASSWORD="bench-password-1"
ADMIN=bench-admin@example.rw
# The benchmark's own PostgreSQL cluster, on PostgreSQL's durable defaults (fsync and
# synchronous_commit on), not the test cluster's fast, non-durable settings.
# Below the ephemeral ports (32768-60999), which the load's client sockets may still hold.
PG_PORT="${BENCH_PG_PORT:-25450}"
PG_DB=gasstock_perf

WORK="$(mktemp -d)"
SERVER_PID=""
STOP_PG=""
FAILED=0

log() { echo "bench: $*" >&2; }

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [ -n "$STOP_PG" ] && GASSTOCK_PG_PORT="$PG_PORT" "$ROOT/scripts/test-postgres.sh" stop || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# need TOOL PACKAGE: installs Debian's PACKAGE when TOOL is missing (needs root).
need() {
    command -v "$1" >/dev/null && return
    if [ "$(id -u)" != 0 ]; then
        log "$1 is missing and this is not root: install Debian's '$2' package"
        exit 1
    fi
    log "installing $2 from Debian's packages"
    [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq >&2; APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2
}

for tool in curl awk; do
    command -v "$tool" >/dev/null || { log "$tool is missing"; exit 1; }
done
need wrk wrk
need sqlite3 sqlite3
[ "$RUN_IMPORT" = 1 ] && need /usr/bin/time time && need bc bc

# BIN_DIR: benchmark binaries built elsewhere (e.g. a copy of an earlier build, for before/after).
if [ -n "${BIN_DIR:-}" ]; then
    TARGET="$BIN_DIR"
else
    log "building the release binaries"
    (cd "$ROOT" && cargo build --release --quiet -p gasstock-cli -p gasstock-server)
    TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
fi
CLI="$TARGET/gasstock"
SERVER="$TARGET/gasstock-server"

# --- helpers ----------------------------------------------------------------------------

# sql "STATEMENT": rows as text, `|`-separated, on the current backend.
sql() {
    case "$URL" in
        sqlite:*) sqlite3 "${URL#sqlite://}" "$1" ;;
        postgres*) psql -X -q -At "$URL" -c "$1" ;;
    esac
}

# seconds_since START: wall seconds since START (a `date +%s.%N`).
seconds_since() {
    awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", now - start }'
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((20000 + RANDOM % 20000))
}

rss_mib() {
    awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"
}

# json_field NAME < JSON: a top-level string or number field.
json_field() {
    sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\).*/\1/p" | head -1
}

login() {
    curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" \
        "$BASE/api/v1/login" | json_field token
}

# The statuses whose orders no longer hold stock (OrderStatus::holds_stock): the server's
# expiry sweep turns pending orders older than GASSTOCK_PENDING_TTL into `expired` while the
# scenarios run (seeded ones are at most two days old, but a seed kept for days ages),
# giving their stock back.
RELEASED="'rejected', 'cancelled', 'expired'"

# Stock held per item: on hand plus live orders. Conservation means this never changes.
held_stock() {
    sql "SELECT s.id, s.quantity + COALESCE(o.q, 0) FROM stock_items s LEFT JOIN \
         (SELECT inventory_id, SUM(quantity) AS q FROM orders WHERE status NOT IN ($RELEASED) \
          GROUP BY inventory_id) o ON o.inventory_id = s.id ORDER BY s.id"
}

# How many of 20 random filters of the browse scenario match in-stock items (from the
# database): the browse figure is only honest if they do.
browse_matches() {
    local brands=(Jibu Total Oryx Kobil SP Meru Hashi) weights=(3 6 12 13 15 50) locations
    read -r -a locations <<< "$(grep -A4 '^local locations' "$ROOT/scripts/bench/gasstock.lua" \
        | tr -d '{},"' | tr '\n' ' ' | sed 's/local locations =//')"
    local matched=0 i
    for i in $(seq 20); do
        local b="${brands[RANDOM % 7]}" w="${weights[RANDOM % 6]}" l="${locations[RANDOM % ${#locations[@]}]}"
        [ "$(sql "SELECT COUNT(*) FROM stock_items WHERE brand = '$b' AND weight_g = ${w}000 AND location = '$l' \
            AND quantity > 0")" -gt 0 ] && matched=$((matched + 1))
    done
    echo "$matched"
}

TABLE=""
# scenario LABEL SCENARIO [extra env...]: runs wrk, appends a table row, returns the 201 count
# in CREATED and fails the run on errors other than 409 when the scenario counts statuses.
scenario() {
    local label="$1" name="$2" connections="${CONNECTIONS_OVERRIDE:-$CONNECTIONS}"
    shift 2
    local out="$WORK/wrk.$name.out"
    env BENCH_SCENARIO="$name" BENCH_THREADS="$THREADS" "$@" \
        wrk -t "$THREADS" -c "$connections" -d "$DURATION" --timeout 5s --latency \
        -s "$ROOT/scripts/bench/gasstock.lua" "$BASE" > "$out" 2>&1 || { cat "$out" >&2; exit 1; }
    local rps p50 p99 non2xx socket created conflicts requests other
    if ! grep -q '^RESULT' "$out"; then
        log "$label: wrk printed no RESULT line (no request answered?):"
        cat "$out" >&2
        exit 1
    fi
    read -r _ rps p50 p99 non2xx socket created conflicts requests < <(grep '^RESULT' "$out")
    other=$((non2xx - conflicts + socket))
    CREATED="$created"
    local rss ratio=-
    rss="$(rss_mib)"
    [ -n "${RSS_LATER:-}" ] && rss="(below)"
    [ "$name" = readyz ] && READYZ_RPS="$rps"
    [ -n "${READYZ_RPS:-}" ] && ratio="$(awk -v a="$rps" -v b="$READYZ_RPS" 'BEGIN { printf "%.2f", a / b }')"
    TABLE+="$(printf '%-34s %4s %10s %6s %9s %9s %8s %9s %8s %8s' "$label" "$connections" "$rps" "$ratio" "$p50" \
        "$p99" "$non2xx" "$other" "$created" "$rss")"$'\n'
    if [ "$other" -gt 0 ]; then
        log "FAIL: $label: $other errors other than insufficient_stock (409)"
        FAILED=1
    fi
}

# --- one backend --------------------------------------------------------------------------

bench_backend() {
    local backend="$1"
    case "$backend" in
        sqlite)
            URL="sqlite://$WORK/bench.db"
            DURABILITY="the server's default SQLite settings"
            ;;
        postgres)
            if ! { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }; then
                GASSTOCK_PG_PORT="$PG_PORT" GASSTOCK_PG_DURABLE=1 "$ROOT/scripts/test-postgres.sh" start >/dev/null
                STOP_PG=1
            fi
            local durability
            durability="$(psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U postgres \
                -c "SELECT current_setting('fsync') || ',' || current_setting('synchronous_commit')")"
            if [ "$durability" != "on,on" ] && [ "${BENCH_PG_FAST:-0}" != 1 ]; then
                log "the cluster on port $PG_PORT runs with fsync,synchronous_commit = $durability: not what"
                log "production runs; stop it (or set BENCH_PG_PORT) so that the benchmark starts a durable one"
                exit 1
            fi
            DURABILITY="fsync,synchronous_commit = $durability"
            psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "DROP DATABASE IF EXISTS $PG_DB" \
                -c "CREATE DATABASE $PG_DB" >/dev/null
            URL="postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
            ;;
        *) log "unknown backend $backend"; exit 2 ;;
    esac
    export GASSTOCK_DATABASE_URL="$URL"

    log "$backend: seeding $SELLERS sellers, $ITEMS items, $ORDERS orders"
    local started seeded
    started=$(date +%s.%N)
    "$CLI" --format json seed --sellers "$SELLERS" --items "$ITEMS" --orders "$ORDERS" \
        --password "$PASSWORD" > "$WORK/seed.json"
    seeded="$(seconds_since "$started")"
    echo "$PASSWORD" | "$CLI" users create-admin --email "$ADMIN" --password-stdin > /dev/null
    if [ "$backend" = postgres ]; then
        sql "VACUUM ANALYZE" > /dev/null
    fi

    local port
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    GASSTOCK_BIND="127.0.0.1:$port" GASSTOCK_JWT_SECRET="bench-secret-0123456789abcdef0123456789" \
        GASSTOCK_WEBHOOKS=off GASSTOCK_LOG="$SERVER_LOG" "$SERVER" > "$WORK/server.out" 2> "$WORK/server.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf "$BASE/healthz" > /dev/null && break; sleep 0.1; done
    curl -sf "$BASE/readyz" > /dev/null || { cat "$WORK/server.log" >&2; exit 1; }

    # Sign in: TOKENS_N buyers, the first seller, the admin.
    local tokens="" buyers="" token i
    for i in $(seq 0 $((TOKENS_N - 1))); do
        buyers+="${buyers:+,}buyer$i.1@seed.gasstock.rw"
        token="$(login "buyer$i.1@seed.gasstock.rw")"
        [ -n "$token" ] || { log "cannot sign in as buyer$i.1"; exit 1; }
        tokens+="${tokens:+,}$token"
    done
    local admin_token seller_token hot
    admin_token="$(login "$ADMIN")"
    seller_token="$(login seller0.1@seed.gasstock.rw)"
    # The hot item: one item with a huge stock that every order of scenario 4b hits.
    hot="$(curl -sf -H "Authorization: Bearer $seller_token" -H 'Content-Type: application/json' \
        -d '{"brand":"Hotgas","weight":"12kg","location":"Kigali","quantity":10000000,"unit_price":15000}' \
        "$BASE/api/v1/seller/inventory" | json_field id)"
    export BENCH_TOKENS="$tokens" BENCH_ADMIN_TOKEN="$admin_token" BENCH_ITEMS="$ITEMS" BENCH_HOT_ITEM="$hot" \
        BENCH_DEEP_PAGE="$DEEP_PAGE" BENCH_BUYERS="$buyers" BENCH_PASSWORD="$PASSWORD"

    TABLE=""
    READYZ_RPS=""
    log "$backend: scenarios, $DURATION each (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    scenario "1a healthz (no database)" healthz
    scenario "1b readyz (SELECT 1)" readyz
    scenario "2 browse brand+weight+location" browse
    scenario "2b ... a filter matching nothing" browse_nomatch
    # Choosing a seller (issue 13): builds before it ignore near= and sort=, so a probe with
    # an unknown district (a 422 since then) tells whether these rows measure anything.
    if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${tokens%%,*}" \
        "$BASE/api/v1/gas?near=Atlantis")" = 422 ]; then
        scenario "2c brand+weight, near a district" browse_near
        scenario "2d brand+weight, best rated first" browse_rating
    else
        log "$backend: this build has no near= nor sort=: rows 2c and 2d skipped"
    fi
    scenario "3a browse unfiltered, page 1" browse_first
    scenario "3b browse unfiltered, page $DEEP_PAGE" browse_deep

    held_stock > "$WORK/held.before"
    local orders_before orders_after created_total=0
    orders_before="$(sql 'SELECT COUNT(*) FROM orders')"
    COUNTED=1 scenario "4a orders, many items" order_spread BENCH_STATUSES=1
    created_total=$((created_total + CREATED))
    COUNTED=1 scenario "4b orders, one hot item" order_hot BENCH_STATUSES=1
    created_total=$((created_total + CREATED))

    # Pending orders for the approvals of the mixed workload (newest first).
    sql "SELECT id FROM orders WHERE status = 'pending' ORDER BY id DESC LIMIT 50000" > "$WORK/pending"
    COUNTED=1 scenario "5 mixed 90/8/2" mixed BENCH_STATUSES=1 BENCH_PENDING_FILE="$WORK/pending"
    created_total=$((created_total + CREATED))

    held_stock > "$WORK/held.after"
    orders_after="$(sql 'SELECT COUNT(*) FROM orders')"
    local conservation="stock conserved over $((orders_after - orders_before)) new orders"
    if ! cmp -s "$WORK/held.before" "$WORK/held.after"; then
        conservation="STOCK NOT CONSERVED: $(diff "$WORK/held.before" "$WORK/held.after" | grep -c '^>' || true) items differ"
        FAILED=1
    elif [ $((orders_after - orders_before)) -lt "$created_total" ] \
        || [ $((orders_after - orders_before)) -gt $((created_total + 3 * CONNECTIONS)) ]; then
        # wrk stops with up to CONNECTIONS requests in flight per scenario: those orders can be
        # placed without their 201 being counted, never the other way round.
        conservation="ORDER COUNT MISMATCH: $((orders_after - orders_before)) new rows, $created_total answers 201"
        FAILED=1
    else
        conservation+=" ($created_total answered 201; the rest were in flight when wrk stopped)"
    fi
    local hot_held
    hot_held="$(sql "SELECT s.quantity + COALESCE((SELECT SUM(quantity) FROM orders WHERE inventory_id = s.id \
        AND status NOT IN ($RELEASED)), 0) FROM stock_items s WHERE s.id = $hot")"
    if [ "$hot_held" != 10000000 ]; then
        conservation+="; HOT ITEM HOLDS $hot_held, NOT 10000000"
        FAILED=1
    fi

    # 6: the login storm (argon2 at 8 connections) while scenario 2 runs.
    local storm="$WORK/storm.out"
    CONNECTIONS_OVERRIDE=8 BENCH_SCENARIO=login BENCH_THREADS=1 wrk -t 1 -c 8 -d "$DURATION" --timeout 5s --latency \
        -s "$ROOT/scripts/bench/gasstock.lua" "$BASE" > "$storm" 2>&1 &
    local storm_pid=$!
    RSS_LATER=1 scenario "6 browse during a login storm" browse
    wait "$storm_pid" || true
    # The last logins' hashes finish after wrk stops; their argon2 memory (19 MiB each) is
    # returned to the OS when they do.
    sleep 1
    local lrps lp50 lp99 lnon2xx lsocket
    read -r _ lrps lp50 lp99 lnon2xx lsocket _ < <(grep '^RESULT' "$storm")
    TABLE+="$(printf '%-34s %4s %10s %6s %9s %9s %8s %9s %8s %8s' "6 ... the logins themselves" 8 "$lrps" - "$lp50" \
        "$lp99" "$lnon2xx" "$((lnon2xx + lsocket))" - "$(rss_mib)")"$'\n'

    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""

    # 7: the sales report over every seeded order.
    local report_started report_secs
    report_started=$(date +%s.%N)
    GASSTOCK_ADMIN="$ADMIN" "$CLI" --format json report sales --by seller > "$WORK/report.json"
    report_secs="$(seconds_since "$report_started")"

    echo
    echo "== $backend: $(tr -d ' \n' < "$WORK/seed.json" | sed 's/"first_seller".*//') seeded in $(printf '%.1f' "$seeded") s"
    printf '%-34s %4s %10s %6s %9s %9s %8s %9s %8s %8s\n' scenario conn req/s /readyz "p50 ms" "p99 ms" non-2xx \
        "errors*" 201s "RSS MiB"
    printf '%s' "$TABLE"
    echo "* errors: answers other than 2xx and 409 insufficient_stock, plus socket errors/timeouts"
    echo "/readyz: req/s as a share of scenario 1b's in the same run; durability: $DURABILITY"
    echo "browse (2): $(browse_matches) of 20 random brand+weight+location filters match at least one item"
    echo "conservation: $conservation"
    printf '7 report sales --by seller over %s orders: %.2f s\n' "$ORDERS" "$report_secs"

    # 8: the CSV import, into a fresh database of this backend.
    if [ "$RUN_IMPORT" = 1 ]; then
        local import_url="sqlite://$WORK/import.db"
        if [ "$backend" = postgres ]; then
            psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "DROP DATABASE IF EXISTS ${PG_DB}_import" \
                -c "CREATE DATABASE ${PG_DB}_import" >/dev/null
            import_url="postgres://postgres@127.0.0.1:$PG_PORT/${PG_DB}_import"
        fi
        echo "8 CSV import (scripts/bench-import.sh, $IMPORT_ROWS rows):"
        ROWS="$IMPORT_ROWS" DATABASE_URL="$import_url" "$ROOT/scripts/bench-import.sh" 2>/dev/null | sed 's/^/  /'
    fi
}

log "$(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
for backend in $BACKENDS; do
    bench_backend "$backend"
done
if [ "$FAILED" != 0 ]; then
    log "FAILED: see the lines in capitals above"
    exit 1
fi
