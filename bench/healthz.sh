#!/usr/bin/env bash
# Benchmark: wrk on GET /healthz (64 connections), and on an equivalent static JSON response from nginx in the
# same run when nginx is installed. Prints req/s, p99 and our ratio to nginx. Loopback only, bounded in time.
# Usage: bench/healthz.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
duration=${1:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
swift build -c release --product fluxer-auth >/dev/null
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do curl -fs "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server on $1 did not start"; exit 1; }
measure() { # name url -> "name req/s p99"
  local out; out=$(wrk -t2 -c64 -d"${duration}s" --latency "$2")
  local rps p99; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '%-34s %12s req/s   p99 %s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}

start_ours() { # port access_log
  FLUXER_AUTH_LOG_ACCESS=$2 .build/release/fluxer-auth serve --dev --port "$1" --database "$work/db-$1.sqlite" \
    >/dev/null 2>"$work/server-$1.log" &
  pids+=($!)
  wait_up "$1"
}

p1=$(free_port); start_ours "$p1" true
p2=$(free_port); start_ours "$p2" false
echo "GET /healthz, wrk -t2 -c64 -d${duration}s, $(nproc) cores (wrk shares them)" >&2
ours=$(measure "fluxer-auth (access log on)" "http://127.0.0.1:$p1/healthz")
ours_quiet=$(measure "fluxer-auth (access log off)" "http://127.0.0.1:$p2/healthz")

if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  p3=$(free_port)
  cat >"$work/nginx.conf" <<CONF
worker_processes auto;
error_log $work/nginx-error.log;
pid $work/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$p3;
    location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
  /usr/sbin/nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' &
  pids+=($!)
  wait_up "$p3"
  nginx_rps=$(measure "nginx (static JSON, no access log)" "http://127.0.0.1:$p3/healthz")
  python3 -c "import sys; o,q,n=map(float,sys.argv[1:]); print(f'ratio to nginx: {o/n:.2f} (access log on), {q/n:.2f} (off)')" \
    "$ours" "$ours_quiet" "$nginx_rps" >&2
else
  echo "nginx not installed: apt-get install nginx-light for the comparison" >&2
fi
