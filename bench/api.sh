#!/usr/bin/env bash
# The API benchmark: a large portfolio on SQLite and on PostgreSQL, the release server,
# and wrk at 64 connections. Prints a Markdown table of requests/s, p50 and p99.
#
#   bash bench/api.sh              # everything
#   DURATION=5 bash bench/api.sh   # shorter runs per endpoint
#   BACKENDS=postgres bash bench/api.sh
#   ONLY=alerts bash bench/api.sh  # only the status reports with alerts off and on
#   ALERT_ROUNDS=4 STEADY_RATE=600  # rounds of alerts off/on/on/off, and the steady rows' rate
#                                   # (default: half of what the server takes at full load)
#   STEADY_DURATION=30              # seconds of each steady row: at 600/s, a 10 s row's p99
#                                   # is its 60 slowest requests, and one hiccup moves it
#   INTERLEAVED_ROUNDS=2 CYCLES=24 SLICE=5  # the interleaved steady comparison: rounds, and
#                                   # per round the turns each of its three servers gets, of
#                                   # SLICE seconds each (0 rounds to skip it)
#   BEACON_BIN=/path/to/beacon bash bench/api.sh  # another build, to compare two on one day
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) like the tests, and wrk
# (installed from Debian's packages if missing). Traffic goes to 127.0.0.1 only; alerts
# go over SMTP to a real SMTP server that keeps nothing (beacon-smtp-sink, built here).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18181}
SMTP_PORT=${SMTP_PORT:-18325}
ONLY=${ONLY:-}
ALERT_ROUNDS=${ALERT_ROUNDS:-4}
STEADY_RATE=${STEADY_RATE:-}
STEADY_DURATION=${STEADY_DURATION:-30}
INTERLEAVED_ROUNDS=${INTERLEAVED_ROUNDS:-2}
CYCLES=${CYCLES:-24}
SLICE=${SLICE:-5}
# every order of the three servers as often as any other
if [ $((CYCLES % 6)) != 0 ]; then echo "CYCLES must be a multiple of 6, not $CYCLES" >&2; exit 2; fi
PG=${BEACON_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
# psql, saying nothing of databases that were not there to drop
psql() { PGOPTIONS="-c client_min_messages=warning" command psql "$@"; }
work=$(mktemp -d)
server=""
sink=""
# the interleaved comparison's servers, paused (SIGSTOP) between their turns
sides=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && kill -CONT "$server" 2>/dev/null
    for pid in $sides; do kill -TERM "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null; done
    [ -n "$sink" ] && kill "$sink" 2>/dev/null
    rm -rf "$work"
    for name in $(psql "$PG/postgres" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'beacon\\_bench\\_%'" 2>/dev/null); do
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BEACON_BIN:-}" ]; then cargo build --release --locked -p beacon-api >&2; fi
cargo build --release --locked -p beacon-tests --bin beacon-smtp-sink >&2
beacon=${BEACON_BIN:-target/release/beacon}
# At the lowest priority: a mail relay runs on a machine of its own, not on Beacon's cores.
nice -n 19 target/release/beacon-smtp-sink "$SMTP_PORT" >"$work/smtp.log" 2>&1 &
sink=$!
secret=benchmark-secret-that-is-at-least-32-bytes-long
admin_password="benchmark admin password"

# make_db BACKEND LEDGER_ROWS -> prints the database URL, migrated and filled
make_db() {
    local backend=$1 ledger=$2 url
    if [ "$backend" = sqlite ]; then
        url="$work/bench-$ledger.db"
        rm -f "$url"*
        "$beacon" --database-url "$url" migrate >/dev/null
        bash bench/data.sql.sh sqlite 1000 200000 "$ledger" 0 2 1 |
            python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read())" "$url"
    else
        local name="beacon_bench_$ledger"
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
        url="$PG/$name"
        "$beacon" --database-url "$url" migrate >/dev/null
        bash bench/data.sql.sh postgres 1000 200000 "$ledger" 0 2 1 | psql "$url" -q -v ON_ERROR_STOP=1 >/dev/null
    fi
    # Two owners per programme make the database's first users, so the admin is added here.
    BEACON_PASSWORD=$admin_password "$beacon" --database-url "$url" user add \
        --email bench@beacon.test --role admin >/dev/null
    echo "$url"
}

