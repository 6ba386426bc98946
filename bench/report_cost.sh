#!/usr/bin/env bash
# What alerts add to a status report's own work, counted in instructions: callgrind
# counts the same for the same build and data whatever else the machine is doing,
# where the API benchmark's latencies move by a fifth from one run to the next. On
# SQLite all of this work runs holding the one write lock every report waits for.
# Prints a Markdown table: instructions per report with alerts off and on.
#
#   bash bench/report_cost.sh            # 2,000 reports each way, about a minute
#   REPORTS=500 bash bench/report_cost.sh
#   COST_BIN=/path/to/beacon-report-cost bash bench/report_cost.sh  # another build
#
# The reports are the API benchmark's "red or amber" ones (about one in four turns a
# programme Red and one in four takes one out of Red, two owners each), on its
# portfolio with 50,000 ledger entries, recorded one after another on one connection.
set -euo pipefail
cd "$(dirname "$0")/.."
REPORTS=${REPORTS:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
cargo build --release --locked -p beacon-api -p beacon-tests --bin beacon --bin beacon-report-cost >&2
cost=${COST_BIN:-target/release/beacon-report-cost}

base="$work/base.db"
target/release/beacon --database-url "$base" migrate >/dev/null
bash bench/data.sql.sh sqlite 1000 200000 50000 0 2 1 |
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read())" "$base"
BEACON_PASSWORD="report cost admin" target/release/beacon --database-url "$base" user add \
    --email bench@beacon.test --role admin >/dev/null

# instructions ALERTS COUNT: what the reporting thread executed recording COUNT reports
# on a fresh copy of the data (the other threads, such as SQLite's checkpointer, are
# left out: they do not hold the write lock)
instructions() {
    rm -f "$work"/run.db* "$work"/cg*
    cp "$base" "$work/run.db"
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$work/cg" \
        "$cost" "$work/run.db" bench@beacon.test "$2" "$1" >/dev/null 2>&1
    awk '/^totals:/ { print $2 }' "$work/cg-01"
}

echo "| alerts | instructions per report | against alerts off |"
echo "|---|---:|---:|"
off=""
for alerts in off on; do
    setup=$(instructions "$alerts" 0)
    total=$(instructions "$alerts" "$REPORTS")
    each=$(((total - setup) / REPORTS))
    if [ -z "$off" ]; then
        off=$each
        echo "| $alerts | $each | |"
    else
        echo "| $alerts | $each | $(awk -v on="$each" -v off="$off" 'BEGIN { printf "%+.1f%%", (on / off - 1) * 100 }') |"
    fi
done
