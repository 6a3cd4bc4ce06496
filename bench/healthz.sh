#!/usr/bin/env bash
# GET /healthz with 64 connections, with the access log on and off, beside nginx serving the same JSON.
# Usage: bench/healthz.sh [seconds per run, default 10]
source "$(dirname "$0")/lib.sh"
duration=${1:-10}
build_release
p1=$(free_port); start_ours "$p1" FLUXER_AUTH_LOG_ACCESS=true
p2=$(free_port); start_ours "$p2" FLUXER_AUTH_LOG_ACCESS=false
echo "GET /healthz, wrk -t2 -c64 -d${duration}s, $(nproc) cores (wrk shares them)" >&2
ours=$(measure "fluxer-auth (access log on)" "http://127.0.0.1:$p1/healthz")
quiet=$(measure "fluxer-auth (access log off)" "http://127.0.0.1:$p2/healthz")
printf '{"status":"ok"}' >"$work/health.json"
p3=$(free_port)
if start_nginx "$p3" "$work/health.json"; then
  nginx_rps=$(measure "nginx (same JSON, no access log)" "http://127.0.0.1:$p3/healthz")
  echo "ratio to nginx: $(ratio "$ours" "$nginx_rps") (access log on), $(ratio "$quiet" "$nginx_rps") (off)" >&2
else
  echo "nginx not installed: apt-get install nginx-light for the comparison" >&2
fi
