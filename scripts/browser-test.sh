#!/usr/bin/env bash
# The notification stream from a real browser (issue 15, part 3): starts a server on a
# throwaway SQLite database, and drives headless Chromium (Debian's `chromium` package,
# installed with apt-get when missing: CI runs as root on Debian) through the demo page
# /demo/notifications: it signs in, gets a stream ticket, opens an EventSource with
# ?ticket=, and must show the notification of an approval made meanwhile
# (scripts/browser_test.py). Exits non-zero when it does not.
#
# Needs: cargo, python3, chromium (or apt-get). CHROMIUM=/path/to/chromium overrides it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if ! command -v "${CHROMIUM:-chromium}" > /dev/null; then
    echo "== installing chromium (Debian package)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium > /dev/null
fi

cargo build --locked --quiet -p gasstock-server -p gasstock-cli
SERVER="${CARGO_TARGET_DIR:-$ROOT/target}/debug/gasstock-server"
CLI="${CARGO_TARGET_DIR:-$ROOT/target}/debug/gasstock"

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2> /dev/null || true
        wait "$SERVER_PID" 2> /dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
PASSWORD="browser test password"
ADMIN=admin@browser.test
export GASSTOCK_DATABASE_URL="sqlite://$WORK/gasstock.db"
export GASSTOCK_JWT_SECRET="browser test secret: 32 bytes or more, HS256"
export GASSTOCK_LOG=warn

"$SERVER" --bind "127.0.0.1:$PORT" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('$BASE/readyz', timeout=1)" 2> /dev/null && break
    sleep 0.2
done
echo "$PASSWORD" | "$CLI" users create-admin --email "$ADMIN" --password-stdin > /dev/null

if ! python3 scripts/browser_test.py "$BASE" "$ADMIN" "$PASSWORD"; then
    echo "--- server log"
    cat "$WORK/server.log"
    exit 1
fi
