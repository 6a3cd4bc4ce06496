#!/usr/bin/env bash
# Issue 17's figures from one run, as a Markdown table (the README's performance section):
#   1–4  GET /api/v1/users/@me with a session, bot, OAuth2 Bearer and forged bot token (wrk -t1 -c64), each
#        beside nginx answering the same bytes in the same run: ratio ≥ 0.9. Rate limiter ON, limits raised.
#   5    GET /healthz beside nginx (informational).
#   6    refresh-token rotations/s on SQLite, 16 connections each following its own one-use chain; p99 of the 2xx.
#   7    authorization-code exchanges/s on SQLite, 16 connections, codes minted beforehand; p99 of the 2xx.
#   8    token-check p99 (session token, wrk -t1 -c8, 1 ms think time per connection) while a login flood
#        (16 connections, correct password) keeps argon2id busy; logins/s against `hash-benchmark`'s ceiling.
#   9    idle RSS after start; RSS added by 10,000 idle keep-alive connections.
# Human lines go to stderr as the run goes; the table to stdout and to $OUT.
#
# Usage: bench/report.sh [seconds per run, default 10]
#   BIN=/path/to/fluxer-auth   measure that build (e.g. an older commit's) instead of building release here
#   ONLY=1-5,9                 run a subset of the rows above (the table shows only those)
#   OUT=file.md                the table's file (default bench/results/report-<UTC date-time>.md, git-ignored)
#   ROUNDS=3                   rows 1–5: pairs of runs (ours, then nginx) per row; the median ratio and its range
#   CONNECTIONS=10000          idle connections for row 9
# A full run takes about 8–9 minutes at 10 s per run and ROUNDS=3 (38 runs of that length, code minting up to
# 4 × the run length + 20 s, set-up and row 9's ~15 s), not counting the release build; every wrk and client run
# is bounded by `timeout`. Loopback only; every process started here is stopped
# on exit. Needs wrk and python3; without nginx the ratio rows say so and have no verdict.
source "$(dirname "$0")/lib.sh"
trap 'exit 130' INT TERM  # the EXIT trap (lib.sh's cleanup) then stops what was started
duration=${1:-10}
rounds=${ROUNDS:-3}  # rows 1–5: alternating pairs of runs (ours, nginx); the median ratio is reported
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer" >&2; exit 2; }
[[ $duration =~ ^[0-9]+$ ]] && [ "$duration" -ge 1 ] && [ "$duration" -le 600 ] || { echo "run length must be 1–600 seconds" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
have_nginx=true
[ -x /usr/sbin/nginx ] || { have_nginx=false; echo "nginx is missing (apt-get install nginx-light): ratio rows will have no verdict" >&2; }
connections=${CONNECTIONS:-10000}
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
out_file=${OUT:-bench/results/report-$(date -u +%Y%m%dT%H%M%SZ).md}
mkdir -p "$(dirname "$out_file")"
say() { echo "$*" >&2; }

# --- rows to run ------------------------------------------------------------------------------------------------
selected=" "
if [ -n "${ONLY:-}" ]; then
  IFS=, read -ra parts <<<"$ONLY"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^([1-9])-([1-9])$ ]]; then
      for ((i = BASH_REMATCH[1]; i <= BASH_REMATCH[2]; i++)); do selected+="$i "; done
    elif [[ $part =~ ^[1-9]$ ]]; then selected+="$part "
    else echo "ONLY: '$part' is not a row (1–9) or a range of rows such as 1-5" >&2; exit 2; fi
  done
else
  selected=" 1 2 3 4 5 6 7 8 9 "
fi
server_died=""
# want ROW…: whether any of these rows runs (rows 1–8 stop once their server has exited)
want() {
  for r in "$@"; do
    [ -n "$server_died" ] && [ "$r" -le 8 ] && continue
    [[ $selected == *" $r "* ]] && return 0
  done
  return 1
}

# --- file descriptors: the servers and the client of row 9 inherit this -------------------------------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
if [ "$nofile" != unlimited ] && [ "$connections" -gt $((nofile - 200)) ]; then
  say "open-file limit $nofile: row 9 opens $((nofile - 200)) connections instead of $connections"
  connections=$((nofile - 200))
fi

