#!/usr/bin/env bash
# Instructions per request on the token-check path (GET /users/@me with a cached session token and with a bot
# token, answered on the event loop), counted by valgrind's callgrind: unlike req/s, the count does not move
# with what else the machine runs, so a change's cost shows even on a busy 2-core machine. With BASELINE=binary
# (e.g. a release build of the previous commit) the same counts are taken from it, and the ratio printed.
# Usage: [BASELINE=path/to/fluxer-auth] bench/instructions.sh [requests, default 3000]
source "$(dirname "$0")/lib.sh"
requests=${1:-3000}
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind"; exit 1; }
build_release
# valgrind 3.19 cannot read the toolchain's DWARF 5: count on copies without debug info.
objcopy --strip-debug "$FLUXER_BIN" "$work/current"
[ -n "${BASELINE:-}" ] && objcopy --strip-debug "$BASELINE" "$work/baseline"
bin=$FLUXER_BIN
db="$work/seed.sqlite"
$bin user create --database "$db" --email bench@example.com --username bench --password 'bench password 123' --verified >/dev/null
owner=$($bin user create --database "$db" --email owner@example.com --username owner --password 'owner password 1' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
session=$($bin user token --database "$db" --email bench@example.com | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
bot=$($bin app create --dev --database "$db" --owner "$owner" --name "Bench Bot" | python3 -c 'import sys,json; print(json.load(sys.stdin)["bot_token"])')
cat >"$work/client.py" <<'PY'
import http.client, sys
port, auth, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
ok = 0
for _ in range(n):
    c.request("GET", "/users/@me", headers={"Authorization": auth})
    r = c.getresponse(); r.read()
    ok += r.status == 200
print(ok)
PY

# count BINARY NAME AUTH -> instructions per request (whole process, every thread), after a warm-up
count() {
  local binary=$1 name=$2 auth=$3 port; port=$(free_port)
  cp "$db" "$work/$name.sqlite"
  FLUXER_AUTH_RATELIMIT_ENABLED=false FLUXER_AUTH_SERVER_EVENT_LOOPS=1 valgrind --tool=callgrind \
    --callgrind-out-file="$work/$name.out" "$binary" serve --dev --port "$port" --database "$work/$name.sqlite" >/dev/null 2>"$work/$name.log" &
  local pid=$!
  for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  python3 "$work/client.py" "$port" "$auth" 200 >/dev/null  # caches filled, metric handles made
  callgrind_control -z "$pid" >/dev/null
  local ok; ok=$(python3 "$work/client.py" "$port" "$auth" "$requests")
  callgrind_control -d "$pid" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ "$ok" = "$requests" ] || { echo "$name: only $ok of $requests answered 200" >&2; exit 1; }
  local dump; dump=$(ls "$work/$name.out".* | sort -t. -k3 -n | tail -1)
  echo $(( $(awk '/^totals:/ {print $2}' "$dump") / requests ))
}

echo "instructions per request, GET /users/@me, $requests requests on one keep-alive connection" >&2
for kind in session bot; do
  auth=$session; [ $kind = bot ] && auth="Bot $bot"
  current=$(count "$work/current" "current-$kind" "$auth")
  if [ -n "${BASELINE:-}" ]; then
    baseline=$(count "$work/baseline" "baseline-$kind" "$auth")
    change=$(python3 -c "import sys; print(f'{(float(sys.argv[1]) / float(sys.argv[2]) - 1) * 100:+.1f} %')" "$current" "$baseline")
    printf '%-8s current %7d   baseline %7d   %s\n' "$kind" "$current" "$baseline" "$change" >&2
  else
    printf '%-8s %7d\n' "$kind" "$current" >&2
  fi
done
