#!/usr/bin/env bash
# Bot-token benchmark: GET /users/@me with a valid bot token and with forged tokens (which must fail the HMAC
# before any database read), beside nginx serving the same JSON in the same run.
# Usage: bench/bots.sh [seconds per run, default 10]
source "$(dirname "$0")/lib.sh"
duration=${1:-10}
build_release
port=$(free_port)
db="$work/db-$port.sqlite"
bin=$FLUXER_BIN
owner=$($bin user create --database "$db" --email owner@example.com --username owner --password 'owner password 1' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
token=$($bin app create --dev --database "$db" --owner "$owner" --name "Bench Bot" | python3 -c 'import sys,json; print(json.load(sys.stdin)["bot_token"])')
forged="${token%?????}AAAAA"
start_ours "$port" FLUXER_AUTH_RATELIMIT_ENABLED=false
echo "$(nproc) cores (wrk shares them), ${duration}s per run" >&2
valid=$(measure "GET /users/@me (valid bot token)" "http://127.0.0.1:$port/users/@me" -H "Authorization: Bot $token")
bad=$(measure "GET /users/@me (forged bot token, 401)" "http://127.0.0.1:$port/users/@me" -H "Authorization: Bot $forged")
curl -fs "http://127.0.0.1:$port/users/@me" -H "Authorization: Bot $token" >"$work/me.json"
p2=$(free_port)
if start_nginx "$p2" "$work/me.json"; then
  nginx_rps=$(measure "nginx (same JSON, no access log)" "http://127.0.0.1:$p2/users/@me")
  echo "ratio to nginx: valid $(ratio "$valid" "$nginx_rps"), forged $(ratio "$bad" "$nginx_rps")" >&2
fi
