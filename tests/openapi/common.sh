# Shared by check.sh and fuzz.sh: the Python tools, and a seeded server to try them on.

venv=target/openapi-venv

# python_tools PACKAGE…: installs the pinned packages into one virtualenv, once.
python_tools() {
    if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
    "$venv/bin/pip" install -q "$@"
}

# serve LOG URL PORT: seeds the database at URL and serves it on PORT in the background
# (its pid in $server, its log in LOG), returning once it answers.
serve() {
    target/debug/beacon --database-url "$2" seed >/dev/null
    BEACON_BIND=127.0.0.1:$3 BEACON_ALERTS=off target/debug/beacon --database-url "$2" serve \
        >"$1" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$3/healthz" >/dev/null 2>&1; then return; fi
        sleep 0.2
    done
    echo "the server did not start:" >&2
    cat "$1" >&2
    return 1
}
