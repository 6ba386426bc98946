#!/usr/bin/env bash
# What sending an alert costs the machine, in CPU time per alert: the Beacon process
# (and within it the worker's own thread, which claims and records, and the sending
# threads), PostgreSQL's processes, and the SMTP server. A warm `beacon serve` with
# nothing else to do sends a backlog of ALERTS alerts written straight into its outbox,
# over SMTP to beacon-smtp-sink; CPU time is read from /proc before and after. CPU time
# does not depend on how busy the machine is the way latencies do, so two builds can be
# compared on a noisy day. Prints a Markdown table, one row per run; its seconds run
# from the backlog's writing to its last alert's record, and include up to a second
# before an idle worker looks again.
#
#   bash bench/alert_cost.sh                          # both backends, 3 runs each
#   BACKENDS=postgres RUNS=5 ALERTS=8000 bash bench/alert_cost.sh
#   BEACON_BIN=/path/to/beacon bash bench/alert_cost.sh   # another build
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) like the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
RUNS=${RUNS:-3}
ALERTS=${ALERTS:-4000}
PORT=${PORT:-18182}
SMTP_PORT=${SMTP_PORT:-18326}
PG=${BEACON_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
server=""
sink=""
cleanup() {
    stop_all
    for name in beacon_alert_cost beacon_alert_cost_run; do
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

if [ -z "${BEACON_BIN:-}" ]; then cargo build --release --locked -p beacon-api >&2; fi
cargo build --release --locked -p beacon-tests --bin beacon-smtp-sink >&2
beacon=${BEACON_BIN:-target/release/beacon}
target/release/beacon-smtp-sink "$SMTP_PORT" >"$work/smtp.log" 2>&1 &
sink=$!
hz=$(getconf CLK_TCK)
secret=alert-cost-secret-that-is-at-least-32-bytes-long
admin_password="benchmark admin password"

# sql URL SQL: runs SQL on either backend, printing what it selects
sql() {
    if [[ $1 == postgres* ]]; then
        psql "$1" -Atqc "$2"
    else
        python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); [print(*x) for x in r]" "$1" "$2"
    fi
}

# make_db BACKEND -> the URL of a migrated database: 1,000 programmes, two owners each,
# every one with a recent report (so the worker's first sweep writes no reminders)
make_db() {
    local url
    if [ "$1" = sqlite ]; then
        url="$work/base.db"
        "$beacon" --database-url "$url" migrate >/dev/null
        bash bench/data.sql.sh sqlite 1000 2000 2000 0 2 1 |
            python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read())" "$url"
    else
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS beacon_alert_cost WITH (FORCE)" -c "CREATE DATABASE beacon_alert_cost" >/dev/null
        url="$PG/beacon_alert_cost"
        "$beacon" --database-url "$url" migrate >/dev/null
        bash bench/data.sql.sh postgres 1000 2000 2000 0 2 1 | psql "$url" -q -v ON_ERROR_STOP=1 >/dev/null
    fi
    echo "$url"
}

