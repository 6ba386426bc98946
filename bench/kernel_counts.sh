#!/usr/bin/env bash
# What a status report costs a saturated SQLite server, counted by the kernel: the
# server's system calls by kind, page faults and context switches per report, with its
# CPU per report (user, system) and its requests/s and p99, while `wrk` sends "red or
# amber" reports as fast as the server answers (as bench/api.sh's full-load rows do).
#
#   bash bench/kernel_counts.sh
#   BUILDS="before=/tmp/beacon-old now=target/release/beacon" ROUNDS=4 bash bench/kernel_counts.sh
#   MODES="off outbox on" bash bench/kernel_counts.sh
#
# BUILDS names the binaries to compare (name=path; default: this tree's release build).
# MODES: alerts off; "outbox", alerts written but the worker idle (it looks for work
# once an hour), to tell the report's share from the worker's; or on. Every build and
# mode takes a turn in each round, each on a fresh copy of the same data (the
# benchmark's portfolio, 500,000 ledger entries). Needs `perf` and `wrk` (installed
# from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-"off on"}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18191}
SMTP_PORT=${SMTP_PORT:-18335}
work=$(mktemp -d)
server=""
sink=""
trap stop_all EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
if [ -z "${BUILDS:-}" ]; then
    cargo build --release --locked -p beacon-api >&2
    BUILDS="now=target/release/beacon"
fi
cargo build --release --locked -p beacon-tests --bin beacon-smtp-sink >&2
nice -n 19 target/release/beacon-smtp-sink "$SMTP_PORT" >/dev/null 2>&1 &
sink=$!
secret=benchmark-secret-that-is-at-least-32-bytes-long
admin_password="benchmark admin password"

# The data, made once with the first build.
beacon=${BUILDS%% *}
beacon=${beacon#*=}
"$beacon" --database-url "$work/base.db" migrate >/dev/null
bash bench/data.sql.sh sqlite 1000 200000 500000 0 2 1 |
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read())" "$work/base.db"
BEACON_PASSWORD=$admin_password "$beacon" --database-url "$work/base.db" user add \
    --email bench@beacon.test --role admin >/dev/null

events="raw_syscalls:sys_enter,syscalls:sys_enter_pwrite64,syscalls:sys_enter_pread64,syscalls:sys_enter_futex,syscalls:sys_enter_fcntl,syscalls:sys_enter_mmap,syscalls:sys_enter_munmap,syscalls:sys_enter_fsync,context-switches,page-faults"
echo "| round | build | alerts | requests/s | p99 ms | server CPU ms per report (user, system) | per report: system calls, pwrite, pread, futex, fcntl, mmap, munmap, fsync, context switches, page faults |"
echo "|---|---|---|---:|---:|---|---|"
for round in $(seq 1 "$ROUNDS"); do
    for build in $BUILDS; do
        for mode in $MODES; do
            rm -f "$work/run.db"*
            cp "$work/base.db" "$work/run.db"
            sync
            case $mode in
                off) alerts=off poll=500 ;;
                outbox) alerts=on poll=3600000 ;;
                on) alerts=on poll=500 ;;
                *) echo "unknown mode $mode (off, outbox, on)" >&2; exit 2 ;;
            esac
            beacon=${build#*=}
            serve "$work/run.db" "$PORT" BEACON_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" \
                BEACON_ALERTS="$alerts" BEACON_ALERT_POLL_MS="$poll"
            red_or_amber_script "$work/report.lua" "$(admin_token "$PORT")"
            cpu_before=$(sed 's/.*) //' "/proc/$server/stat" | awk '{ print $12, $13 }')
            perf stat -x, -p "$server" -e "$events" -o "$work/perf.out" -- sleep "$DURATION" &
            perf=$!
            wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$work/report.lua" \
                "http://127.0.0.1:$PORT" >"$work/wrk.out"
            wait "$perf"
            cpu_after=$(sed 's/.*) //' "/proc/$server/stat" | awk '{ print $12, $13 }')
            kill "$server"
            wait "$server" 2>/dev/null || true
            server=""
            if grep -q "Non-2xx" "$work/wrk.out"; then
                echo "errors in $build, alerts $mode:" >&2
                cat "$work/wrk.out" >&2
                exit 1
            fi
            n=$(awk '/requests in/ { print $1 }' "$work/wrk.out")
            echo "| $round | ${build%%=*} | $mode | $(awk '/Requests\/sec/ { printf "%d", $2 }' "$work/wrk.out") | $(awk '$1 == "99%" { print $2 }' "$work/wrk.out" | sed 's/ms$//') | $(echo "$cpu_before $cpu_after" | awk -v n="$n" '{ printf "%.3f, %.3f", ($3 - $1) * 10 / n, ($4 - $2) * 10 / n }') | $(awk -F, -v n="$n" '$1 ~ /^[0-9]/ { printf "%s%.1f", (seen++ ? ", " : ""), $1 / n }' "$work/perf.out") |"
        done
    done
done