# start_server URL [PORT]: a server on that database, sending to the benchmark's SMTP
# server, on $PORT unless told, ready; its process id is in $server
start_server() { serve "$1" "${2:-$PORT}" BEACON_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"; }

stop_server() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
}

# token [PORT]: an admin's access token, from the server on $PORT unless told
token() { admin_token "${1:-$PORT}"; }

# lua NAME METHOD PATH BODY: a wrk script; PATH may contain {n} for a random programme.
lua() {
    local file="$work/$1.lua"
    cat >"$file" <<LUA
wrk.method = "$2"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$4]]
local template = "$3"
request = function()
  local path = template:gsub("{n}", string.format("%05d", math.random(1, 1000)))
  return wrk.format(nil, path)
end
LUA
    echo "$file"
}

# red_or_amber [RATE]: a wrk script reporting red or amber at random on a random
# programme, as fast as the server answers or at about RATE a second in all
# (`red_or_amber_script` in bench/common.sh)
red_or_amber() {
    local file="$work/red-or-amber${1:-}.lua"
    red_or_amber_script "$file" "$TOKEN" "${1:-}" "$CONNECTIONS"
    echo "$file"
}

# fresh_copy URL [NAME] -> prints the URL of a new copy of that (stopped) database, so
# that every alerts run starts from the same data, with no outbox backlog, log or dead
# rows left by the run before it. The copy is on disk before it is used: otherwise the
# kernel (or PostgreSQL's next checkpoint) writes its few hundred megabytes out during
# whichever run comes next.
fresh_copy() {
    local name=${2:-alerts}
    if [[ $1 == postgres* ]]; then
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS beacon_bench_$name WITH (FORCE)" \
            -c "CREATE DATABASE beacon_bench_$name TEMPLATE ${1##*/}" -c "CHECKPOINT" >/dev/null
        sync
        echo "$PG/beacon_bench_$name"
    else
        rm -f "$work/$name.db"*
        cp "$1" "$work/$name.db"
        sync
        echo "$work/$name.db"
    fi
}

# median: the middle of the numbers on standard input
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# count URL SQL: the one number a query gives
count() {
    if [[ $1 == postgres* ]]; then psql "$1" -Atqc "$2"; else python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$1" "$2"; fi
}

# waiting URL: alerts written to the outbox and not yet filed: a row per event naming
# its recipients, or in builds before that a row per alert, or none before the outbox
waiting() {
    local recipients="json_array_length(recipients)"
    if [[ $1 == postgres* ]]; then recipients="json_array_length(recipients::json)"; fi
    count "$1" "SELECT COALESCE(SUM($recipients), 0) FROM alert_outbox" 2>/dev/null ||
        count "$1" "SELECT COUNT(*) FROM alert_outbox" 2>/dev/null || echo 0
}

# unsent URL: alerts not yet sent, in the outbox or filed
unsent() {
    local filed
    filed=$(count "$1" "SELECT COUNT(*) FROM alerts WHERE status = 'pending'")
    echo $((filed + $(waiting "$1")))
}

# written_and_sent URL: alerts written so far (filed or waiting in the outbox), and sent
written_and_sent() {
    local filed
    filed=$(count "$1" "SELECT COUNT(*) FROM alerts")
    echo "$((filed + $(waiting "$1"))) $(count "$1" "SELECT COUNT(*) FROM alerts WHERE status = 'sent'")"
}

# until_alerts_sent URL [NOTE]: waits (up to two minutes) until the worker has sent
# every alert written so far. With NOTE, the backlog and the seconds it took (or
# "unsent" if it took longer) go to $work/drain: with no requests to pace it, the
# worker sends as fast as it can.
until_alerts_sent() {
    local start backlog pending took=unsent
    start=$(date +%s.%N)
    backlog=$(unsent "$1")
    pending=$backlog
    for _ in $(seq 1 600); do
        if [ "$pending" = 0 ]; then
            took=$(awk -v start="$start" -v end="$(date +%s.%N)" 'BEGIN { print end - start }')
            break
        fi
        sleep 0.2
        pending=$(unsent "$1")
    done
    if [ -n "${2:-}" ]; then echo "$backlog $took" >>"$work/drain"; fi
}

to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v=v*1000 } printf "%.1f", v }'; }

