#!/usr/bin/env bash
# Accounts benchmark:
#  1. GET /users/@me with a session token (64 connections), beside nginx serving the same JSON body;
#  2. POST /auth/login throughput against the argon2id ceiling (all hash threads hashing at once, `hash-benchmark`), with the
#     production argon2id parameters (64 MiB, t=3) and the login limits raised for the run.
# Usage: bench/accounts.sh [seconds per run, default 10]
source "$(dirname "$0")/lib.sh"
duration=${1:-10}
build_release
port=$(free_port)
db="$work/db-$port.sqlite"
bin=$FLUXER_BIN
$bin user create --database "$db" --email bench@example.com --username bench --password 'bench password 123' --verified >/dev/null
token=$($bin user token --database "$db" --email bench@example.com | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
cp "$db" "$work/db-off.sqlite"
# Limits stay on (the limiter runs on every request) but are raised so the load is not refused.
start_ours "$port" FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL_IP=1000000/1s FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL=1000000/1s FLUXER_AUTH_RATELIMIT_LOGIN_IP=1000000/1s \
  FLUXER_AUTH_RATELIMIT_GLOBAL=1000000/1s FLUXER_AUTH_RATELIMIT_BUCKETS=auth:login=1000000/1s
port_off=$(free_port)
FLUXER_AUTH_RATELIMIT_ENABLED=false "$FLUXER_BIN" serve --dev --port "$port_off" --database "$work/db-off.sqlite" \
  >/dev/null 2>"$work/server-off.log" &
pids+=($!)
wait_up "$port_off"
echo "$(nproc) cores (wrk shares them), ${duration}s per run" >&2
me=$(measure "GET /users/@me (session, limits on)" "http://127.0.0.1:$port/users/@me" -H "Authorization: $token")
me_off=$(measure "GET /users/@me (session, limits off)" "http://127.0.0.1:$port_off/users/@me" -H "Authorization: $token")
echo "limiter cost: limits on run at $(ratio "$me" "$me_off") of limits off" >&2
curl -fs "http://127.0.0.1:$port/users/@me" -H "Authorization: $token" >"$work/me.json"
p2=$(free_port)
if start_nginx "$p2" "$work/me.json"; then
  nginx_rps=$(measure "nginx (same JSON, no access log)" "http://127.0.0.1:$p2/users/@me")
  echo "GET /users/@me ratio to nginx: $(ratio "$me" "$nginx_rps")" >&2
fi
cat >"$work/login.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","password":"bench password 123"}'
wrk.headers["Content-Type"] = "application/json"
LUA
logins=$(wrk -t2 -c16 -d"${duration}s" -s "$work/login.lua" "http://127.0.0.1:$port/auth/login" | awk '/Requests\/sec/ {print $2}')
ceiling=$($bin hash-benchmark --count 10 | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d["logins_per_second_ceiling"], d["ms_per_hash"])')
read -r limit per_hash <<<"$ceiling"
echo "POST /auth/login: $logins logins/s; argon2id ceiling $limit/s ($per_hash ms per hash); ratio $(ratio "$logins" "$limit")" >&2
