#!/usr/bin/env bash
# OAuth2 benchmark (database on disk; each write answered only after its log sync):
#  1. POST /oauth2/token authorization_code exchanges per second (codes minted beforehand);
#  2. POST /oauth2/token refresh_token rotations per second (each wrk connection follows its own chain);
#  3. GET /users/@me with a Bearer access token, beside nginx serving the same JSON.
# Usage: bench/oauth.sh [seconds per run, default 10]
source "$(dirname "$0")/lib.sh"
duration=${1:-10}
build_release
port=$(free_port)
db="$work/db-$port.sqlite"
bin=$FLUXER_BIN
owner=$($bin user create --database "$db" --email owner@example.com --username owner --password 'owner password 1' --verified | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
session=$($bin user token --database "$db" --email owner@example.com | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
read -r client secret < <($bin app create --dev --database "$db" --owner "$owner" --name "Bench Client" --redirect-uri https://client.example/cb \
  | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d["client_id"], d["client_secret"])')
start_ours "$port" FLUXER_AUTH_RATELIMIT_ENABLED=false ${SERVER_ENV:-}
codes=$(( duration * 6000 ))
echo "minting $codes codes …" >&2
python3 - "$port" "$session" "$client" "$secret" "$codes" "$work" <<'PY'
import http.client, json, sys, urllib.parse, threading, base64
port, session, client, secret, n, work = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
def mint(count, out):
    c = http.client.HTTPConnection("127.0.0.1", int(port))
    body = json.dumps({"response_type": "code", "client_id": client, "redirect_uri": "https://client.example/cb", "scope": "identify email"})
    for _ in range(count):
        c.request("POST", "/oauth2/authorize/consent", body, {"Authorization": session, "Content-Type": "application/json"})
        r = json.loads(c.getresponse().read())
        out.append(urllib.parse.parse_qs(urllib.parse.urlparse(r["redirect_to"]).query)["code"][0])
lists = [[] for _ in range(4)]
threads = [threading.Thread(target=mint, args=(n // 4, l)) for l in lists]
[t.start() for t in threads]; [t.join() for t in threads]
codes = [c for l in lists for c in l]
open(f"{work}/codes.txt", "w").write("\n".join(codes) + "\n")
# one refresh chain per wrk connection, and one access token for the Bearer run
refresh = []
c = http.client.HTTPConnection("127.0.0.1", int(port))
auth = "Basic " + base64.b64encode(f"{client}:{secret}".encode()).decode()
for code in codes[:17]:
    c.request("POST", "/oauth2/token", f"grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fclient.example%2Fcb",
              {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    refresh.append(json.loads(c.getresponse().read()))
open(f"{work}/refresh.txt", "w").write("\n".join(t["refresh_token"] for t in refresh[1:]) + "\n")
open(f"{work}/access.txt", "w").write(refresh[0]["access_token"])
open(f"{work}/codes.txt", "w").write("\n".join(codes[17:]) + "\n")
PY
basic="Basic $(printf '%s:%s' "$client" "$secret" | base64 -w0)"
cat >"$work/exchange.lua" <<LUA
local codes, i = {}, 0
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args)
  local n = 0
  for line in io.lines("$work/codes.txt") do
    if n % $((16)) == id then table.insert(codes, line) end
    n = n + 1
  end
end
function request()
  i = i + 1
  local code = codes[i] or "exhausted"
  return wrk.format("POST", "/oauth2/token", {["Authorization"] = "$basic", ["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=authorization_code&code=" .. code .. "&redirect_uri=https%3A%2F%2Fclient.example%2Fcb")
end
LUA
write_refresh_lua "$work/refresh.lua"
echo "$(nproc) cores (wrk shares them), ${duration}s per run" >&2
succeeded() { # wrk output -> successful requests per second
  awk -v d="$duration" '/requests in/ {total=$1} /Non-2xx/ {bad=$5} END {printf "%.0f", (total-bad)/d}'
}
out=$(wrk -t16 -c16 -d"${duration}s" -s "$work/exchange.lua" "http://127.0.0.1:$port/oauth2/token")
echo "code exchanges:  $(succeeded <<<"$out")/s (200s only; $(awk '/Non-2xx/ {print $5}' <<<"$out") non-2xx after the codes ran out)" >&2
if [ -n "${PERF:-}" ]; then perf record -F 999 ${PERF_CALLGRAPH:--g} -p "$(pgrep -f "port $port" | head -1)" -o /tmp/perf-refresh.data -- sleep "$duration" >/dev/null 2>&1 & fi
groups() { curl -fs "http://127.0.0.1:$port/metrics" | awk '/^fluxer_database_group_commits_total/ {b=$2} /^fluxer_database_grouped_writes_total/ {w=$2} END {print b+0, w+0}'; }
read -r b0 w0 < <(groups)
spid=$(pgrep -f "port $port" | head -1); c0=$(awk "{print \$14+\$15}" /proc/$spid/stat); ctx0=$(grep -h ctxt /proc/$spid/task/*/status | awk "{s+=\$2} END {print s}")
out=$(REFRESH_FILE="$work/refresh.txt" BASIC="$basic" /usr/bin/time -f "wrk cpu user %U sys %S" wrk -t${WRK_THREADS:-16} -c16 -d"${duration}s" -s "$work/refresh.lua" "http://127.0.0.1:$port/oauth2/token")
c1=$(awk "{print \$14+\$15}" /proc/$spid/stat); ctx1=$(grep -h ctxt /proc/$spid/task/*/status | awk "{s+=\$2} END {print s}"); echo "server CPU during refresh: $(( (c1-c0) ))0 ms, context switches $((ctx1-ctx0))" >&2
echo "refreshes:       $(succeeded <<<"$out")/s (16 concurrent chains; $(awk '/Non-2xx/ {print $5}' <<<"$out") non-2xx)" >&2
read -r b1 w1 < <(groups)
echo "group commits during refresh: $((b1-b0)) batches of more than one, $(awk -v b=$((b1-b0)) -v w=$((w1-w0)) 'BEGIN {printf "%.1f", b ? w/b : 0}') writes each on average" >&2
access=$(cat "$work/access.txt")
bearer=$(measure "GET /users/@me (Bearer access token)" "http://127.0.0.1:$port/users/@me" -H "Authorization: Bearer $access")
curl -fs "http://127.0.0.1:$port/users/@me" -H "Authorization: Bearer $access" >"$work/me.json"
p2=$(free_port)
if start_nginx "$p2" "$work/me.json"; then
  nginx_rps=$(measure "nginx (same JSON, no access log)" "http://127.0.0.1:$p2/users/@me")
  echo "Bearer ratio to nginx: $(ratio "$bearer" "$nginx_rps")" >&2
fi
