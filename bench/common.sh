# What the benchmarks share, sourced by them: starting a server, signing in, and the
# "red or amber" status reports. Each script sets, before it calls these: `beacon` (the
# binary), `work` (its scratch folder), `secret` and `admin_password`.

# serve URL PORT [NAME=VALUE…]: `beacon serve` on that database and port, in the
# background, with the benchmark's secret and admin (and any further settings given);
# its process id is in $server once it answers /readyz. Its log is $work/server-PORT.log.
serve() {
    local url=$1 port=$2
    shift 2
    env DATABASE_URL="$url" BEACON_BIND="127.0.0.1:$port" BEACON_JWT_SECRET="$secret" BEACON_LOG=warn \
        BEACON_ADMIN_EMAIL=bench@beacon.test BEACON_ADMIN_PASSWORD="$admin_password" "$@" \
        "$beacon" serve >"$work/server-$port.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return
        sleep 0.1
    done
    cat "$work/server-$port.log" >&2
    echo "the server did not start" >&2
    exit 1
}

# admin_token PORT: the benchmark admin's access token, from the server on that port
admin_token() {
    curl -fs -X POST "http://127.0.0.1:$1/api/v1/auth/token" -H 'content-type: application/json' \
        -d "{\"email\":\"bench@beacon.test\",\"password\":\"$admin_password\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# red_or_amber_script FILE TOKEN [RATE CONNECTIONS]: writes a wrk script that reports
# red or amber, at random, on a random programme of the benchmark's portfolio. With a
# rate, each of the connections waits a random (exponential) time before each request,
# so reports arrive at about that rate in all, as users' reports do, instead of as fast
# as the server answers.
red_or_amber_script() {
    local file=$1 token=$2 rate=${3:-} connections=${4:-}
    cat >"$file" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local path = string.format("/api/v1/programmes/bench-%05d/status-reports", math.random(1, 1000))
  local rating = (math.random(2) == 1) and "red" or "amber"
  return wrk.format("POST", path, nil, '{"rating":"' .. rating .. '","rationale":"Benchmark report","period_end":"2026-09-30"}')
end
LUA
    if [ -n "$rate" ]; then
        cat >>"$file" <<LUA
local mean_ms = 1000 * $connections / $rate
delay = function()
  return math.floor(-math.log(1 - math.random()) * mean_ms)
end
LUA
    fi
}

# stop_all: ends the server and the SMTP server a script started ($server, $sink), if
# they run, and removes $work
stop_all() {
    if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; fi
    if [ -n "${sink:-}" ]; then kill "$sink" 2>/dev/null || true; fi
    rm -rf "$work"
}
