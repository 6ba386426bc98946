# What the benchmarks share, sourced by them: the builds to compare, databases, servers
# and wrk. Each script sets `work` (its scratch folder) and `prefix` (the name its
# PostgreSQL databases start with) before it calls these.

PG=${BEACON_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
secret=benchmark-secret-that-is-at-least-32-bytes-long
admin_password="benchmark admin password"
server=""
sink=""

# psql, saying nothing of databases that were not there to drop
psql() { PGOPTIONS="-c client_min_messages=warning" command psql "$@"; }

need_wrk() {
    command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
}

# choose_builds: the binaries to compare, from BUILDS ("name=path name=path …"), or
# BEACON_BIN (one build), or else this tree's release build; their names in $names and
# paths in $bins. This tree's build is brought up to date if it is one of them.
choose_builds() {
    local entry i
    if [ -n "${BEACON_BIN:-}" ] && [ -n "${BUILDS:-}" ]; then
        echo "set BUILDS or BEACON_BIN, not both" >&2
        exit 2
    fi
    names=()
    bins=()
    for entry in ${BUILDS:-now=${BEACON_BIN:-target/release/beacon}}; do
        if [[ $entry != ?*=?* ]]; then
            echo "BUILDS takes name=path entries, not '$entry'" >&2
            exit 2
        fi
        names+=("${entry%%=*}")
        bins+=("${entry#*=}")
    done
    for i in "${!bins[@]}"; do
        if [ "$(realpath -m "${bins[i]}")" = "$(realpath -m target/release/beacon)" ]; then
            cargo build --release --locked -p beacon-api >&2
            break
        fi
    done
    for i in "${!bins[@]}"; do
        if [ ! -x "${bins[i]}" ]; then
            echo "${names[i]}: ${bins[i]} is not an executable" >&2
            exit 2
        fi
    done
}

# in_turn K: the builds' indexes, first to last when K is even and last to first when it
# is odd, so that no build always runs first while the machine's speed drifts
in_turn() {
    local i n=${#bins[@]}
    for ((i = 0; i < n; i++)); do
        if (($1 % 2 == 0)); then echo "$i"; else echo $((n - 1 - i)); fi
    done
}

# make_db BACKEND NAME LEDGER AUDIT OWNERS RECENT -> prints the URL of a new database,
# migrated by the first build and filled by bench/data.sql.sh (see there for the
# arguments). With owners, the database has users, so the admin is added here;
# otherwise `beacon serve` makes it from BEACON_ADMIN_*.
make_db() {
    local backend=$1 name=$2 url
    shift 2
    if [ "$backend" = sqlite ]; then
        url="$work/$name.db"
        rm -f "$url"*
        "${bins[0]}" --database-url "$url" migrate >/dev/null
        EFFECTIVE_DATES=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(int(any(r[1] == 'effective_on' for r in c.execute('PRAGMA table_info(ledger_entries)'))))" "$url") \
            bash bench/data.sql.sh sqlite 1000 200000 "$@" |
            python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read())" "$url"
    else
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS ${prefix}_$name WITH (FORCE)" \
            -c "CREATE DATABASE ${prefix}_$name" >/dev/null
        url="$PG/${prefix}_$name"
        "${bins[0]}" --database-url "$url" migrate >/dev/null
        EFFECTIVE_DATES=$(psql "$url" -Atc "SELECT count(*) FROM information_schema.columns
            WHERE table_name = 'ledger_entries' AND column_name = 'effective_on'") \
            bash bench/data.sql.sh postgres 1000 200000 "$@" | psql "$url" -q -v ON_ERROR_STOP=1 >/dev/null
    fi
    if [ "${3:-0}" -gt 0 ]; then
        BEACON_PASSWORD=$admin_password "${bins[0]}" --database-url "$url" user add \
            --email bench@beacon.test --role admin >/dev/null
        # Owners sign in with the admin's password, so that sign-ins spread over many
        # accounts, as a register's users do (the throttle counts each account's).
        local same="UPDATE users SET password_hash = (SELECT password_hash FROM users
            WHERE email = 'bench@beacon.test') WHERE email LIKE 'owner-%@bench.test'"
        if [ "$backend" = sqlite ]; then
            python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()" "$url" "$same"
        else
            psql "$url" -qc "$same" >/dev/null
        fi
    fi
    echo "$url"
}

# copy_db URL NAME -> prints the URL of a new copy of that database (no server may be
# using it). The copy is on disk before it is used: otherwise the kernel, or
# PostgreSQL's next checkpoint, writes it out during whichever run comes next.
copy_db() {
    local f
    if [[ $1 == postgres* ]]; then
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS ${prefix}_$2 WITH (FORCE)" \
            -c "CREATE DATABASE ${prefix}_$2 TEMPLATE ${1##*/}" -c "CHECKPOINT" >/dev/null
        sync
        echo "$PG/${prefix}_$2"
    else
        rm -f "$work/$2.db"*
        for f in "$1" "$1-wal"; do
            if [ -e "$f" ]; then cp "$f" "$work/$2.db${f#"$1"}"; fi
        done
        sync
        echo "$work/$2.db"
    fi
}

drop_db() {
    if [[ $1 == postgres* ]]; then
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS ${1##*/} WITH (FORCE)" >/dev/null
    else
        rm -f "$1"*
    fi
}

# per_build URL NAME: the database each build runs on, in $dbs: with one build that
# database itself; with more, a copy each, which each build then migrates itself, so
# that no build meets a schema another has changed.
per_build() {
    local i
    dbs=()
    if [ "${#bins[@]}" = 1 ]; then
        dbs=("$1")
        return
    fi
    for i in "${!bins[@]}"; do dbs[i]=$(copy_db "$1" "$2_$i"); done
}

# serve I URL PORT [NAME=VALUE…]: build I's `beacon serve` on that database and port, in
# the background, with the benchmark's secret and admin (and any further settings given);
# its process id is in $server once it answers /readyz. Its log is $work/server.log.
serve() {
    local i=$1 url=$2 port=$3
    shift 3
    env DATABASE_URL="$url" BEACON_BIND="127.0.0.1:$port" BEACON_JWT_SECRET="$secret" BEACON_LOG=warn \
        BEACON_ADMIN_EMAIL=bench@beacon.test BEACON_ADMIN_PASSWORD="$admin_password" "$@" \
        "${bins[i]}" serve >"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do
        curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    cat "$work/server.log" >&2
    echo "${names[i]}: the server did not start" >&2
    exit 1
}

stop_server() {
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    server=""
}

# admin_token PORT: the benchmark admin's access token, from the server on that port
admin_token() {
    curl -fs -X POST "http://127.0.0.1:$1/api/v1/auth/token" -H 'content-type: application/json' \
        -d "{\"email\":\"bench@beacon.test\",\"password\":\"$admin_password\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# cleanup: ends the server and SMTP server a script started, drops its PostgreSQL
# databases and removes $work (on exit, however the script ends)
cleanup() {
    local name
    stop_server
    if [ -n "$sink" ]; then kill "$sink" 2>/dev/null || true; fi
    for name in $(psql "$PG/postgres" -Atc "SELECT datname FROM pg_database WHERE datname LIKE '${prefix//_/\\_}\\_%'" 2>/dev/null); do
        psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
