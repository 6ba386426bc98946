#!/usr/bin/env bash
# The auditors' benchmark: 1,000 programmes, 200,000 status reports, 5,000,000 ledger
# entries and 1,000,000 audit entries, on SQLite and on PostgreSQL, with the release
# server. Prints a Markdown table: one programme's history page (p50, p95), the
# portfolio as of a past date (p50, p95), the CSV export of about 1,000,000 rows
# (rows/s and the server's resident memory growth), and `beacon audit verify` over the
# whole trail.
#
#   bash bench/audit.sh               # both backends (about 15 minutes on 2 cores)
#   BACKENDS=sqlite bash bench/audit.sh
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) and wrk (installed
# from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
LEDGER=${LEDGER:-5000000}
AUDIT=${AUDIT:-1000000}
BACKENDS=${BACKENDS:-sqlite postgres}
PORT=${PORT:-18182}
PG=${BEACON_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$work"
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS beacon_bench_audit WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -p beacon-api >&2
beacon=target/release/beacon
secret=benchmark-secret-that-is-at-least-32-bytes-long
admin_password="benchmark admin password"

make_db() {
    local backend=$1 url
    if [ "$backend" = sqlite ]; then
        url="$work/audit.db"
        "$beacon" --database-url "$url" migrate >/dev/null
        bash bench/data.sql.sh sqlite 1000 200000 "$LEDGER" "$AUDIT" |
            python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read())" "$url"
    else
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS beacon_bench_audit WITH (FORCE)" -c "CREATE DATABASE beacon_bench_audit" >/dev/null
        url="$PG/beacon_bench_audit"
        "$beacon" --database-url "$url" migrate >/dev/null
        bash bench/data.sql.sh postgres 1000 200000 "$LEDGER" "$AUDIT" | psql "$url" -q -v ON_ERROR_STOP=1 >/dev/null
    fi
    echo "$url"
}

# elapsed START_NS -> seconds since, with a fraction
elapsed() { awk -v s="$1" -v e="$(date +%s%N)" 'BEGIN { printf "%.3f", (e - s) / 1e9 }'; }

# Resident memory in kB: all of it, and the anonymous part (the heap; the rest is the
# database file mapped into memory, which the kernel can drop at any time).
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }

echo "| backend | measure | figure | target |"
echo "|---|---|---:|---|"
for backend in $BACKENDS; do
    url=$(make_db "$backend")
    # Opening the database seals the generated entries into the hash chain.
    start=$(date +%s%N)
    "$beacon" --database-url "$url" migrate >/dev/null
    seal=$(elapsed "$start")
    printf '| %s | sealing %s pre-chain audit entries (one-off upgrade) | %.1f s | |\n' "$backend" "$AUDIT" "$seal"

    start=$(date +%s%N)
    "$beacon" --database-url "$url" audit verify >"$work/verify.out"
    verify=$(elapsed "$start")
    checked=$(awk '/^checked:/ {print $2}' "$work/verify.out")
    printf '| %s | `beacon audit verify`, %s entries | %.1f s | ≤ 10 s |\n' "$backend" "$checked" "$verify"

    serve "$url" "$PORT"
    token=$(admin_token "$PORT")

    cat >"$work/history.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  return wrk.format(nil, string.format("/api/v1/funding/history?programme=bench-%05d&limit=50", math.random(1, 1000)))
end
done = function(summary, latency, requests)
  io.write(string.format("%.1f %.1f %.0f\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests / (summary.duration / 1e6)))
end
LUA
    read -r p50 p95 rps < <(wrk -t1 -c4 -d10s -s "$work/history.lua" "http://127.0.0.1:$PORT" | tail -1)
    echo "| $backend | one programme's history page (50 rows), 4 connections: p50 / p95 | $p50 / $p95 ms ($rps requests/s) | p95 ≤ 20 ms |"

    # The whole portfolio at the end of a random past day between 2020 and 2026, one
    # request at a time: what one auditor waits for.
    cat >"$work/portfolio.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  local day = os.date("!%Y-%m-%d", os.time({year = 2020, month = 6, day = 1}) + math.random(0, 2190) * 86400)
  return wrk.format(nil, "/api/v1/portfolio?as_of=" .. day)
end
done = function(summary, latency, requests)
  io.write(string.format("%.1f %.1f %.0f\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests / (summary.duration / 1e6)))
end
LUA
    read -r p50 p95 rps < <(wrk -t1 -c1 -d10s -s "$work/portfolio.lua" "http://127.0.0.1:$PORT" | tail -1)
    echo "| $backend | the portfolio (1,000 programmes) as of a past date, 1 connection: p50 / p95 | $p50 / $p95 ms ($rps requests/s) | ≤ 200 ms |"

    # About 1,000,000 rows: the ledger's first 1,000,000 minutes.
    before=$(rss_kb "$server")
    anon_before=$(anon_kb "$server")
    ( while kill -0 "$server" 2>/dev/null; do echo "$(rss_kb "$server") $(anon_kb "$server")"; sleep 0.05; done ) >"$work/rss.log" &
    sampler=$!
    start=$(date +%s%N)
    curl -fs -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$PORT/api/v1/funding/history?format=csv&recorded_to=2021-11-25T10:40:00Z" >"$work/export.csv"
    took=$(elapsed "$start")
    kill "$sampler" 2>/dev/null || true
    peak=$(awk '$1 > m { m = $1 } END { print m }' "$work/rss.log")
    anon_peak=$(awk '$2 > m { m = $2 } END { print m }' "$work/rss.log")
    rows=$(($(wc -l <"$work/export.csv") - 1))
    printf '| %s | CSV export, %s rows | %.0f rows/s in %.1f s | ≥ 100,000 rows/s |\n' "$backend" "$rows" "$(awk -v r="$rows" -v t="$took" 'BEGIN { print r / t }')" "$took"
    printf '| %s | server heap (anonymous resident memory) during the export | %d MB → %d MB (+%d MB) | growth < 50 MB |\n' \
        "$backend" $((anon_before / 1024)) $((anon_peak / 1024)) $(((anon_peak - anon_before) / 1024))
    printf '| %s | server resident memory, including the mapped database file | %d MB → %d MB (+%d MB) | |\n' \
        "$backend" $((before / 1024)) $((peak / 1024)) $(((peak - before) / 1024))

    kill -TERM "$server"
    wait "$server" 2>/dev/null || true
    server=""
done
