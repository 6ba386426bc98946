#!/usr/bin/env bash
# The committed OpenAPI document, checked as its users will use it: it passes a
# validator, and a Python client generated from it signs in, pages the funding history
# and downloads it as CSV from a real server. Run by .ci/run after the tests; needs
# the debug build of `beacon` and Python 3 with pip (PyPI reachable).
set -euo pipefail
cd "$(dirname "$0")/../.."

source tests/openapi/common.sh
python_tools openapi-spec-validator==0.9.0 openapi-python-client==0.29.1

echo "validating openapi/openapi.json"
"$venv/bin/openapi-spec-validator" openapi/openapi.json

work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "generating a Python client"
"$venv/bin/openapi-python-client" generate --path openapi/openapi.json \
    --output-path "$work/beacon_client" --meta none --config tests/openapi/client-config.yaml >/dev/null

port=${OPENAPI_CHECK_PORT:-18190}
export BEACON_ADMIN_EMAIL=client@beacon.test BEACON_ADMIN_PASSWORD='a generated client signs in'
serve "$work/server.log" "$work/beacon.db" "$port"

echo "using the client against the server"
PYTHONPATH="$work" "$venv/bin/python" tests/openapi/use_client.py "http://127.0.0.1:$port" || {
    cat "$work/server.log" >&2
    exit 1
}
