#!/usr/bin/env bash
# Fuzzes the running API against its own OpenAPI document with schemathesis, once per role
# (anonymous, buyer, seller, admin), with every check, and fails on any failure.
#
#   scripts/schemathesis.sh            # builds the binaries (debug) if needed
#   SCHEMATHESIS_MAX_EXAMPLES=50 SCHEMATHESIS_SEED=7 scripts/schemathesis.sh
#
# It makes a Python venv (default target/schemathesis-venv) with schemathesis from PyPI, starts
# gasstock-server on a fresh SQLite database in a temporary directory, creates an admin with the
# CLI and a buyer and a seller through POST /register, signs each in for a token, and runs
# `schemathesis run --checks all` against /api/v1/openapi.json for each. No check is excluded.
# Bounded in time: --max-examples per operation, and --max-time per run (schemathesis keeps
# fuzzing until that budget is spent): about 4 x 70 s in all with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
VENV=$(realpath -m "${SCHEMATHESIS_VENV:-target/schemathesis-venv}")
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-40}
MAX_TIME=${SCHEMATHESIS_MAX_TIME:-60}
SEED=${SCHEMATHESIS_SEED:-1}
BIN=${GASSTOCK_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}

if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
    echo "== installing schemathesis $VERSION into $VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        # Debian splits venv out of python3 (CI runs as root on a fresh machine).
        apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi
if [ ! -x "$BIN/gasstock-server" ] || [ ! -x "$BIN/gasstock" ]; then
    cargo build --locked -p gasstock-server -p gasstock-cli
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export GASSTOCK_DATABASE_URL="sqlite://$WORK/fuzz.db"
# The fuzzer signs in many times and from one address: the throttles would answer 429 to
# nearly everything (429 is documented, but it would hide what the endpoints do).
GASSTOCK_LOGIN_ATTEMPTS_PER_EMAIL=1000000 GASSTOCK_LOGIN_ATTEMPTS_PER_CLIENT=1000000 \
GASSTOCK_JWT_SECRET="schemathesis run: a throwaway secret of 32+ bytes" GASSTOCK_WEBHOOKS=off \
GASSTOCK_BIND="127.0.0.1:$PORT" GASSTOCK_LOG=warn \
    "$BIN/gasstock-server" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null

PASSWORD="fuzzing password 1"
echo "$PASSWORD" | "$BIN/gasstock" users create-admin --email admin@fuzz.example --name Admin --password-stdin >/dev/null
token() { # email
    curl -fsS -H 'Content-Type: application/json' \
        -d "{\"email\": \"$1\", \"password\": \"$PASSWORD\"}" "$BASE/api/v1/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
for role in buyer seller; do
    curl -fsS -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"email\": \"$role@fuzz.example\", \"password\": \"$PASSWORD\", \"name\": \"$role\", \"role\": \"$role\"}" \
        "$BASE/api/v1/register"
done
# Something to act on: a stock item and an order.
SELLER=$(token seller@fuzz.example)
BUYER=$(token buyer@fuzz.example)
curl -fsS -o /dev/null -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \
    -d '{"brand": "Fuzz", "weight": 12, "location": "Kigali", "quantity": 1000000, "unit_price": 100}' \
    "$BASE/api/v1/seller/inventory"
curl -fsS -o /dev/null -H "Authorization: Bearer $BUYER" -H 'Content-Type: application/json' \
    -d '{"inventory_id": 1, "quantity": 1}' "$BASE/api/v1/orders"
# The seller delivers to every district (gasstock-core/src/domain/district.rs), so that an order
# naming any valid `delivery_district` is served (the buyers' run comes before the sellers',
# whose fuzzing of PUT /seller/zones may change them).
DISTRICTS="Gasabo Kicukiro Nyarugenge Bugesera Gatsibo Kayonza Kirehe Ngoma Nyagatare Rwamagana Burera Gakenke
Gicumbi Musanze Rulindo Gisagara Huye Kamonyi Muhanga Nyamagabe Nyanza Nyaruguru Ruhango Karongi Ngororero Nyabihu
Nyamasheke Rubavu Rusizi Rutsiro"
ZONES=$(for d in $DISTRICTS; do printf '{"district": "%s", "fee": 500}\n' "$d"; done | paste -sd, -)
curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \
    -d "[$ZONES]" "$BASE/api/v1/seller/zones"

failed=0
for role in anonymous buyer seller admin; do
    echo "== schemathesis as $role"
    auth=()
    if [ "$role" != anonymous ]; then
        auth=(-H "Authorization: Bearer $(token "$role@fuzz.example")")
    fi
    # GET /notifications/stream is an endless Server-Sent Events response: schemathesis reads
    # a response to its end, so it is not fuzzed here (tests/tests/server/notifications.rs
    # covers it); every other operation is.
    # POST /logout revokes the token the run was given: it goes last, in a run of its own.
    for scope in main logout; do
        if [ "$scope" = main ]; then
            filter=(--exclude-path /api/v1/logout --exclude-path /api/v1/notifications/stream) budget=$MAX_TIME
        else
            filter=(--include-path /api/v1/logout) budget=10
        fi
        # From the temporary directory: schemathesis keeps a cache in its working directory.
        if ! (cd "$WORK" && "$VENV/bin/schemathesis" run "$BASE/api/v1/openapi.json" --url "$BASE" \
            --checks all --max-examples "$MAX_EXAMPLES" --max-time "$budget" --seed "$SEED" \
            --generation-database none --no-color "${auth[@]}" "${filter[@]}"); then
            failed=1
        fi
    done
done
if [ "$failed" != 0 ]; then
    echo "schemathesis found failures (server log: last lines below)" >&2
    tail -n 20 "$WORK/server.log" >&2
    exit 1
fi
echo "schemathesis: no failures for any role"