# --- helpers ------------------------------------------------------------------------------------------------
# fmt NUMBER [DECIMALS]: with thousands separators (anything not a number is printed as it is)
fmt() { python3 -c '
import sys
try: print(f"{float(sys.argv[1]):,.{int(sys.argv[2])}f}")
except ValueError: print(sys.argv[1] or "?")' "${1:-}" "${2:-0}"; }
ge() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
# div A B [DECIMALS]: A / B (0 when B is 0 or either is not a number)
div() { python3 -c '
import sys
try: print(f"{float(sys.argv[1]) / float(sys.argv[2]):.{int(sys.argv[3])}f}")
except (ValueError, ZeroDivisionError): print("0")' "${1:-}" "${2:-}" "${3:-2}"; }
verdict_ge() { if ge "$1" "$2"; then echo met; else echo "**not met**"; fi; }
verdict_le() { if ge "$2" "$1"; then echo met; else echo "**not met**"; fi; }
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 |"); }
notes=()
note() { notes+=("$*"); }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mb() { python3 -c 'import sys; print(f"{int(sys.argv[1]) / 1024:.1f}")' "$1"; }
# stop_pid PID: stops one process this script started
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

cat >"$work/wrkparse.py" <<'PY'
# wrk's output on stdin -> shell assignments R_*: 2xx count and rate, non-2xx, seconds, p50/p99 in ms, socket
# errors, and the FX line a script's done() prints (2xx-only latencies and statuses).
import re, shlex, sys
text = sys.stdin.read()
def ms(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", v)
    return float(m[1]) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4, "h": 3.6e6}[m[2]] if m else 0.0
def secs(v):
    return ms(v) / 1000
r = {"R_TOTAL": 0, "R_SECS": 0.0, "R_NON2XX": 0, "R_P50": 0.0, "R_P99": 0.0, "R_ERRORS": "", "R_FAIL": ""}
m = re.search(r"(\d+) requests in ([\d.]+\w+),", text)
if m:
    r["R_TOTAL"], r["R_SECS"] = int(m[1]), secs(m[2])
else:
    r["R_FAIL"] = "wrk printed no summary: " + " ".join(text.strip().splitlines()[-2:])[:200]
m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if m: r["R_NON2XX"] = int(m[1])
m = re.search(r"^\s+50%\s+(\S+)", text, re.M)
if m: r["R_P50"] = ms(m[1])
m = re.search(r"^\s+99%\s+(\S+)", text, re.M)
if m: r["R_P99"] = ms(m[1])
m = re.search(r"Socket errors: (.*)", text)
if m: r["R_ERRORS"] = m[1].strip()
r["R_OK"] = r["R_TOTAL"] - r["R_NON2XX"]
r["R_RPS"] = r["R_OK"] / r["R_SECS"] if r["R_SECS"] else 0.0
fx = {"ok": "", "p50_ms": "", "p99_ms": "", "span_s": "", "ranout": "0", "statuses": ""}
m = re.search(r"^FX (.*)$", text, re.M)
if m:
    for item in m[1].split():
        k, _, v = item.partition("=")
        fx[k] = v
for k, v in fx.items(): r["R_FX_" + k.upper()] = v
for k, v in r.items(): print(f"{k}={shlex.quote(str(v))}")
PY

# wrk_run LABEL [wrk args…]: one wrk run (bounded by timeout), a line on stderr, R_* set (see wrkparse.py)
wrk_run() {
  local label=$1; shift
  local out
  out=$(timeout -k 5 $((duration + 90)) wrk --latency "$@" 2>&1) || true
  eval "$(python3 "$work/wrkparse.py" <<<"$out")"
  if [ -n "${watch_pid:-}" ] && ! kill -0 "$watch_pid" 2>/dev/null; then
    local status=0; wait "$watch_pid" 2>/dev/null || status=$?
    R_FAIL="the server exited during this run (status $status$( [ "$status" -gt 128 ] && echo ", signal $((status - 128))"))"
    server_died=$label
  fi
  if [ -n "$R_FAIL" ]; then say "  $label: $R_FAIL"; return 0; fi
  printf '  %-46s %9s req/s, 2xx %9s/s  p99 %7s ms  non-2xx %s%s\n' "$label" "$(fmt "$(div "$R_TOTAL" "$R_SECS" 1)")" "$(fmt "$R_RPS")" \
    "$(fmt "$R_P99" 2)" "$R_NON2XX" "${R_ERRORS:+  socket errors: $R_ERRORS}" >&2
}

# wrk footer (appended to a request script): per request, the time from request() to response() on a clock of
# its own, kept for 2xx answers only; done() prints `FX ok= p50_ms= p99_ms= span_s= ranout= statuses=`. Each
# thread must hold one connection (-tN -cN) so that request() and response() pair up.
cat >"$work/footer.lua" <<'LUA'
local fx_ffi = require("ffi")
fx_ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } fx_timespec; int clock_gettime(int clk, fx_timespec *tp); ]]
local fx_ts = fx_ffi.new("fx_timespec")
local function fx_now() fx_ffi.C.clock_gettime(1, fx_ts); return tonumber(fx_ts.tv_sec) * 1e6 + tonumber(fx_ts.tv_nsec) / 1e3 end
local fx_threads = {}
local fx_setup, fx_request, fx_response = setup, request, response
fx_lat, fx_counts, fx_first, fx_last_ok, fx_ranout = {}, {}, 0, 0, 0
local fx_t0 = 0
function setup(thread) table.insert(fx_threads, thread); if fx_setup then fx_setup(thread) end end
function request()
  fx_t0 = fx_now()
  if fx_first == 0 then fx_first = fx_t0 end
  return fx_request()
