#!/usr/bin/env bash
# Runs the README's "Use it as a mock" walk-through, exactly its lines, against a fresh dev server (or, with
# MOCK_BASE_URL=http://host:port, against one already running, e.g. `make run`): every curl -f must succeed.
#   scripts/mock-walkthrough.sh            # starts FLUXER_AUTH_BIN (default .build/debug/fluxer-auth) on a free port
# The README's lines name http://127.0.0.1:8080 and .build/release/fluxer-auth; they are pointed at the server
# and binary this run uses, nothing else is changed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${FLUXER_AUTH_BIN:-$repo/.build/debug/fluxer-auth}
[ -x "$bin" ] || { echo "mock-walkthrough: no binary at $bin (build first)" >&2; exit 1; }
for tool in curl jq python3; do command -v $tool >/dev/null || { echo "mock-walkthrough: $tool is required (make deps)" >&2; exit 1; }; done

block=$(awk '/<!-- mock-walkthrough:begin -->/{on=1; next} /<!-- mock-walkthrough:end -->/{on=0} on' "$repo/README.md" | sed '/^```/d')
[ -n "$block" ] || { echo "mock-walkthrough: the README block is missing" >&2; exit 1; }

work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if [ -n "${MOCK_BASE_URL:-}" ]; then
  base=$MOCK_BASE_URL
  cd "$repo"
else
  # A fresh directory laid out like the repository (config/seed.dev.json, ./data), as `make run` sees it.
  mkdir -p "$work/config" "$work/scripts"
  cp "$repo/config/seed.dev.json" "$work/config/"
  cp "$repo/scripts/totp.py" "$work/scripts/"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base=http://127.0.0.1:$port
  cd "$work"
  FLUXER_AUTH_SSO_APP_URL= "$bin" serve --dev --port "$port" > "$work/stdout" 2> "$work/stderr" &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -sf "$base/healthz" > /dev/null 2>&1 && grep -q "Try" "$work/stdout" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
    sleep 0.1
  done
  # The start table's own curl lines must work as printed.
  grep -E '^    curl ' "$work/stdout" | sed "s#http://127.0.0.1:$port#$base#g" > "$work/table.sh"
  [ "$(wc -l < "$work/table.sh")" -ge 2 ] || { echo "mock-walkthrough: the start table has no curl lines" >&2; cat "$work/stdout" >&2; exit 1; }
  while read -r line; do
    echo "+ (start table) $line"
    bash -c "${line/curl -s /curl -sf }" > /dev/null || { echo "mock-walkthrough: start-table line failed: $line" >&2; exit 1; }
  done < "$work/table.sh"
fi

script="$work/walkthrough.sh"
{
  echo 'set -euo pipefail'
  echo "$block" | sed -e "s#http://127.0.0.1:8080#$base#g" -e "s#\.build/release/fluxer-auth#$bin#g"
} > "$script"
cd "${MOCK_BASE_URL:+$repo}${MOCK_BASE_URL:-$work}"
bash -x "$script" > "$work/walk.out" 2> "$work/walk.err" || {
  echo "mock-walkthrough: a README line failed:" >&2; tail -25 "$work/walk.err" >&2; tail -5 "$work/walk.out" >&2
  [ -f "$work/stderr" ] && tail -5 "$work/stderr" >&2
  exit 1
}
[ -n "${VERBOSE:-}" ] && cat "$work/walk.out"
echo "mock-walkthrough: $(grep -cE '^\++ curl' "$work/walk.err" || true) curl commands of the README ran against $base, all succeeded"
