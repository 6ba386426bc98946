#!/usr/bin/env bash
# The API benchmark: a large portfolio on SQLite and on PostgreSQL, the release server,
# and wrk at 64 connections. Prints a Markdown table of requests/s, p50 and p99 for each
# request, with columns for each build compared.
#
#   bash bench/api.sh                  # this tree's release build (built here), both backends
#   DURATION=5 bash bench/api.sh       # seconds per measurement (default 10)
#   BACKENDS=postgres bash bench/api.sh
#   BUILDS="before=/work/baseline-bin/beacon now=target/release/beacon" bash bench/api.sh
#   BEACON_BIN=/path/to/beacon bash bench/api.sh   # one other build (BUILDS=now=/path/…)
#
# With BUILDS, every request is measured on each build in turn (the order alternating
# from one request to the next), each build on its own copy of the same data, and the
# last column is the last build's requests/s over the first's. This machine's speed
# varies from run to run, so builds are compared within one run, not across runs.
# Other knobs: CONNECTIONS (64), PORT (18181), SMTP_PORT (18325), SMTP_SINK (a
# beacon-smtp-sink binary; default: built here).
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) like the tests, and wrk
# (installed from Debian's packages if missing). Servers run with their default alert
# settings; alerts go over SMTP to a real SMTP server that keeps nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
DURATION=${DURATION:-10}
BACKENDS=${BACKENDS:-sqlite postgres}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18181}
SMTP_PORT=${SMTP_PORT:-18325}
prefix=beacon_bench_api
work=$(mktemp -d)
trap cleanup EXIT

need_wrk
choose_builds
if [ -z "${SMTP_SINK:-}" ]; then cargo build --release --locked -p beacon-tests --bin beacon-smtp-sink >&2; fi
# At the lowest priority: a mail relay runs on a machine of its own, not on Beacon's cores.
nice -n 19 "${SMTP_SINK:-target/release/beacon-smtp-sink}" "$SMTP_PORT" >"$work/smtp.log" 2>&1 &
sink=$!

# start I URL: build I's server on that database, sending alerts to the SMTP sink, and
# an admin's token from it in $token
start() {
    serve "$1" "$2" "$PORT" BEACON_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
    token=$(admin_token "$PORT")
}

# lua NAME METHOD PATH BODY: a wrk script; PATH may contain {n} for a random programme,
# BODY {u} for a random owner.
lua() {
    local file="$work/$1.lua"
    cat >"$file" <<LUA
wrk.method = "$2"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
local body = [[$4]]
local template = "$3"
request = function()
  local path = template:gsub("{n}", string.format("%05d", math.random(1, 1000)))
  local text = body:gsub("{u}", tostring(math.random(1, 2000)))
  return wrk.format(nil, path, nil, text)
end
LUA
    echo "$file"
}

# load SCRIPT SECONDS [CONNECTIONS] [THREADS]: wrk against the server, its output on stdout
load() {
    wrk -t"${4:-2}" -c"${3:-$CONNECTIONS}" -d"$2s" --timeout 10s --latency -s "$1" "http://127.0.0.1:$PORT"
}

# measure KEY I URL NAME METHOD PATH [BODY]: build I's server on URL, a second of the
# request to warm it (a new server's connections have nothing cached), then DURATION
# seconds measured, wrk's output in $work/KEY-I.out
measure() {
    local key=$1 i=$2 script
    start "$i" "$3"
    script=$(lua "$4" "$5" "$6" "${7:-}")
    load "$script" 1 >/dev/null
    load "$script" "$DURATION" >"$work/$key-$i.out"
    stop_server
}

# each KEY LABEL NAME METHOD PATH [BODY]: that request measured on every build in turn,
# then its row. A status report writes, so each build gets a fresh copy of its data.
each() {
    local key=$1 label=$2 i url
    for i in $(in_turn "$turn"); do
        url=${dbs[i]}
        if [ "$key" = report ]; then url=$(copy_db "$url" "written_$i"); fi
        measure "$key" "$i" "$url" "${@:3}"
        if [ "$key" = report ]; then drop_db "$url"; fi
    done
    turn=$((turn + 1))
    row "$label" "$key"
}