# fresh_copy URL -> a copy of that database, on disk before it is used
fresh_copy() {
    if [[ $1 == postgres* ]]; then
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS beacon_alert_cost_run WITH (FORCE)" \
            -c "CREATE DATABASE beacon_alert_cost_run TEMPLATE ${1##*/}" -c "CHECKPOINT" >/dev/null
        echo "$PG/beacon_alert_cost_run"
    else
        rm -f "$work/run.db"*
        cp "$1" "$work/run.db"
        echo "$work/run.db"
    fi
    sync
}

# ticks PID: CPU time the process has used, in clock ticks
ticks() { if [ -r "/proc/$1/stat" ]; then awk '{ print $14 + $15 }' "/proc/$1/stat"; else echo 0; fi; }
# thread_ticks PID NAME: CPU time of the process's threads whose name starts with NAME
thread_ticks() {
    local total=0 task
    for task in /proc/"$1"/task/*; do
        if [[ $(cat "$task/comm" 2>/dev/null) == "$2"* ]]; then
            total=$((total + $(awk '{ print $14 + $15 }' "$task/stat" 2>/dev/null || echo 0)))
        fi
    done
    echo "$total"
}
# postgres_ticks: CPU time of every PostgreSQL process now running, one "pid ticks" a line
postgres_ticks() { for pid in $(pgrep -x postgres || true); do echo "$pid $(ticks "$pid")"; done; }
# per_alert TICKS: microseconds per alert
per_alert() { awk -v t="$1" -v hz="$hz" -v n="$ALERTS" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }'; }

# The backlog: ALERTS "turned Red" alerts, as reports write them: an outbox row per event
# naming the programme's two owners.
backlog_sql() {
    local events=$((ALERTS / 2000 + 1)) series gather
    if [[ $1 == postgres* ]]; then
        series="generate_series(1, $events) AS e(n)"
        gather="json_agg(u.email)::text"
    else
        series="(WITH RECURSIVE e(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM e WHERE n < $events) SELECT n FROM e) AS e"
        gather="json_group_array(u.email)"
    fi
    cat <<SQL
INSERT INTO alert_outbox (key_prefix, kind, programme_id, recipients, details, created_at)
SELECT 'turned_red:alert_cost:' || e.n || ':' || p.id || ':', 'turned_red', p.id, $gather,
       '{"programme_code":"' || p.code || '","programme_name":"' || p.name || '","previous_rating":"amber","rating":"red","rationale":"Benchmark report","period_end":"2026-09-30","by":"bench@beacon.test","at":"2026-12-02T07:00:00"}',
       '2026-12-02 07:00:00'
FROM $series, programme_owners o JOIN users u ON u.id = o.user_id JOIN programmes p ON p.id = o.programme_id
GROUP BY e.n, p.id, p.code, p.name
ORDER BY e.n, p.id
LIMIT $((ALERTS / 2))
SQL
}

echo "| backend | run | alerts | seconds | Beacon µs/alert | of which the worker's thread | of which the senders | PostgreSQL µs/alert | SMTP server µs/alert |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for backend in ${BACKENDS:-sqlite postgres}; do
    base=$(make_db "$backend")
    for run in $(seq 1 "$RUNS"); do
        copy=$(fresh_copy "$base")
        serve "$copy" "$PORT" BEACON_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
        # Warm: the pools' connections open and the worker has looked once.
        for _ in $(seq 1 20); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" || true; done
        sleep 1.5
        before_pg=$(postgres_ticks)
        b0=$(ticks "$server")
        w0=$(thread_ticks "$server" beacon-alert-wo)
        s0=$(thread_ticks "$server" beacon-alert-se)
        k0=$(ticks "$sink")
        start=$(date +%s.%N)
        sql "$copy" "$(backlog_sql "$copy")" >/dev/null
        sent=0
        for _ in $(seq 1 1200); do
            sent=$(sql "$copy" "SELECT COUNT(*) FROM alerts WHERE status = 'sent'")
            [ "$sent" -ge "$ALERTS" ] && break
            sleep 0.1
        done
        end=$(date +%s.%N)
        b1=$(ticks "$server")
        w1=$(thread_ticks "$server" beacon-alert-wo)
        s1=$(thread_ticks "$server" beacon-alert-se)
        k1=$(ticks "$sink")
        # PostgreSQL: the processes running at the end (the server's connections among
        # them), less what each had used at the start; the queries of this script run in
        # processes that have ended by then.
        pg=$(postgres_ticks | awk 'NR == FNR { before[$1] = $2; next } { total += $2 - before[$1] } END { print total + 0 }' <(echo "$before_pg") -)
        kill -TERM "$server"
        wait "$server" 2>/dev/null || true
        server=""
        if [ "$sent" -lt "$ALERTS" ]; then
            echo "| $backend | $run | only $sent of $ALERTS sent in 2 min | | | | | | |"
            continue
        fi
        seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
        echo "| $backend | $run | $ALERTS | $seconds | $(per_alert $((b1 - b0))) | $(per_alert $((w1 - w0))) | $(per_alert $((s1 - s0))) | $([ "$backend" = postgres ] && per_alert "$pg" || echo "–") | $(per_alert $((k1 - k0))) |"
    done
done
