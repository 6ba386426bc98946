#!/usr/bin/env bash
# The web pages' benchmark: the portfolio page of 1,000 programmes, as a signed-in
# browser asks for it, on SQLite and on PostgreSQL. Prints a Markdown table of p50, p95
# and requests/s, with the target and whether it is met.
#
#   bash bench/pages.sh                # this tree's release build (built here), both backends
#   BACKENDS=sqlite DURATION=5 bash bench/pages.sh
#   BUILDS="before=/work/baseline-bin/beacon now=target/release/beacon" bash bench/pages.sh
#
# With BUILDS, each page is measured on every build in turn, each on its own copy of the
# same data. Other knobs: DURATION (seconds of each wrk measure, 10), PORT (18183).
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) and wrk (installed from
# Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
DURATION=${DURATION:-10}
BACKENDS=${BACKENDS:-sqlite postgres}
PORT=${PORT:-18183}
prefix=beacon_bench_pages
work=$(mktemp -d)
trap cleanup EXIT

need_wrk
choose_builds

# sign_in: a session cookie for the benchmark admin, signed in through the sign-in
# form as a browser is: the form's token first, then the form.
sign_in() {
    local jar="$work/cookies" csrf
    rm -f "$jar"
    csrf=$(curl -fs -c "$jar" "http://127.0.0.1:$PORT/sign-in" |
        sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
    curl -fs -o /dev/null -b "$jar" -c "$jar" -X POST "http://127.0.0.1:$PORT/sign-in" \
        --data-urlencode "email=bench@beacon.test" --data-urlencode "password=$admin_password" \
        --data-urlencode "csrf=$csrf" --data-urlencode "next=/"
    awk '$6 == "beacon_session" { print $6 "=" $7 }' "$jar"
}

# page KEY I CONNECTIONS PATH: build I's server, signed in, a second of PATH to warm it,
# then DURATION seconds measured; "p50 / p95 ms (requests/s)<TAB>MET" in $work/KEY-I
page() {
    local key=$1 i=$2 connections=$3 path=$4 cookie script="$work/$1.lua" p50 p95 rps
    serve "$i" "${dbs[i]}" "$PORT"
    cookie=$(sign_in)
    if [ -z "$cookie" ]; then
        echo "${names[i]}: signing in through the form gave no session" >&2
        exit 1
    fi
    cat >"$script" <<LUA
wrk.headers["Cookie"] = "$cookie"
local template = "$path"
request = function()
  return wrk.format(nil, (template:gsub("{n}", string.format("%05d", math.random(1, 1000)))))
end
done = function(summary, latency, requests)
  io.write(string.format("%.1f %.1f %.0f %d\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA
    wrk -t1 -c"$connections" -d1s -s "$script" "http://127.0.0.1:$PORT" >/dev/null
    read -r p50 p95 rps errors < <(wrk -t1 -c"$connections" -d"${DURATION}s" -s "$script" "http://127.0.0.1:$PORT" | tail -1)
    if [ "$errors" != 0 ]; then
        echo "${names[i]}: $errors requests for $path failed or were not 2xx" >&2
        exit 1
    fi
    printf '%s / %s ms (%s/s)\t%s\n' "$p50" "$p95" "$rps" \
        "$(awk -v v="$p95" 'BEGIN { print (v <= 50) ? "yes" : "**no**" }')" >"$work/$key-$i"
    stop_server
}

# each KEY CONNECTIONS PATH: that page on every build in turn
each() {
    local i
    for i in $(in_turn "$turn"); do page "$1" "$i" "$2" "$3"; done
    turn=$((turn + 1))
}

# row KEY MEASURE TARGET: the table's row from each build's $work/KEY-I
row() {
    local i figures="" met=""
    for i in "${!bins[@]}"; do
        figures="$figures $(cut -f1 "$work/$1-$i") |"
        met="$met${met:+ / }$(cut -f2 "$work/$1-$i")"
    done
    if [ -z "$3" ]; then met=""; fi
    echo "| $backend | $2 | $3 |$figures $met |"
}

head="| backend | page | target |"
rule="|---|---|---|"
for i in "${!bins[@]}"; do
    if [ "${#bins[@]}" = 1 ]; then head="$head p50 / p95 (requests/s) |"; else head="$head ${names[i]} |"; fi
    rule="$rule---:|"
done
echo "$head met |"
echo "$rule---|"

turn=0
for backend in $BACKENDS; do
    # As the API benchmark's: 1,000 programmes with two owners each, 200,000 status
    # reports (a recent one each) and 500,000 ledger entries.
    base=$(make_db "$backend" base 500000 0 2 1)
    per_build "$base" main
    each portfolio 1 /
    row portfolio "the portfolio page (1,000 programmes), 1 connection" "p95 ≤ 50 ms"
    each portfolio4 4 /
    row portfolio4 "the portfolio page (1,000 programmes), 4 connections" ""
    each past 1 "/?as_of=2025-06-30&sort=rating"
    row past "the portfolio page as of a past date, by rating, 1 connection" "p95 ≤ 50 ms"
    each programme 4 "/programmes/bench-{n}"
    row programme "a programme's page, 4 connections" ""
    for db in "${dbs[@]}"; do drop_db "$db"; done
    if [ "${#bins[@]}" -gt 1 ]; then drop_db "$base"; fi
done
