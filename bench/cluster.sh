#!/usr/bin/env bash
# Cluster benchmark: session-token checks (GET /users/@me) and refresh-token rotations (POST /oauth2/token) per
# second, for
#   - 1 node on SQLite (the embedded default),
#   - 1, 2 and 3 nodes on one PostgreSQL 15 server (Debian package, started here in a temp dir with its default
#     durability: fsync and synchronous_commit on),
# every configuration behind the same nginx round-robin proxy (upstream keep-alive), so the rows differ only in
# the backend and the node count. Everything (wrk, nginx, the nodes, PostgreSQL) shares this machine's cores:
# on 2 cores more nodes cannot mean more throughput; the table shows what the database and the coordination
# cost, not what N machines would do.
#
# Rate limits are off on every node (FLUXER_AUTH_RATELIMIT_ENABLED=false): one load generator is one client.
# Only 2xx responses count. Prints a Markdown table on stdout (progress on stderr).
# Usage: bench/cluster.sh [seconds per run, default 10]
source "$(dirname "$0")/lib.sh"
duration=${1:-10}
bin=$FLUXER_BIN
pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL 15 is missing: apt-get install postgresql" >&2; exit 1; }
build_release

# --- PostgreSQL in a temp dir (as the postgres user when running as root) ----------------------------------
pgdir=$(mktemp -d /tmp/fluxer-bench-pg-XXXXXX)
pgport=$(free_port)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
as_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -o "-c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories=$pgdir -c max_connections=200 -c shared_buffers=128MB" start >/dev/null
stop_pg() { as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap 'cleanup; stop_pg' EXIT
psql_admin() { as_pg psql -h "$pgdir" -p "$pgport" -U postgres -qAt "$@"; }

lbport=$(free_port)
# start_lb NODE_PORTS...: nginx round-robin in front of the nodes.
start_lb() {
  local dir="$work/lb-$RANDOM"; mkdir -p "$dir"; chmod 0755 "$work" "$dir"
  local servers=""; for p in "$@"; do servers+="server 127.0.0.1:$p;"; done
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
error_log $dir/error.log;
pid $dir/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  upstream nodes { $servers keepalive 128; }
  server {
    listen 127.0.0.1:$lbport;
    location / { proxy_pass http://nodes; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
  /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' &
  lbpid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$lbport/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "nginx did not start" >&2; exit 1
}

succeeded() { awk -v d="$duration" '/requests in/ {total=$1} /Non-2xx/ {bad=$5} END {printf "%.0f", (total-bad)/d}'; }
p99() { awk '$1=="99%" {print $2}'; }

write_refresh_lua "$work/refresh.lua"

# run LABEL NODES DBFLAG...: seeds through the CLI, starts NODES nodes and the proxy, measures, stops them.
run() {
  local label=$1 nodes=$2; shift 2
  local db=("$@")
  local owner session client secret
  owner=$($bin user create "${db[@]}" --email owner@example.com --username owner --password 'owner password 1' --verified | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
  session=$($bin user token "${db[@]}" --email owner@example.com | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
  read -r client secret < <($bin app create --dev "${db[@]}" --owner "$owner" --name "Bench Client" --redirect-uri https://client.example/cb \
    | python3 -c 'import sys,json; d=json.load(sys.stdin); print(d["client_id"], d["client_secret"])')
  local ports=() node_pids=()
  for _ in $(seq "$nodes"); do
    local port; port=$(free_port)
    FLUXER_AUTH_RATELIMIT_ENABLED=false $bin serve --dev --port "$port" "${db[@]}" >/dev/null 2>"$work/node-$port.log" &
    node_pids+=($!); pids+=($!)
    wait_up "$port"
    ports+=("$port")
  done
  start_lb "${ports[@]}"
  # 16 refresh chains (one per wrk connection), minted through the proxy.
  python3 - "$lbport" "$session" "$client" "$secret" "$work/refresh.txt" <<'PY'
import http.client, json, sys, urllib.parse, base64
port, session, client, secret, out = sys.argv[1:6]
c = http.client.HTTPConnection("127.0.0.1", int(port))
auth = "Basic " + base64.b64encode(f"{client}:{secret}".encode()).decode()
tokens = []
for _ in range(16):
    body = json.dumps({"response_type": "code", "client_id": client, "redirect_uri": "https://client.example/cb", "scope": "identify"})
    c.request("POST", "/oauth2/authorize/consent", body, {"Authorization": session, "Content-Type": "application/json"})
    code = urllib.parse.parse_qs(urllib.parse.urlparse(json.loads(c.getresponse().read())["redirect_to"]).query)["code"][0]
    c.request("POST", "/oauth2/token", f"grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fclient.example%2Fcb",
              {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    tokens.append(json.loads(c.getresponse().read())["refresh_token"])
open(out, "w").write("\n".join(tokens) + "\n")
PY
  local out checks checks_p99 refreshes refresh_p99
  out=$(wrk -t2 -c64 -d"${duration}s" --latency -H "Authorization: $session" "http://127.0.0.1:$lbport/users/@me")
  checks=$(succeeded <<<"$out"); checks_p99=$(p99 <<<"$out")
  out=$(REFRESH_FILE="$work/refresh.txt" BASIC="Basic $(printf '%s:%s' "$client" "$secret" | base64 -w0)" \
        wrk -t16 -c16 -d"${duration}s" --latency -s "$work/refresh.lua" "http://127.0.0.1:$lbport/oauth2/token")
  refreshes=$(succeeded <<<"$out"); refresh_p99=$(p99 <<<"$out")
  printf '%-28s checks %8s/s (p99 %s)   refreshes %6s/s (p99 %s)\n' "$label" "$checks" "$checks_p99" "$refreshes" "$refresh_p99" >&2
  rows+=("| $label | $checks | $checks_p99 | $refreshes | $refresh_p99 |")
  kill "$lbpid" "${node_pids[@]}" 2>/dev/null || true
  wait "$lbpid" "${node_pids[@]}" 2>/dev/null || true
}

rows=()
echo "$(nproc) cores shared by wrk, nginx, the nodes and PostgreSQL; ${duration}s per run; rate limits off" >&2
run "1 node, SQLite" 1 --database "$work/bench.sqlite"
for n in 1 2 3; do
  psql_admin -c "CREATE DATABASE bench$n" >/dev/null
  url="postgresql://postgres@127.0.0.1:$pgport/bench$n?sslmode=disable"
  $bin migrate --database-url "$url" >/dev/null
  run "$n node$([ "$n" -gt 1 ] && echo s), PostgreSQL" "$n" --database-url "$url"
done

echo "| configuration (behind nginx, $(nproc) cores in all) | session checks/s | p99 | refresh rotations/s | p99 |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
