#!/usr/bin/env bash
# The auditors' benchmark: 1,000 programmes, 200,000 status reports, 5,000,000 ledger
# entries and 1,000,000 audit entries, on SQLite and on PostgreSQL, with the release
# server. Prints a Markdown table: sealing the pre-chain audit entries, `beacon audit
# verify` over the whole trail, one programme's history page (p50, p95), the portfolio as
# of a past date (p50, p95), the CSV export of about 1,000,000 rows (rows/s and the
# server's resident memory growth), each against its target, with whether it is met.
#
#   bash bench/audit.sh               # both backends (about 20 minutes on 2 cores)
#   BACKENDS=sqlite bash bench/audit.sh
#   BUILDS="before=/work/baseline-bin/beacon now=target/release/beacon" bash bench/audit.sh
#   BEACON_BIN=/path/to/beacon bash bench/audit.sh   # one other build (BUILDS=now=/path/…)
#   LEDGER=50000 AUDIT=10000 DURATION=2 bash bench/audit.sh   # a quick try, not figures
#
# With BUILDS, every measure is taken on each build in turn (the order alternating from
# one measure to the next), each build on its own copy of the same data, in a column of
# its own. Other knobs: DURATION (seconds of each wrk measure, 10), PORT (18182).
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) and wrk (installed
# from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
LEDGER=${LEDGER:-5000000}
AUDIT=${AUDIT:-1000000}
BACKENDS=${BACKENDS:-sqlite postgres}
DURATION=${DURATION:-10}
PORT=${PORT:-18182}
prefix=beacon_bench_audit
work=$(mktemp -d)
trap cleanup EXIT

need_wrk
choose_builds

# elapsed START_NS -> seconds since, with a fraction
elapsed() { awk -v s="$1" -v e="$(date +%s%N)" 'BEGIN { printf "%.3f", (e - s) / 1e9 }'; }

# Resident memory in kB: all of it, and the anonymous part (the heap; the rest is the
# database file mapped into memory, which the kernel can drop at any time).
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }

# start I: build I's server on its database, and an admin's token from it in $token
start() {
    serve "$1" "${dbs[$1]}" "$PORT"
    token=$(admin_token "$PORT")
}