end
function response(status, headers, body)
  local t = fx_now()
  local k = tostring(status)
  fx_counts[k] = (fx_counts[k] or 0) + 1
  if status >= 200 and status < 300 then fx_lat[#fx_lat + 1] = t - fx_t0; fx_last_ok = t end
  if fx_response then fx_response(status, headers, body) end
end
function done(summary, latency, requests)
  local all, counts, first, last, ranout = {}, {}, math.huge, 0, 0
  for _, t in ipairs(fx_threads) do
    for _, v in ipairs(t:get("fx_lat")) do all[#all + 1] = v end
    for k, v in pairs(t:get("fx_counts")) do counts[k] = (counts[k] or 0) + v end
    local f, l = t:get("fx_first"), t:get("fx_last_ok")
    if f > 0 and f < first then first = f end
    if l > last then last = l end
    ranout = ranout + t:get("fx_ranout")
  end
  table.sort(all)
  local function pct(p) if #all == 0 then return 0 end return all[math.max(1, math.ceil(#all * p))] / 1000 end
  local s = {}
  for k, v in pairs(counts) do s[#s + 1] = k .. ":" .. v end
  local span = (last > 0 and first < math.huge) and (last - first) / 1e6 or 0
  io.write(string.format("FX ok=%d p50_ms=%.3f p99_ms=%.3f span_s=%.3f ranout=%d statuses=%s\n",
    #all, pct(0.50), pct(0.99), span, ranout, table.concat(s, ",")))
end
LUA

# metrics_statuses BEFORE AFTER METHOD ROUTE: `status:count …` answered between two /metrics scrapes (empty
# when the build has no such metric)
metrics_statuses() {
  python3 - "$@" <<'PY'
import re, sys
def load(path):
    found = {}
    try: lines = open(path).read().splitlines()
    except OSError: return found
    for line in lines:
        m = re.match(r'fluxer_http_requests_total\{([^}]*)\} (\d+)', line)
        if not m: continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m[1]))
        if labels.get("method") == sys.argv[3] and labels.get("route") == sys.argv[4]:
            found[labels.get("status", "?")] = int(m[2])
    return found
a, b = load(sys.argv[1]), load(sys.argv[2])
print(" ".join(f"{k}:{b[k] - a.get(k, 0)}" for k in sorted(b) if b[k] - a.get(k, 0)))
PY
}
scrape() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics" >"$2" 2>/dev/null || : >"$2"; }

# start_fluxer PORT DB [env…]: the server in production mode (secret key from the environment, no dev seed),
# its pid in $server_pid
start_fluxer() {
  local port=$1 db=$2; shift 2
  env "$@" "$FLUXER_BIN" serve --host 127.0.0.1 --port "$port" --database "$db" >"$work/server-$port.out" 2>"$work/server-$port.log" &
  server_pid=$!
  pids+=("$server_pid")
  wait_up "$port" "$work/server-$port.log"
}

# --- build, machine ---------------------------------------------------------------------------------------------
if [ -z "${BIN:-}" ]; then say "building release (make build) …"; fi
build_release
bin=$FLUXER_BIN
if [ -n "${BIN:-}" ]; then build_desc="\`$BIN\` (given as BIN)"; else build_desc="release build of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' with uncommitted changes')"; fi
build_desc+=", $("$bin" --version 2>/dev/null | head -1), sha256 $(sha256sum "$bin" | cut -c1-12)"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
wrk_version=$( (wrk --version 2>&1 || true) | awk 'NR == 1 { print $2 }')
nginx_version=$($have_nginx && /usr/sbin/nginx -v 2>&1 | sed 's#.*nginx/##' || echo "not installed")
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say "$(nproc) cores ($cpu), ${duration}s per run, rows:${selected% }; load average $load_start; table → $out_file"

# A production-mode secret key for this run (bot tokens are keyed by it; admin commands and servers share it).
FLUXER_AUTH_SECRET_KEY=$(python3 -c 'import os, base64; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')
export FLUXER_AUTH_SECRET_KEY
# The limiter stays on; its limits are raised so that one load generator (one address, one user) is not refused.
limits_env=(FLUXER_AUTH_RATELIMIT_ENABLED=true FLUXER_AUTH_RATELIMIT_GLOBAL=1000000/1s
  FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL_IP=1000000/1s FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL=1000000/1s FLUXER_AUTH_RATELIMIT_LOGIN_IP=1000000/1s
  FLUXER_AUTH_RATELIMIT_BUCKETS=auth:login=1000000/1s,oauth:token=1000000/1s,oauth:authorize=1000000/1s)

# --- server A (rows 1–8): one user, one application (OAuth2 client + bot) ------------------------------------
email=bench@example.com
password='bench password 123'
if want 1 2 3 4 5 6 7 8; then
  db="$work/bench.sqlite"
  owner=$("$bin" user create --database "$db" --email "$email" --username bench --password "$password" --verified | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
  session=$("$bin" user token --database "$db" --email "$email" | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
  read -r client secret bot < <("$bin" app create --database "$db" --owner "$owner" --name "Bench App" --redirect-uri https://client.example/cb \
    | python3 -c 'import sys, json; d = json.load(sys.stdin); print(d["client_id"], d["client_secret"], d["bot_token"])')
  forged="${bot%?????}AAAAA"
  basic="Basic $(printf '%s:%s' "$client" "$secret" | base64 -w0)"
  port=$(free_port)
  start_fluxer "$port" "$db" "${limits_env[@]}"
  pid_a=$server_pid
  watch_pid=$pid_a watch_log="$work/server-$port.log"
  base="http://127.0.0.1:$port"
  cat >"$work/consent.json" <<JSON
{"response_type":"code","client_id":"$client","redirect_uri":"https://client.example/cb","scope":"identify email"}
JSON
fi

# mint_codes N FILE: N authorization codes through the API (one consent per code), written one per line
mint_codes() {
  python3 - "$port" "$session" "$client" "$secret" "$1" "$2" "$work/consent.json" <<'PY'
import http.client, json, sys, urllib.parse
port, session, n, path = int(sys.argv[1]), sys.argv[2], int(sys.argv[5]), sys.argv[6]
body = open(sys.argv[7]).read()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
codes = []
for _ in range(n):
    c.request("POST", "/api/v1/oauth2/authorize/consent", body, {"Authorization": session, "Content-Type": "application/json"})
    r = json.loads(c.getresponse().read())
    codes.append(urllib.parse.parse_qs(urllib.parse.urlparse(r["redirect_to"]).query)["code"][0])
open(path, "w").write("\n".join(codes) + "\n")
PY
}

# exchange_codes CODES_FILE: exchanges each code; prints the token responses' JSON, one a line
exchange_codes() {
  python3 - "$port" "$basic" "$1" <<'PY'
import http.client, json, sys
port, basic = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for code in open(sys.argv[3]).read().split():
    c.request("POST", "/api/v1/oauth2/token", f"grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fclient.example%2Fcb",
              {"Authorization": basic, "Content-Type": "application/x-www-form-urlencoded"})
    print(json.dumps(json.loads(c.getresponse().read())))
PY
}

if want 3 6; then
  say "minting 17 codes for the Bearer row and 16 refresh chains …"
  mint_codes 17 "$work/first-codes.txt"
  exchange_codes "$work/first-codes.txt" >"$work/first-tokens.jsonl"
  access=$(head -1 "$work/first-tokens.jsonl" | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
  tail -n +2 "$work/first-tokens.jsonl" | python3 -c 'import sys, json; [print(json.loads(l)["refresh_token"]) for l in sys.stdin]' >"$work/refresh.txt"
fi

# --- rows 1–5: token checks and /healthz beside nginx -------------------------------------------------------
# median VALUES... -> their median
median() { python3 -c 'import sys, statistics; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }

# ratio_row N LABEL PATH METRICS_ROUTE STATUS [AUTH]: ours then nginx (same bytes, same status), wrk -t1 -c64
ratio_row() {
  local n=$1 label=$2 path=$3 route=$4 status=$5 auth=${6:-}
  local header=(); [ -n "$auth" ] && header=(-H "Authorization: $auth")
  local got; got=$(curl -s -o "$work/body-$n.json" -w '%{http_code}' "${header[@]}" "$base$path")
  local target="≥ 0.9× nginx"; [ "$n" = 5 ] && target="informational"
  local counted="2xx"; [ "$status" != 200 ] && counted="all $status, the expected answer, counted as throughput"
  if [ "$got" != "$status" ]; then
    say "  $label: answered $got, expected $status — row skipped"
    row "$n" "$label" "$target" "answered $got instead of $status: not measured" "**failed**"; return 0
  fi
  local np="" nginx_pid=""
  if $have_nginx; then
    np=$(free_port)
    if start_nginx "$np" "$work/body-$n.json" "$status"; then nginx_pid=${pids[-1]}; else np=""; fi
  fi
  # ROUNDS alternating pairs (ours, then nginx): the ratio reported is the median of the rounds' ratios, with their
  # range, because a single pair on a shared 2-core machine moves by ±15 %.
  local round ours_all=() theirs_all=() ratios=()
  for round in $(seq "$rounds"); do
    scrape "$port" "$work/m0"
    wrk_run "$label" -t1 -c64 -d"${duration}s" "${header[@]}" "$base$path"
    scrape "$port" "$work/m1"
    local statuses; statuses=$(metrics_statuses "$work/m0" "$work/m1" GET "$route")
    [ -n "$statuses" ] && say "    statuses answered (server metrics): $statuses"
    if [ -n "$R_FAIL" ]; then
      [ -n "$nginx_pid" ] && stop_pid "$nginx_pid"
      row "$n" "$label" "$target" "not measured: $R_FAIL" "**failed**"; return 0
    fi
    local ours=$R_RPS
    if [ "$status" != 200 ]; then
      # every non-2xx answer wrk saw counts, times the expected status's share of the server's answers (when its
      # metrics say: a 429 or 5xx must not pass for a 401)
      ours=$(div "$R_NON2XX" "$R_SECS" 1)
      if [ -n "$statuses" ]; then
        ours=$(python3 -c 'import sys; c = dict(x.split(":") for x in sys.argv[2].split()); share = int(c.get(sys.argv[3], 0)) / max(1, sum(map(int, c.values()))); print(f"{float(sys.argv[1]) * share:.1f}")' \
          "$ours" "$statuses" "$status")
      fi
    fi
    ours_all+=("$ours")
    [ -n "$np" ] || continue
    wrk_run "nginx, same bytes" -t1 -c64 -d"${duration}s" "http://127.0.0.1:$np$path"
    local theirs=$R_RPS; [ "$status" != 200 ] && theirs=$(div "$R_NON2XX" "$R_SECS" 1)
    theirs_all+=("$theirs")
    ratios+=("$(div "$ours" "$theirs")")
    say "    ratio to nginx: ${ratios[-1]}"
  done
  [ -n "$nginx_pid" ] && stop_pid "$nginx_pid"
  local ours_m; ours_m=$(median "${ours_all[@]}")
  local measured="$(fmt "$ours_m") req/s ($counted)"
  if ! $have_nginx; then row "$n" "$label" "$target" "$measured; nginx not installed: no ratio" "—"; return 0; fi
  if [ -z "$np" ]; then row "$n" "$label" "$target" "$measured; nginx did not start: no ratio" "—"; return 0; fi
  local theirs_m; theirs_m=$(median "${theirs_all[@]}")
  local r; r=$(printf '%.2f' "$(median "${ratios[@]}")")
  local range=""
  if [ "$rounds" -gt 1 ]; then
    range=$(python3 -c 'import sys; v = sorted(map(float, sys.argv[1:])); print(f" (median of {len(v)} rounds; {v[0]:.2f}–{v[-1]:.2f})")' "${ratios[@]}")
  fi
  local verdict="—"; [ "$n" != 5 ] && verdict=$(verdict_ge "$r" 0.9)
  row "$n" "$label" "$target" "$measured; nginx $(fmt "$theirs_m") → **${r}×**$range" "$verdict"
}

if want 1 2 3 4 5; then say "token checks beside nginx (wrk -t1 -c64, ${duration}s each):"; fi
want 1 && ratio_row 1 "\`GET /api/v1/users/@me\`, session token" /api/v1/users/@me /users/@me 200 "$session"
want 2 && ratio_row 2 "\`GET /api/v1/users/@me\`, bot token" /api/v1/users/@me /users/@me 200 "Bot $bot"
want 3 && ratio_row 3 "\`GET /api/v1/users/@me\`, OAuth2 Bearer token" /api/v1/users/@me /users/@me 200 "Bearer $access"
want 4 && ratio_row 4 "\`GET /api/v1/users/@me\`, forged bot token (HMAC fails: 401)" /api/v1/users/@me /users/@me 401 "Bot $forged"
want 5 && ratio_row 5 "\`GET /healthz\`" /healthz /healthz 200
if want 1 2 3 4; then
  note "Rows 1–4: rate limiter **on** (default keying), global limit raised from 50/1 s to 1,000,000/1 s per key so that one load generator is not refused. nginx: \`return <status> '<body>'\` with the bytes our server answered, access log off, \`worker_processes auto\`; per row, $rounds pairs of runs (ours, then nginx, back to back), the median of their ratios and its range."
fi

# --- row 7: code exchanges; row 6: refresh rotations (16 connections, wrk -t16 -c16) --------------------------
if want 7; then
  # Minting goes through the API (one consent each, about as costly as an exchange), with wrk: enough codes for
  # max(5,500/s, 1.25 × the minting rate) over the run, so that running out can only mean the target was met.
  floor=${CODES_PER_SECOND:-5500}
  cat >"$work/mint.lua" <<LUA
local threads = {}
function setup(thread) table.insert(threads, thread) end
codes = {}
function request()
  return wrk.format("POST", "/api/v1/oauth2/authorize/consent", {["Authorization"] = "$session", ["Content-Type"] = "application/json"},
    [[$(cat "$work/consent.json")]])
end
function response(status, headers, body)
  local c = body:match("[?&]code=([^&\"]+)")
  if c then codes[#codes + 1] = c end
end
function done(summary, latency, requests)
  local f = io.open(os.getenv("MINT_OUT"), "a")
  for _, t in ipairs(threads) do for _, c in ipairs(t:get("codes")) do f:write(c, "\n") end end
  f:close()
end
LUA
  : >"$work/codes.txt"
  chunk=$(( duration < 4 ? 2 : duration / 2 ))
  cap=$(( 4 * duration + 20 ))
  need=$(( duration * floor ))
  t0=$SECONDS
  while :; do
    MINT_OUT="$work/codes.txt" timeout -k 5 $((chunk + 30)) wrk -t2 -c16 -d"${chunk}s" -s "$work/mint.lua" "$base/api/v1/oauth2/authorize/consent" >/dev/null 2>&1 || true
    have=$(wc -l <"$work/codes.txt")
    elapsed=$(( SECONDS - t0 ))
    rate=$(( have / (elapsed > 0 ? elapsed : 1) ))
    want_codes=$(( duration * (rate * 5 / 4 > floor ? rate * 5 / 4 : floor) ))
    [ "$want_codes" -gt "$need" ] && need=$want_codes
    say "  minted $have codes in ${elapsed}s (~$rate/s through the API); want $need"
    [ "$have" -ge "$need" ] && break
    [ "$elapsed" -ge "$cap" ] && { say "  minting stopped at the ${cap}s cap"; break; }
  done
  cat >"$work/exchange.lua" <<LUA
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
local codes, i = {}, 0
function init(args)
  local n = 0
  for line in io.lines("$work/codes.txt") do
    if n % 16 == id then codes[#codes + 1] = line end
    n = n + 1
  end
end
function request()
  i = i + 1
  local code = codes[i]
  if not code then fx_ranout = 1; code = "exhausted" end
  return wrk.format("POST", "/api/v1/oauth2/token", {["Authorization"] = "$basic", ["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=authorization_code&code=" .. code .. "&redirect_uri=https%3A%2F%2Fclient.example%2Fcb")
end
LUA
  cat "$work/footer.lua" >>"$work/exchange.lua"
  say "code exchanges (wrk -t16 -c16, ${duration}s; $have codes):"
  wrk_run "POST /oauth2/token authorization_code" -t16 -c16 -d"${duration}s" -s "$work/exchange.lua" "$base/api/v1/oauth2/token"
  say "    2xx: $R_FX_OK, p99 of the 2xx $R_FX_P99_MS ms; statuses $R_FX_STATUSES; connections that ran out of codes: $R_FX_RANOUT"
  if [ "$have" -eq 0 ]; then
    row 7a "Code exchanges/s, SQLite, 16 connections" "≥ 5,000/s" "no code could be minted (\`POST /api/v1/oauth2/authorize/consent\`)" "**failed**"
  elif [ -n "$R_FAIL" ]; then
    row 7a "Code exchanges/s, SQLite, 16 connections" "≥ 5,000/s" "not measured: $R_FAIL" "**failed**"
  else
    if [ "$have" -eq 0 ]; then R_FX_OK=0; fi
    ex_rate=$(div "$R_FX_OK" "$R_SECS" 1)
    ex_note="2xx only; $(fmt "$R_FX_OK") exchanges"
    if [ "$R_FX_RANOUT" != 0 ]; then
      # codes ran out: the rate over the span from the first request to the last 2xx, which the bound allows
      ex_rate=$(div "$R_FX_OK" "$R_FX_SPAN_S" 1)
      ex_note="2xx only; all $R_FX_OK minted codes used up after ${R_FX_SPAN_S}s — rate over that span; the non-2xx after it not counted"
    fi
    row 7a "Code exchanges/s, SQLite, 16 connections" "≥ 5,000/s" "$(fmt "$ex_rate")/s ($ex_note)" "$(verdict_ge "$ex_rate" 5000)"
    row 7b "Code exchange p99 (2xx only)" "≤ 15 ms" "$(fmt "$R_FX_P99_MS" 1) ms (p50 $(fmt "$R_FX_P50_MS" 1) ms)" "$(verdict_le "$R_FX_P99_MS" 15)"
  fi
fi
if want 6; then
  write_refresh_lua "$work/refresh.lua"
  cat "$work/footer.lua" >>"$work/refresh.lua"
  say "refresh rotations (wrk -t16 -c16, ${duration}s; each connection its own chain):"
  REFRESH_FILE="$work/refresh.txt" BASIC="$basic" wrk_run "POST /oauth2/token refresh_token" -t16 -c16 -d"${duration}s" -s "$work/refresh.lua" "$base/api/v1/oauth2/token"
  say "    2xx: $R_FX_OK, p99 of the 2xx $R_FX_P99_MS ms; statuses $R_FX_STATUSES"
  if [ -n "$R_FAIL" ]; then
    row 6a "Refresh rotations/s, SQLite, 16 chains" "≥ 5,000/s" "not measured: $R_FAIL" "**failed**"
  else
    rf_rate=$(div "$R_FX_OK" "$R_SECS" 1)
    rf_note="2xx only"
    [ "$R_NON2XX" != 0 ] && rf_note+="; $R_NON2XX non-2xx (a broken chain): statuses $R_FX_STATUSES"
    row 6a "Refresh rotations/s, SQLite, 16 chains" "≥ 5,000/s" "$(fmt "$rf_rate")/s ($rf_note)" "$(verdict_ge "$rf_rate" 5000)"
    row 6b "Refresh rotation p99 (2xx only)" "≤ 15 ms" "$(fmt "$R_FX_P99_MS" 1) ms (p50 $(fmt "$R_FX_P50_MS" 1) ms)" "$(verdict_le "$R_FX_P99_MS" 15)"
  fi
fi
if want 6 7; then
  note "Rows 6–7: database on disk (SQLite, WAL; each write answered only after the \`fdatasync\` of the log that holds it); rate limiter on with the global, \`oauth:token\` and \`oauth:authorize\` limits raised to 1,000,000/1 s; client authentication \`client_secret_basic\`; wrk -t16 -c16 (one connection per thread, so each can follow its own chain); latency per request is timed in the wrk script and only 2xx answers count. Codes are minted through the API (\`POST /oauth2/authorize/consent\`) before the run."
fi

# --- row 8: token checks during a login flood ---------------------------------------------------------------
if want 8; then
  say "argon2id ceiling (hash-benchmark, default parameters) …"
  # The ceiling is a property of the machine: measured by this checkout's hash-benchmark (every hash thread at
  # once) when it is built, so that a BIN= build from before that change is held to the same ceiling.
  ceiling_bin=$bin
  [ -x .build/release/fluxer-auth ] && ceiling_bin=.build/release/fluxer-auth
  hb=$("$ceiling_bin" hash-benchmark --count 10)
  read -r ceiling per_hash hash_threads argon_ops argon_kib <<<"$(python3 -c 'import sys, json; d = json.loads(sys.argv[1]); print(d["logins_per_second_ceiling"], d.get("ms_per_hash_all_threads", d["ms_per_hash"]), d["hash_threads"], d["ops_limit"], d["memory_kib"])' "$hb")"
  say "  $hb"
  cat >"$work/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"email":"$email","password":"$password"}'
wrk.headers["Content-Type"] = "application/json"
LUA
  printf 'function delay() return 1 end\n' >"$work/think.lua"
  flood_secs=$((duration + 4))
  say "login flood (wrk -t1 -c16, ${flood_secs}s) with token checks (wrk -t1 -c8, 1 ms think time) from its 2nd second:"
  timeout -k 5 $((flood_secs + 60)) wrk --latency -t1 -c16 --timeout 30s -d"${flood_secs}s" -s "$work/login.lua" "$base/api/v1/auth/login" >"$work/flood.out" 2>&1 &
  flood_pid=$!
  pids+=("$flood_pid")
  sleep 2
  wrk_run "GET /users/@me during the flood" -t1 -c8 -d"${duration}s" -s "$work/think.lua" -H "Authorization: $session" "$base/api/v1/users/@me"
  check_p99=$R_P99 check_rps=$R_RPS check_non2xx=$R_NON2XX check_fail=$R_FAIL
  wait "$flood_pid" || true
  eval "$(python3 "$work/wrkparse.py" <"$work/flood.out")"
  say "  logins: $(fmt "$R_RPS" 1)/s (2xx; $R_NON2XX non-2xx; p99 $(fmt "$R_P99") ms); ceiling $ceiling/s"
  if [ -n "$check_fail" ]; then
    row 8a "Token-check p99 during a login flood" "≤ 10 ms" "not measured: $check_fail" "**failed**"
  else
    extra=""; [ "$check_non2xx" != 0 ] && extra="; $check_non2xx non-2xx"
    row 8a "Token-check p99 during a login flood" "≤ 10 ms" "$(fmt "$check_p99" 1) ms ($(fmt "$check_rps") checks/s$extra)" "$(verdict_le "$check_p99" 10)"
  fi
  if [ -n "$R_FAIL" ]; then
    row 8b "Logins/s during that flood vs argon2id ceiling" "≥ 0.9× ceiling" "not measured: $R_FAIL" "**failed**"
  else
    lr=$(div "$R_RPS" "$ceiling")
    extra=""; [ "$R_NON2XX" != 0 ] && extra="; $R_NON2XX non-2xx not counted"
    row 8b "Logins/s during that flood vs argon2id ceiling" "≥ 0.9× ceiling" "$(fmt "$R_RPS" 1)/s (2xx$extra) vs $ceiling/s ($hash_threads threads at once, $per_hash ms per hash each) → **${lr}×**" "$(verdict_ge "$lr" 0.9)"
  fi
  note "Row 8: argon2id with the default (production) parameters, t=$argon_ops, $((argon_kib / 1024)) MiB, $hash_threads hash threads; the ceiling is \`fluxer-auth hash-benchmark --count 10\` run just before the flood: every hash thread hashing at once (argon2id is memory-hard: threads that share caches and memory bandwidth each hash more slowly than one alone), logins/s = threads × hashes ÷ wall time. Login flood: \`POST /api/v1/auth/login\` with the correct password, wrk -t1 -c16 --timeout 30s, login limits raised to 1,000,000/1 s (limiter on). Token checks: session token, wrk -t1 -c8 with \`delay()\` = 1 ms between a connection's requests, started 2 s into the flood and ending before it; both wrk processes share the 2 cores with the server."
fi
if [ -n "${pid_a:-}" ] && [ -z "$server_died" ]; then
  rss_after=$(rss_kb "$pid_a")
  stop_pid "$pid_a"
  note "Server of rows 1–8: RSS $(mb "$rss_after") MB when stopped (after all its load)."
fi
unset watch_pid
if [ -n "$server_died" ]; then
  note "**The server of rows 1–8 exited during “$server_died”**; the rows after it did not run. Its log's last lines other than access lines: \`$(grep -v 'msg=request ' "$watch_log" | tail -3 | tr '\n' ' ' | tr '\`' "'" | cut -c1-500)\`"
fi

# --- row 9: memory ---------------------------------------------------------------------------------------------
if want 9; then
  say "memory: idle RSS after start, then $connections idle keep-alive connections:"
  p=$(free_port)
  start_fluxer "$p" "$work/idle.sqlite"
  sleep 2
  idle=$(rss_kb "$server_pid")
  stop_pid "$server_pid"
  say "  idle RSS 2 s after start (default configuration): $(mb "$idle") MB"
  row 9a "Idle RSS after start" "≤ 20 MB" "$(mb "$idle") MB (VmRSS 2 s after start, default configuration)" "$(verdict_le "$(mb "$idle")" 20)"
  p=$(free_port)
  start_fluxer "$p" "$work/conns.sqlite" FLUXER_AUTH_SERVER_MAX_CONNECTIONS=$((connections + 1000)) \
    FLUXER_AUTH_SERVER_MAX_CONNECTIONS_PER_IP=0 FLUXER_AUTH_SERVER_KEEPALIVE_TIMEOUT_MS=600000
  sleep 2
  before=$(rss_kb "$server_pid")
  # the client: commands through a fifo on its stdin, answers in a file
  mkfifo "$work/hold.in"
  trap '' PIPE  # should the client die, a write to its fifo fails instead of ending this script
  timeout -k 5 $((duration + 240)) python3 bench/hold_connections.py "$p" "$connections" 8 120 <"$work/hold.in" >"$work/hold.out" 2>"$work/hold.err" &
  hold_pid=$!
  pids+=("$hold_pid")
  exec 7>"$work/hold.in"
  # await LINE_PREFIX SECONDS: the client's last answer line starting with the prefix, once it has appeared
  await() {
    local line
    for _ in $(seq $(($2 * 10))); do
      line=$(grep "^$1 " "$work/hold.out" 2>/dev/null | tail -1)
      [ -n "$line" ] && { echo "$line"; return 0; }
      kill -0 "$hold_pid" 2>/dev/null || break
      sleep 0.1
    done
    echo ""
  }
  read -r _ opened failed <<<"$(await ready 150)"
  opened=${opened:-0} failed=${failed:-$connections}
  sleep 2
  after=$(rss_kb "$server_pid")
  sleep 1
  after2=$(rss_kb "$server_pid")
  [ "$after2" -gt "$after" ] && after=$after2
  fds=$(ls "/proc/$server_pid/fd" 2>/dev/null | wc -l)
  echo check >&7 2>/dev/null || true
  read -r _ still <<<"$(await open 30)"
  echo quit >&7 2>/dev/null || true
  exec 7>&-
  trap - PIPE
  growth=$((after - before))
  say "  $opened connections open ($failed failed; $still still open at the end; server holds $fds fds): RSS $(mb "$before") → $(mb "$after") MB"
  measured="+$(mb "$growth") MB ($opened of $connections connections open, ${still:-?} still open when sampled; RSS $(mb "$before") → $(mb "$after") MB)"
  if [ "$opened" -lt "$connections" ]; then
    row 9b "RSS added by $(fmt "$connections") idle keep-alive connections" "≤ 100 MB" "$measured; $failed could not be opened" "**failed**"
  else
    row 9b "RSS added by $(fmt "$connections") idle keep-alive connections" "≤ 100 MB" "$measured" "$(verdict_le "$(mb "$growth")" 100)"
  fi
  stop_pid "$hold_pid"
  stop_pid "$server_pid"
  note "Row 9: VmRSS from /proc/PID/status. The connections row runs on its own server with \`server.max_connections\` = $((connections + 1000)), \`server.max_connections_per_ip\` = 0 and \`server.keepalive_timeout_ms\` = 600000 (environment); \`bench/hold_connections.py\` opens them from 127.0.0.2–9, sends one \`GET /healthz\` on each, reads the answer and holds them idle; RSS is sampled 2–3 s after the last one opened (the larger of two samples). Open-file limit: $nofile."
fi

# --- the table --------------------------------------------------------------------------------------------------
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "### Performance (bench/report.sh, $started_at)"
  echo
  echo "Machine: $(nproc) cores ($cpu), $mem RAM, Linux $(uname -r); load average $load_start at the start, $load_end at the end (the cores are shared with wrk and anything else running)."
  echo "Build: $build_desc. Tools: wrk $wrk_version, nginx $nginx_version. Each run ${duration} s, loopback only; the server in production mode (secret key from the environment, no dev seed), SQLite on disk, access log on (to a file)."
  echo
  echo "| # | measurement | target | measured | target met? |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}" | sort -t'|' -k2,2V
  echo
  for n in "${notes[@]}"; do echo "- $n"; done
} >"$out_file"
cat "$out_file"
say "table written to $out_file (whole run: $((SECONDS / 60)) min $((SECONDS % 60)) s)"
[ -z "$server_died" ] || exit 1
