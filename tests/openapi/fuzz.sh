#!/usr/bin/env bash
# Fuzzes the real server from the committed OpenAPI document with schemathesis, on
# SQLite and on PostgreSQL: no 5xx, no status code the document does not list, and
# no response that contradicts its schema. Run by .ci/run; needs the debug build of
# `beacon`, PostgreSQL at 127.0.0.1:5432 (trust auth) and PyPI.
#   FUZZ_SECONDS=60 bash tests/openapi/fuzz.sh     # time per backend (default 60)
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/openapi-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q schemathesis==4.32.5
fi
seconds=${FUZZ_SECONDS:-60}
port=${FUZZ_PORT:-18191}
postgres=${BEACON_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
database=beacon_fuzz_$$
work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

export BEACON_ADMIN_EMAIL=fuzz@beacon.test BEACON_ADMIN_PASSWORD='a fuzzer signs in here'

# fuzz NAME URL: seed the database, serve it, and let schemathesis loose on it. It
# signs in once; changing users is left out, since a new password for its own account
# would end its token (as it should) and leave the rest of the run at 401.
fuzz() {
    target/debug/beacon --database-url "$2" seed >/dev/null
    BEACON_BIND=127.0.0.1:$port BEACON_ALERTS=off target/debug/beacon --database-url "$2" serve \
        >"$work/$1.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
        sleep 0.2
    done
    token=$(curl -fsS "http://127.0.0.1:$port/api/v1/auth/token" -H 'content-type: application/json' \
        -d "{\"email\": \"$BEACON_ADMIN_EMAIL\", \"password\": \"$BEACON_ADMIN_PASSWORD\"}" |
        "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
    echo "fuzzing $1 for ${seconds}s"
    if ! "$venv/bin/schemathesis" run openapi/openapi.json --url "http://127.0.0.1:$port" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --max-time "$seconds" --workers 2 --phases examples,coverage,fuzzing \
        --exclude-operation-id update_user; then
        tail -n 50 "$work/$1.log" >&2
        exit 1
    fi
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
}

fuzz sqlite "$work/beacon.db"
psql "$postgres/postgres" -qc "CREATE DATABASE $database" >/dev/null
fuzz postgres "$postgres/$database"