# wrk_figures SCRIPT CONNECTIONS: wrk for DURATION seconds; prints "p50 p95 requests/s"
wrk_figures() {
    cat >>"$1" <<LUA
done = function(summary, latency, requests)
  io.write(string.format("%.1f %.1f %.0f\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests / (summary.duration / 1e6)))
end
LUA
    wrk -t1 -c"$2" -d"${DURATION}s" -s "$1" "http://127.0.0.1:$PORT" | tail -1
}

# Each measure below writes, for build I, "FIGURE<TAB>MET" to $work/KEY-I, MET being
# whether the target is met, or empty where there is none.
# at_most, at_least, below VALUE LIMIT: yes, or **no**
at_most() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "yes" : "**no**" }'; }
at_least() { awk -v v="$1" -v l="$2" 'BEGIN { print (v >= l) ? "yes" : "**no**" }'; }
below() { awk -v v="$1" -v l="$2" 'BEGIN { print (v < l) ? "yes" : "**no**" }'; }

seal() {
    local t0
    t0=$(date +%s%N)
    "${bins[$1]}" --database-url "${dbs[$1]}" migrate >/dev/null
    printf '%.1f s\t\n' "$(elapsed "$t0")" >"$work/seal-$1"
}

verify() {
    local t0 took
    t0=$(date +%s%N)
    "${bins[$1]}" --database-url "${dbs[$1]}" audit verify >"$work/verify.out"
    took=$(elapsed "$t0")
    checked=$(awk '/^checked:/ {print $2}' "$work/verify.out")
    printf '%.1f s\t%s\n' "$took" "$(at_most "$took" 10)" >"$work/verify-$1"
}

history() {
    local p50 p95 rps
    start "$1"
    cat >"$work/history.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  return wrk.format(nil, string.format("/api/v1/funding/history?programme=bench-%05d&limit=50", math.random(1, 1000)))
end
LUA
    read -r p50 p95 rps < <(wrk_figures "$work/history.lua" 4)
    printf '%s / %s ms (%s requests/s)\t%s\n' "$p50" "$p95" "$rps" "$(at_most "$p95" 20)" >"$work/history-$1"
    stop_server
}

# The whole portfolio at the end of a random past day between 2020 and 2026, one
# request at a time: what one auditor waits for.
portfolio() {
    local p50 p95 rps
    start "$1"
    cat >"$work/portfolio.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  local day = os.date("!%Y-%m-%d", os.time({year = 2020, month = 6, day = 1}) + math.random(0, 2190) * 86400)
  return wrk.format(nil, "/api/v1/portfolio?as_of=" .. day)
end
LUA
    read -r p50 p95 rps < <(wrk_figures "$work/portfolio.lua" 1)
    printf '%s / %s ms (%s requests/s)\t%s\n' "$p50" "$p95" "$rps" "$(at_most "$p95" 200)" >"$work/portfolio-$1"
    stop_server
}

# About 1,000,000 rows: the ledger's first 1,000,000 minutes, while the server's memory
# is sampled. A first day's export, not measured, sets up what any first export does.
export_csv() {
    local before anon_before sampler t0 took peak anon_peak rows rate growth
    start "$1"
    curl -fs -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$PORT/api/v1/funding/history?format=csv&recorded_to=2020-01-02T00:00:00Z" >/dev/null
    before=$(rss_kb "$server")
    anon_before=$(anon_kb "$server")
    ( while kill -0 "$server" 2>/dev/null; do echo "$(rss_kb "$server") $(anon_kb "$server")"; sleep 0.05; done ) >"$work/rss.log" &
    sampler=$!
    t0=$(date +%s%N)
    curl -fs -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$PORT/api/v1/funding/history?format=csv&recorded_to=2021-11-25T10:40:00Z" >"$work/export.csv"
    took=$(elapsed "$t0")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    peak=$(awk -v m="$before" '$1 > m { m = $1 } END { print m }' "$work/rss.log")
    anon_peak=$(awk -v m="$anon_before" '$2 > m { m = $2 } END { print m }' "$work/rss.log")
    rows=$(($(wc -l <"$work/export.csv") - 1))
    rate=$(awk -v r="$rows" -v t="$took" 'BEGIN { printf "%.0f", r / t }')
    printf '%s rows/s (%s rows in %.1f s)\t%s\n' "$rate" "$rows" "$took" "$(at_least "$rate" 100000)" >"$work/export-$1"
    growth=$((anon_peak - anon_before))
    printf '%d MB → %d MB (+%d MB)\t%s\n' $((anon_before / 1024)) $((anon_peak / 1024)) $((growth / 1024)) "$(below "$growth" $((50 * 1024)))" >"$work/heap-$1"
    printf '%d MB → %d MB (+%d MB)\t\n' $((before / 1024)) $((peak / 1024)) $(((peak - before) / 1024)) >"$work/rss-$1"
    stop_server
}

# each MEASURE...: each measure taken on every build in turn
each() {
    local measure i
    for measure in "$@"; do
        for i in $(in_turn "$turn"); do "$measure" "$i"; done
        turn=$((turn + 1))
    done
}

# row KEY MEASURE TARGET: the table's row from each build's $work/KEY-I
row() {
    local i figures="" met=""
    for i in "${!bins[@]}"; do
        figures="$figures $(cut -f1 "$work/$1-$i") |"
        met="$met${met:+ / }$(cut -f2 "$work/$1-$i")"
    done
    if [ -z "$3" ]; then met=""; fi
    echo "| $backend | $2 | $3 |$figures $met |" | sed "s/  |/ |/g"
}

head="| backend | measure | target |"
rule="|---|---|---|"
for i in "${!bins[@]}"; do
    if [ "${#bins[@]}" = 1 ]; then head="$head figure |"; else head="$head ${names[i]} |"; fi
    rule="$rule---:|"
done
if [ "${#bins[@]}" = 1 ]; then
    head="$head met |"
else
    all=$(IFS=/; echo "${names[*]}")
    head="$head met (${all//\// / }) |"
fi
echo "$head"
echo "$rule---|"

turn=0
for backend in $BACKENDS; do
    # The audit entries are written without their hashes, as a release before the hash
    # chain wrote them; each build's first `beacon migrate` seals them into the chain.
    base=$(make_db "$backend" base "$LEDGER" "$AUDIT" 0 0)
    per_build "$base" sealed
    if [ "${#bins[@]}" -gt 1 ]; then drop_db "$base"; fi
    each seal verify history portfolio export_csv
    row seal "sealing $AUDIT pre-chain audit entries (one-off upgrade)" ""
    row verify "\`beacon audit verify\`, $checked entries" "≤ 10 s"
    row history "one programme's history page (50 rows), 4 connections: p50 / p95" "p95 ≤ 20 ms"
    row portfolio "the portfolio (1,000 programmes) as of a past date, 1 connection: p50 / p95" "p95 ≤ 200 ms"
    row export "CSV export" "≥ 100,000 rows/s"
    row heap "server heap (anonymous resident memory) during the export" "growth < 50 MB"
    row rss "server resident memory, including the mapped database file" ""
    for db in "${dbs[@]}"; do drop_db "$db"; done
done
