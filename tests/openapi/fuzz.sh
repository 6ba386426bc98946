#!/usr/bin/env bash
# Fuzzes the real server from the committed OpenAPI document with schemathesis, on
# SQLite and on PostgreSQL: no 5xx, no status code the document does not list, and
# no response that contradicts its schema. Run by .ci/run; needs the debug build of
# `beacon`, PostgreSQL at 127.0.0.1:5432 (trust auth) and PyPI.
#   FUZZ_SECONDS=60 bash tests/openapi/fuzz.sh     # time per backend (default 60)
set -euo pipefail
cd "$(dirname "$0")/../.."

source tests/openapi/common.sh
python_tools schemathesis==4.32.5
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

# fuzz NAME URL: seed the database, serve it, and let schemathesis loose on it, signed
# in once as an admin. Changing users comes last, on its own: a new password for the
# fuzzer's own account ends its token (as it should), and the rest of that run is 401.
fuzz() {
    serve "$work/$1.log" "$2" "$port"
    token=$(curl -fsS "http://127.0.0.1:$port/api/v1/auth/token" -H 'content-type: application/json' \
        -d "{\"email\": \"$BEACON_ADMIN_EMAIL\", \"password\": \"$BEACON_ADMIN_PASSWORD\"}" |
        "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
    echo "fuzzing $1 for ${seconds}s"
    schemathesis "$1" --max-time "$seconds" --exclude-operation-id update_user
    schemathesis "$1" --max-time 10 --include-operation-id update_user
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
}

# schemathesis NAME OPTION…: one run against the server, failing the script on a finding.
schemathesis() {
    local name=$1
    shift
    if ! "$venv/bin/schemathesis" run openapi/openapi.json --url "http://127.0.0.1:$port" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --workers 2 --phases examples,coverage,fuzzing "$@"; then
        tail -n 50 "$work/$name.log" >&2
        exit 1
    fi
}

fuzz sqlite "$work/beacon.db"
psql "$postgres/postgres" -qc "CREATE DATABASE $database" >/dev/null
fuzz postgres "$postgres/$database"
