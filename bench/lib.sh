# Shared helpers for the benchmark scripts (sourced). Loopback only; every run is bounded in time.
set -euo pipefail
# BIN=/path/to/fluxer-auth measures that build instead of building release here (before/after comparisons).
if [ -n "${BIN:-}" ]; then BIN=$(realpath "$BIN"); fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FLUXER_BIN=${BIN:-.build/release/fluxer-auth}
export PATH=/opt/swift/usr/bin:$PATH
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

build_release() {
  if [ -n "${BIN:-}" ]; then
    [ -x "$BIN" ] || { echo "BIN=$BIN is not an executable" >&2; exit 1; }
    return 0
  fi
  make -s build >/dev/null  # the Makefile's RELEASE_BUILD, as make build and the Dockerfile
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_up PORT [LOG]: until /healthz answers (20 s at most); on failure, the log's tail and exit
wait_up() {
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "server on $1 did not start" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then tail -5 "$2" >&2; fi
  exit 1
}

# measure NAME URL [wrk args...] -> prints a line to stderr, echoes req/s
measure() {
  local name=$1 url=$2; shift 2
  local out; out=$(wrk -t2 -c64 -d"${duration}s" --latency "$@" "$url")
  local rps p99; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local errors; errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-40s %12s req/s   p99 %-8s %s\n' "$name" "$rps" "$p99" "${errors:+non-2xx: $errors}" >&2
  echo "$rps"
}

# start_ours PORT [env assignments...]: dev mode, database in $work
start_ours() {
  local port=$1; shift
  env "$@" "$FLUXER_BIN" serve --dev --port "$port" --database "$work/db-$port.sqlite" >"${SERVER_STDOUT:-/dev/null}" 2>"$work/server-$port.log" &
  pids+=($!)
  wait_up "$port" "$work/server-$port.log"
}

# start_nginx PORT BODY_FILE [STATUS]: nginx answering GET with BODY_FILE's bytes as application/json and STATUS
# (default 200). The body goes into `return STATUS '…'` (nginx's fastest path, no file I/O) when it has no quote,
# backslash or `$`; otherwise it is served from a file with open_file_cache (another status through error_page).
start_nginx() {
  local port=$1 body=$2 status=${3:-200}
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || return 1
  mkdir -p "$work/nginx-$port"
  # nginx workers run as www-data: they need to traverse the work dir and read the body (databases stay 0600).
  chmod 0755 "$work" "$work/nginx-$port"
  cp "$body" "$work/nginx-$port/body.json"
  chmod 0644 "$work/nginx-$port/body.json"
  local location
  if ! grep -q "['\\\$]" "$body"; then
    location="location / { default_type application/json; return $status '$(cat "$body")'; }"
  elif [ "$status" = 200 ]; then
    location="location / { default_type application/json; open_file_cache max=10; root $work/nginx-$port; try_files /body.json =404; }"
  else
    location="error_page $status /body.json; location / { return $status; }
    location = /body.json { internal; default_type application/json; open_file_cache max=10; root $work/nginx-$port; }"
  fi
  cat >"$work/nginx-$port/nginx.conf" <<CONF
worker_processes auto;
error_log $work/nginx-$port/error.log;
pid $work/nginx-$port/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$port;
    $location
  }
}
CONF
  /usr/sbin/nginx -c "$work/nginx-$port/nginx.conf" -p "$work/nginx-$port" -g 'daemon off;' &
  pids+=($!)
  for _ in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/x")" = "$status" ] && return 0; sleep 0.1; done
  return 1
}

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }

# write_refresh_lua FILE: a wrk script in which connection N follows its own refresh-token chain, starting from
# line N of $REFRESH_FILE and authenticating with $BASIC (client_secret_basic); each 200 hands on the new token.
write_refresh_lua() {
  cat >"$1" <<'LUA'
local counter, token = 0, nil
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args)
  local n = 0
  for line in io.lines(os.getenv("REFRESH_FILE")) do
    if n == id then token = line end
    n = n + 1
  end
end
function request()
  return wrk.format("POST", "/oauth2/token", {["Authorization"] = os.getenv("BASIC"), ["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=refresh_token&refresh_token=" .. token)
end
function response(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then token = t end
end
LUA
}