to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v=v*1000 } printf "%.1f", v }'; }

# row LABEL KEY: the table's row from each build's $work/KEY-I.out
row() {
    local label=$1 key=$2 i out rps first="" cells="" errors="" e
    for i in "${!bins[@]}"; do
        out="$work/$key-$i.out"
        rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$out")
        cells="$cells $rps | $(awk '$1 == "50%" { print $2 }' "$out" | to_ms) | $(awk '$1 == "99%" { print $2 }' "$out" | to_ms) |"
        e=$(awk '/Non-2xx/ { printf "non-2xx %s ", $NF } /Socket errors/ { sub(/^ *Socket errors: */, ""); printf "socket %s ", $0 }' "$out")
        if [ -n "$e" ]; then errors="$errors${names[i]}: ${e% } "; fi
        if [ -z "$first" ]; then first=$rps; fi
    done
    if [ "${#bins[@]}" -gt 1 ]; then
        cells="$cells $(awk -v now="$rps" -v before="$first" 'BEGIN { printf "%.2f", now / before }') |"
    fi
    echo "| $backend | $label |$cells ${errors:-0} |"
}

# The table's head: requests/s, p50 and p99 for each build, then with two builds or more
# the last build's requests/s over the first's.
head="| backend | request |"
rule="|---|---|"
for i in "${!bins[@]}"; do
    if [ "${#bins[@]}" = 1 ]; then name=""; else name="${names[i]} "; fi
    head="$head ${name}requests/s | ${name}p50 ms | ${name}p99 ms |"
    rule="$rule---:|---:|---:|"
done
if [ "${#bins[@]}" -gt 1 ]; then
    head="$head ${names[-1]}/${names[0]} requests/s |"
    rule="$rule---:|"
fi
echo "$head errors |"
echo "$rule---|"

turn=0
for backend in $BACKENDS; do
    # 1,000 programmes with two owners each, 200,000 status reports (and a recent one per
    # programme, so that no reminder is due) and 500,000 ledger entries
    base=$(make_db "$backend" base 500000 0 2 1)
    per_build "$base" main
    each health "GET /healthz" health GET /healthz
    each list "GET /programmes?limit=50" list GET '/api/v1/programmes?limit=50'
    each one "GET /programmes/{code}" one GET '/api/v1/programmes/bench-{n}'
    each report "POST /programmes/{code}/status-reports" report POST '/api/v1/programmes/bench-{n}/status-reports' \
        '{"rating":"amber","rationale":"Benchmark report","period_end":"2026-09-30"}'
    each signin "POST /auth/token" signin POST /api/v1/auth/token \
        "{\"email\":\"owner-{u}@bench.test\",\"password\":\"$admin_password\"}"

    # Sign-in at full load beside the list: the list's share of its own throughput.
    for i in $(in_turn "$turn"); do
        start "$i" "${dbs[i]}"
        list=$(lua list GET '/api/v1/programmes?limit=50' '')
        signin=$(lua signin POST /api/v1/auth/token "{\"email\":\"owner-{u}@bench.test\",\"password\":\"$admin_password\"}")
        load "$list" 1 32 1 >/dev/null
        load "$list" "$DURATION" 32 1 >"$work/alone-$i.out"
        load "$signin" "$DURATION" 32 1 >"$work/beside-$i.out" &
        load "$list" "$DURATION" 32 1 >"$work/mixed-$i.out"
        wait $!
        stop_server
    done
    turn=$((turn + 1))
    row "GET /programmes?limit=50, 32 conns alone" alone
    row "GET /programmes?limit=50, 32 conns beside sign-in" mixed
    row "POST /auth/token, 32 conns beside the list" beside
    for db in "${dbs[@]}"; do drop_db "$db"; done
    drop_db "$base"

    # The list's cost follows the page, not the ledger.
    for ledger in 50000 5000000; do
        base=$(make_db "$backend" "base_$ledger" "$ledger" 0 2 1)
        per_build "$base" "main_$ledger"
        each "list-$ledger" "GET /programmes?limit=50 ($ledger ledger entries)" list GET '/api/v1/programmes?limit=50'
        for db in "${dbs[@]}"; do drop_db "$db"; done
        drop_db "$base"
    done
done