# run LABEL SCRIPT [CONNECTIONS] [SECONDS] -> a table row; the raw output is kept in $work
run() {
    local label=$1 script=$2 connections=${3:-$CONNECTIONS} seconds=${4:-$DURATION} out="$work/wrk.out"
    wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s --latency -s "$script" "http://127.0.0.1:$PORT" >"$out"
    report "$label" "$out"
}

# server_cpu: the server's CPU time so far, in jiffies (1/100 s): the whole process
# (threads that have ended included), then its HTTP threads, and the alert worker with
# its senders. The HTTP threads parse, route and answer the same requests whether alerts
# are on or off, so their CPU per request shows how fast the machine was during a run.
server_cpu() {
    local all
    all=$(sed 's/.*) //' "/proc/$server/stat" | awk '{ print $12 + $13 }')
    for task in /proc/"$server"/task/*; do
        echo "$(tr -d ' ' <"$task/comm") $(sed 's/.*) //' "$task/stat" | awk '{ print $12 + $13 }')"
    done | awk -v all="$all" '
        $1 ~ /^actix-rt/ { http += $2 } $1 ~ /^beacon-alert/ { alerts += $2 }
        END { print all, http + 0, alerts + 0 }'
}

# stolen: the machine's CPU time so far that the host gave to others (steal, in
# jiffies of 1/100 s, all cores): a virtual machine's slow spells, which no build causes
stolen() { awk '$1 == "cpu" { print $9 }' /proc/stat; }

# run_keeping_p99 KEY LABEL SCRIPT [SECONDS]: run, and note the p99 under KEY with the
# round and the share of the machine (%) the host took during the run in $work/p99, and
# the server's CPU per request in $work/cpu
run_keeping_p99() {
    local row before after stolen_before steal seconds=${4:-$DURATION}
    before=$(server_cpu)
    stolen_before=$(stolen)
    row=$(run "$2" "$3" "$CONNECTIONS" "$seconds")
    after=$(server_cpu)
    steal=$(awk -v s="$(($(stolen) - stolen_before))" -v t="$seconds" -v c="$(nproc)" 'BEGIN { printf "%.1f", s / (t * c) }')
    echo "$row"
    echo "$1 $(echo "$row" | awk -F'|' '{ print $6 + 0 }') $round $steal" >>"$work/p99"
    echo "$1 $(awk '/requests in/ { print $1 }' "$work/wrk.out") $before $after" >>"$work/cpu"
}

# change ON OFF: ON against OFF, as a signed percentage
change() { awk -v on="$1" -v off="$2" 'BEGIN { printf "%+.1f%%", (on / off - 1) * 100 }'; }

# with_histogram SCRIPT OUT -> a copy of the wrk script that writes its run's latency
# histogram to OUT when the run ends: a line "latency_µs count" for each latency seen
# (wrk's own counts, as its percentiles use them). Histograms of many runs added
# together give the percentiles of all their requests, which wrk's per-run figures
# cannot (bench/interleaved.py).
with_histogram() {
    local file="$work/histogram.lua"
    cp "$1" "$file"
    cat >>"$file" <<LUA
done = function(summary, latency, requests)
  local out = assert(io.open("$2", "w"))
  for i = 1, #latency do
    local value, count = latency(i)
    out:write(string.format("%d %d\\n", value, count))
  end
  out:close()
end
LUA
    echo "$file"
}

# interleaved_round URL RATE ROUND: three servers, each on a fresh copy of the same data
# and on a port of its own: alerts off, alerts off again (the control: what this method
# reads as a change between two identical servers), and alerts on. They take turns of
# SLICE seconds at RATE reports a second, CYCLES turns each, the three in every order in
# rotation; between its turns a server is paused (SIGSTOP), so that it takes no CPU. The
# machine's drift over minutes then falls on all three alike, where runs a minute apart
# each meet their own; the host's spells of steal, seconds long, still land on whichever
# server holds the turn, which the control shows. Each turn starts with a second of the
# same load, not measured, so that what a server does on waking (requests the last turn
# left, timers) is not counted. A turn writes its histogram to
# $work/turns/BACKEND/SIDE/ROUND-CYCLE and a line "SIDE ROUND CYCLE STEAL% NON2XX
# SOCKET_ERRORS" to $work/turns/BACKEND/slices. (A paused server outlives a run killed
# with SIGKILL: `pkill -TERM -f 'beacon serve'; pkill -CONT -f 'beacon serve'` ends it.)
interleaved_round() {
    local url=$1 rate=$2 round=$3 i cycle alerts script stolen_before steal counted dir="$work/turns/$backend"
    local -a names=(off control on) pids=() copies=() ports=() tokens=()
    local orders=("0 1 2" "1 2 0" "2 0 1" "2 1 0" "1 0 2" "0 2 1")
    for i in 0 1 2; do
        mkdir -p "$dir/${names[i]}"
        copies[i]=$(fresh_copy "$url" "side_${names[i]}")
        ports[i]=$((PORT + 1 + i))
        if [ "${names[i]}" = on ]; then alerts=on; else alerts=off; fi
        BEACON_ALERTS=$alerts start_server "${copies[i]}" "${ports[i]}"
        pids[i]=$server
        sides="$sides $server"
        server=""
        tokens[i]=$(token "${ports[i]}")
    done
    until_alerts_sent "${copies[2]}"
    for i in 0 1 2; do kill -STOP "${pids[i]}"; done
    for cycle in $(seq 1 "$CYCLES"); do
        for i in ${orders[(cycle + 3 * round) % 6]}; do
            TOKEN=${tokens[i]}
            script=$(red_or_amber "$rate")
            kill -CONT "${pids[i]}"
            wrk -t2 -c"$CONNECTIONS" -d1s --timeout 10s -s "$script" "http://127.0.0.1:${ports[i]}" >/dev/null
            stolen_before=$(stolen)
            wrk -t2 -c"$CONNECTIONS" -d"${SLICE}s" --timeout 10s -s "$(with_histogram "$script" "$dir/${names[i]}/$round-$cycle")" \
                "http://127.0.0.1:${ports[i]}" >"$work/turn.out"
            steal=$(awk -v s="$(($(stolen) - stolen_before))" -v t="$SLICE" -v c="$(nproc)" 'BEGIN { printf "%.1f", s / (t * c) }')
            kill -STOP "${pids[i]}"
            echo "${names[i]} $round $cycle $steal $(awk '/Non-2xx/ { n = $NF } /Socket errors/ { gsub(/[^0-9 ]/, ""); for (f = 1; f <= NF; f++) e += $f } END { print n + 0, e + 0 }' "$work/turn.out")" >>"$dir/slices"
        done
    done
    # Counted while the worker is paused, so that it moves nothing between the counts.
    counted=$(written_and_sent "${copies[2]}")
    for i in 0 1 2; do kill -CONT "${pids[i]}"; done
    until_alerts_sent "${copies[2]}"
    echo "$counted $(unsent "${copies[2]}")" >>"$dir/alerts"
    for i in 0 1 2; do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    sides=""
}

report() {
    local label=$1 out=$2 rps p50 p99 errors
    rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out" | to_ms)
    p99=$(awk '$1 == "99%" {print $2}' "$out" | to_ms)
    errors=$(awk '/Non-2xx/ {print $NF} /Socket errors/ {print}' "$out" | tr '\n' ' ')
    echo "| $backend | $label | $rps | $p50 | $p99 | ${errors:-0} |"
}

echo "| backend | request | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---|---:|---:|---:|---|"
for backend in ${BACKENDS:-sqlite postgres}; do
    url=$(make_db "$backend" 500000)
    start_server "$url"
    TOKEN=$(token)
    if [ "$ONLY" != alerts ]; then
        run "GET /healthz" "$(lua health GET /healthz '')"
        run "GET /programmes?limit=50" "$(lua list GET '/api/v1/programmes?limit=50' '')"
        run "GET /programmes/{code}" "$(lua one GET '/api/v1/programmes/bench-{n}' '')"
        run "POST /programmes/{code}/status-reports" "$(lua report POST '/api/v1/programmes/bench-{n}/status-reports' '{"rating":"amber","rationale":"Benchmark report","period_end":"2026-09-30"}')"
    fi
    # Alerts cost a report nothing a user would notice: reports that turn programmes Red
    # about a quarter of the time and out of Red another quarter (two owners each, so two
    # alerts), with the outbox and the worker off and then on, round after round, each
    # server on a fresh copy of the same data: at a steady rate below what the server can
    # take, then as fast as it answers. One 10 s run's p99 differs from the next by up to
    # a fifth, and this machine's speed drifts over minutes: so each round runs off, on,
    # on, off (the next on, off, off, on), and both the medians of all the runs and the
    # median of each round's on/off ratio are shown.
    : >"$work/p99"
    : >"$work/drain"
    : >"$work/written"
    : >"$work/cpu"
    stop_server
    # The steady rate is half of what this server takes at full load on this day, so
    # the steady rows measure a server with room to spare, as users meet it: this
    # machine's speed varies by a factor of three from day to day, and a fixed rate
    # near its limit measures queueing, not the report.
    rate=$STEADY_RATE
    if [ -z "$rate" ]; then
        copy=$(fresh_copy "$url")
        BEACON_ALERTS=off start_server "$copy"
        TOKEN=$(token)
        full=$(run "POST …/status-reports, red or amber, alerts off (to set the steady rate)" "$(red_or_amber)")
        echo "$full"
        stop_server
        rate=$(echo "$full" | awk -F'|' '{ printf "%d", $4 / 2 }')
    fi
    if [ "$ALERT_ROUNDS" -gt 0 ]; then
        for round in $(seq 1 "$ALERT_ROUNDS"); do
            # Off, on, on, off (then on, off, off, on): the machine's drift over a round
            # falls on both halves alike.
            order="off on on off"
            if [ $((round % 2)) = 0 ]; then order="on off off on"; fi
            for alerts in $order; do
                copy=$(fresh_copy "$url")
                BEACON_ALERTS=$alerts start_server "$copy"
                TOKEN=$(token)
                # Every programme has a report from the day before, so the first sweep
                # writes no reminders; should it write any, they are sent before the runs.
                if [ "$alerts" = on ]; then until_alerts_sent "$copy"; fi
                run_keeping_p99 "steady $alerts" "POST …/status-reports, red or amber, $rate/s, alerts $alerts ($round)" "$(red_or_amber "$rate")" "$STEADY_DURATION"
                run_keeping_p99 "full $alerts" "POST …/status-reports, red or amber, alerts $alerts ($round)" "$(red_or_amber)"
                if [ "$alerts" = on ]; then
                    # Counted while the server is paused, so that its worker sends
                    # nothing between the two counts (sent read above written before).
                    kill -STOP "$server"
                    written_and_sent "$copy" >>"$work/written"
                    kill -CONT "$server"
                    until_alerts_sent "$copy" note
                fi
                stop_server
            done
        done
        for load in steady full; do
            off=$(awk -v key="$load off" '$1 " " $2 == key { print $3 }' "$work/p99" | median)
            on=$(awk -v key="$load on" '$1 " " $2 == key { print $3 }' "$work/p99" | median)
            echo "| $backend | median p99 of the $load rows, alerts on / off | $on / $off ms: $(change "$on" "$off") | | | |"
            # Each round's on/off (the sum of its two p99s with alerts on over the sum of
            # its two with alerts off), and their median: a paired comparison, so a slow
            # spell of the machine moves both sides of a round.
            ratios=$(awk -v want="$load" '$1 == want { sum[$2, $4] += $3; rounds[$4] = 1 } END { for (r in rounds) if (sum["off", r] > 0) printf "%d %.1f\n", r, (sum["on", r] / sum["off", r] - 1) * 100 }' "$work/p99" | sort -n)
            echo "| $backend | each round's $load p99, alerts on / off | $(echo "$ratios" | awk '{ printf "%s%+.1f%%", (NR > 1 ? ", " : ""), $2 }'); median $(echo "$ratios" | awk '{ print $2 }' | median | awk '{ printf "%+.1f%%", $1 }') | | | |"
        done
        # The server's CPU per report (ms) in each steady run, in the order run: the whole
        # server, the HTTP threads alone (the machine's speed), and the alert worker's share.
        for alerts in off on; do
            echo "| $backend | the server's CPU per report in each steady run, alerts $alerts, ms | $(awk -v want="steady $alerts" '$1 " " $2 == want {
                    n = $3; all = ($7 - $4) * 10 / n; http = ($8 - $5) * 10 / n; worker = ($9 - $6) / ($7 - $4) * 100
                    printf "%s%.2f (HTTP %.2f, worker %.1f%%)", (seen++ ? ", " : ""), all, http, worker }' "$work/cpu") | | | |"
        done
        # A run's p99 follows the machine: the host's share of it (steal) in each steady run,
        # and the steady p99s of the quiet runs alone (the host took under 1%).
        for alerts in off on; do
            echo "| $backend | the machine's CPU taken by the host in each steady run, alerts $alerts | $(awk -v want="steady $alerts" '$1 " " $2 == want { printf "%s%s%%", (seen++ ? ", " : ""), $5 }' "$work/p99") | | | |"
        done
        quiet_off=$(awk '$1 == "steady" && $2 == "off" && $5 < 1 { print $3 }' "$work/p99")
        quiet_on=$(awk '$1 == "steady" && $2 == "on" && $5 < 1 { print $3 }' "$work/p99")
        if [ -n "$quiet_off" ] && [ -n "$quiet_on" ]; then
            off=$(echo "$quiet_off" | median)
            on=$(echo "$quiet_on" | median)
            echo "| $backend | median p99 of the steady runs where the host took under 1%, alerts on / off | $on / $off ms ($(echo "$quiet_on" | wc -l) and $(echo "$quiet_off" | wc -l) runs): $(change "$on" "$off") | | | |"
        fi
        echo "| $backend | each full-load run's backlog, sent once the load stops | $(awk '{ printf "%s", (NR > 1 ? ", " : ""); if ($2 == "unsent") printf "%d not sent in 2 min", $1; else printf "%d in %.1f s (%.0f/s)", $1, $2, $1 / ($2 > 0 ? $2 : 1) }' "$work/drain") | | | |"
        echo "| $backend | alerts written / sent over SMTP when each full-load run ends | $(awk '{ printf "%s%d / %d", (NR > 1 ? ", " : ""), $1, $2 }' "$work/written") | | | |"
    fi
    # The steady comparison again, interleaved (see interleaved_round and
    # bench/interleaved.py): the p99 of all the reports each server answered, alerts on
    # against the two servers with alerts off together, and the two alerts-off servers
    # against each other, which is how far this method tells identical servers apart.
    if [ "$INTERLEAVED_ROUNDS" -gt 0 ]; then
        for round in $(seq 1 "$INTERLEAVED_ROUNDS"); do
            interleaved_round "$url" "$rate" "$round"
        done
        python3 bench/interleaved.py "$work/turns/$backend" "$backend" "steady $rate/s, interleaved: $INTERLEAVED_ROUNDS rounds of $CYCLES turns of $SLICE s per server"
    fi
    if [ "$ONLY" = alerts ]; then continue; fi
    start_server "$url"
    TOKEN=$(token)
    run "POST /auth/token" "$(lua signin POST /api/v1/auth/token "{\"email\":\"bench@beacon.test\",\"password\":\"$admin_password\"}")"

    # Sign-in at full load beside the list: the list's share of its own throughput.
    list_script=$(lua list GET '/api/v1/programmes?limit=50' '')
    signin_script=$(lua signin POST /api/v1/auth/token "{\"email\":\"bench@beacon.test\",\"password\":\"$admin_password\"}")
    wrk -t1 -c32 -d"${DURATION}s" --timeout 10s --latency -s "$list_script" "http://127.0.0.1:$PORT" >"$work/alone.out"
    wrk -t1 -c32 -d"${DURATION}s" --timeout 10s --latency -s "$signin_script" "http://127.0.0.1:$PORT" >"$work/signin.out" &
    signin=$!
    wrk -t1 -c32 -d"${DURATION}s" --timeout 10s --latency -s "$list_script" "http://127.0.0.1:$PORT" >"$work/mixed.out"
    wait "$signin"
    report "GET /programmes?limit=50, 32 conns alone" "$work/alone.out"
    report "GET /programmes?limit=50, 32 conns beside sign-in" "$work/mixed.out"
    report "POST /auth/token, 32 conns beside the list" "$work/signin.out"
    stop_server

    # The list's cost follows the page, not the ledger.
    for ledger in 50000 5000000; do
        url=$(make_db "$backend" "$ledger")
        start_server "$url"
        TOKEN=$(token)
        run "GET /programmes?limit=50 ($ledger ledger entries)" "$(lua list GET '/api/v1/programmes?limit=50' '')"
        stop_server
    done
done
