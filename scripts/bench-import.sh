#!/usr/bin/env bash
# Benchmark of `gasstock stock import` (not a test): generates a CSV of ROWS rows (default
# 1,000,000, every row a distinct key) and times three imports into a fresh database with
# the release binary, reporting rows/second and peak memory (GNU time's maximum RSS):
#   1. into an empty inventory (all created),
#   2. the same file again (all unchanged),
#   3. the file with every price changed (all updated).
#
#   scripts/bench-import.sh                    # SQLite in a temp folder
#   ROWS=200000 scripts/bench-import.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:55432/gasstock_import_bench scripts/bench-import.sh
#
# Needs /usr/bin/time (GNU), awk, and sqlite3 or psql to create the seller account (the CLI
# creates admins only; sellers register through the API).
set -euo pipefail

ROWS="${ROWS:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
DATABASE_URL="${DATABASE_URL:-sqlite://$WORK/bench.db}"
export GASSTOCK_DATABASE_URL="$DATABASE_URL" GASSTOCK_ADMIN=bench-admin@example.rw

(cd "$ROOT" && cargo build --release --quiet -p gasstock-cli)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/gasstock"

echo "bench: generating $ROWS rows" >&2
awk -v rows="$ROWS" 'BEGIN {
    print "brand,weight,location,quantity,unit_price,currency"
    for (i = 0; i < rows; i++)
        printf "Brand%d,%dkg,Town%d,%d,%d,RWF\n", i % 100, 1 + int(i / 100) % 50, int(i / 5000), i % 97, 1000 + i % 50000
}' > "$WORK/stock.csv"
awk -F, 'NR == 1 { print; next } { $5 = $5 + 1; print }' OFS=, "$WORK/stock.csv" > "$WORK/repriced.csv"
SIZE_MB=$(( $(stat -c %s "$WORK/stock.csv") / 1024 / 1024 ))

echo "long enough password" | "$BIN" users create-admin --email "$GASSTOCK_ADMIN" --password-stdin > /dev/null
SELLER=bench-seller@example.rw
NOW="$(date -u +%Y-%m-%dT%H:%M:%S+00:00)"
INSERT="INSERT INTO users (email, name, role, password_hash, created_at) VALUES ('$SELLER', 'Bench', 'seller', 'x', '$NOW')"
case "$DATABASE_URL" in
    sqlite:*) sqlite3 "${DATABASE_URL#sqlite://}" "$INSERT" ;;
    postgres*) psql -q "$DATABASE_URL" -c "$INSERT" ;;
esac

run() {
    local label="$1" file="$2"
    /usr/bin/time -v -o "$WORK/time" "$BIN" --format json stock import "$file" --seller "$SELLER" > "$WORK/out"
    local secs rss
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/time")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORK/time")
    printf '%-10s %9d rows  %6.2f s  %9.0f rows/s  peak RSS %4d MiB  %s\n' \
        "$label" "$ROWS" "$secs" "$(echo "$ROWS / $secs" | bc -l)" "$rss" "$(tr -d ' \n' < "$WORK/out")"
}

echo "bench: $ROWS rows, $SIZE_MB MiB CSV, $(nproc) CPUs, ${DATABASE_URL%%:*}" >&2
run created "$WORK/stock.csv"
run unchanged "$WORK/stock.csv"
run updated "$WORK/repriced.csv"
