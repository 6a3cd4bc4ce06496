#!/usr/bin/env bash
# Writes resources/link-order.txt, the order in which the release build's linker lays out the functions a server
# runs: first those its start-up runs (until it answers /healthz and sits idle), then those a first round of
# requests runs (token checks of each kind, refused ones, the metrics). Every other function follows, in the
# linker's own order.
#
# Why (issue 17, idle RSS): the kernel maps a file-backed page together with those around it that are in the page
# cache (fault-around, 64 KB), so the RSS of the binary's code is set by how many 64 KB blocks the start-up touches,
# not by how much code it runs. Scattered over 12.5 MB of text, the ~2,900 functions of the binary that a start-up
# runs touched two thirds of the blocks (7.2 MB resident); gathered at the front they fill about 1 MB. The release
# build compiles every function into its own section (-function-sections) and passes this file to lld
# (--symbol-ordering-file); a name the build no longer has is skipped without a warning, so a stale file costs
# pages, never a build or a behaviour. resources/link-order.ld does the same for the functions that have no name
# to list (LLVM's private helpers, one `.text..L__unnamed_N` section per object).
#
# Usage: make link-order (builds, relinks with a link map, runs the server under valgrind's callgrind: about two
# minutes; needs valgrind). Regenerate it after changes that add start-up or hot-path code, then rebuild.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${RELEASE_BUILD:?run through make link-order, which passes RELEASE_BUILD from the Makefile}"
export PATH=/opt/swift/usr/bin:$PATH
bin=.build/release/fluxer-auth
out=resources/link-order.txt
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# valgrind 3.19 cannot read the toolchain's DWARF 5: run a copy without debug info (the symbol table stays).
objcopy --strip-debug "$bin" "$work/fluxer-auth"
export FLUXER_AUTH_SECRET_KEY
FLUXER_AUTH_SECRET_KEY=$(python3 -c 'import os, base64; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')
db="$work/order.sqlite"
"$bin" user create --database "$db" --email order@example.com --username order --password 'order password 12' --verified >/dev/null
owner=$("$bin" user create --database "$db" --email owner@example.com --username owner --password 'owner password 12' \
  | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')
session=$("$bin" user token --database "$db" --email order@example.com | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
bot=$("$bin" app create --database "$db" --owner "$owner" --name "Order Bot" | python3 -c 'import sys, json; print(json.load(sys.stdin)["bot_token"])')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Production mode, the default configuration: what `serve` runs in a deployment.
valgrind --tool=callgrind --dump-instr=no --compress-strings=no --compress-pos=no --demangle=no \
  --callgrind-out-file="$work/cg.out" "$work/fluxer-auth" serve --host 127.0.0.1 --port "$port" --database "$db" \
  >"$work/server.out" 2>"$work/server.log" &
server=$!
up=
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { up=1; break; }; sleep 0.2; done
[ -n "$up" ] || { tail -5 "$work/server.log" >&2; echo "the server did not start" >&2; exit 1; }
sleep 2
callgrind_control -d "$server" >/dev/null 2>&1  # dump 1: the start-up and the idle server
for auth in "$session" "Bot $bot" "Bot not.a.token" "Bearer 0000000000000000000000000000000000000000"; do
  for _ in 1 2 3; do curl -s -o /dev/null -H "Authorization: $auth" "http://127.0.0.1:$port/api/v1/users/@me"; done
done
curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
curl -s -o /dev/null "http://127.0.0.1:$port/no/such/path"
kill -TERM "$server"
wait "$server" 2>/dev/null || true
server=

# A function can be moved only if it has a section of its own (`.text.<name>`): every object of ours does
# (-function-sections), and most of the static Swift runtime's and Foundation's, but not the standard library's
# Swift code (one 1.5 MB `.text` in Swift.o) nor some Foundation files. Those move as a whole, and one of their
# functions early in the list would put a whole block in front of the functions that can be gathered: they are
# listed after the others. Which copy of a function the linker kept, and in which section, is read from a link
# map of the same objects (a specialization can be both in ours and in Swift.o).
rm -f .build/release/fluxer-auth
# shellcheck disable=SC2086
swift $RELEASE_BUILD -Xlinker -Map="$work/link.map" -Xlinker --no-demangle >/dev/null
[ -s "$work/link.map" ] || { echo "the link map was not written" >&2; exit 1; }
# fn= lines name the functions that ran, in the object of the last ob= line; only the binary's own are ordered.
python3 - "$work" "$work/fluxer-auth" "$out" "$work/link.map" <<'PY'
import glob, os, re, sys
work, binary, out, link_map = sys.argv[1:5]
# lld's map: "VMA LMA Size Align" then an output section, an input section ("file:(name)") or a symbol of the last
# input section.
# A local name (a merged helper, `...Tm`) can be defined in many objects: it is listed first when one of its
# copies has a section of its own.
own, section = set(), None
for line in open(link_map, errors="replace"):
    fields = line.split(None, 4)
    if len(fields) < 5 or fields[0][0] not in "0123456789abcdef":
        continue
    rest = fields[4].strip()
    if rest.endswith(")") and ":(" in rest:
        section = rest[rest.rindex(":(") + 2:-1]
    elif section is not None and section.startswith(".text."):
        own.add(rest)
def functions(path):
    names, ob = [], None
    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            ob = line[3:].strip()
        elif line.startswith("fn=") and ob == binary:
            name = re.sub(r"'\d+$", "", line[3:].strip())  # callgrind's recursion-depth suffix
            if not name.startswith("0x"):
                names.append(name)
    return names
dumps = sorted(glob.glob(os.path.join(work, "cg.out.*")), key=lambda p: int(p.rsplit(".", 1)[1]))
seen, order = set(), []
for path in dumps + [os.path.join(work, "cg.out")]:
    for name in functions(path):
        if name not in seen:
            seen.add(name)
            order.append(name)
# Functions that valgrind never sees run because it hides the CPU feature they need (CPUID reports no SHA
# extensions under valgrind), but that every start-up on a real CPU runs.
for name in ["fx_sha256_compress_shani"]:
    if name not in seen:
        seen.add(name)
        order.append(name)
        own.add(name)
if len(order) < 1000:
    sys.exit(f"only {len(order)} functions found: is {binary} the server?")
first = [name for name in order if name in own]
last = [name for name in order if name not in own]
with open(out, "w") as f:
    f.write("\n".join(first + last) + "\n")
print(f"{out}: {len(order)} functions ({len(first)} in sections of their own, listed first)")
PY

# Relink with the new order (SwiftPM does not know the file: it relinks only when an object changed).
rm -f "$bin"
# shellcheck disable=SC2086
swift $RELEASE_BUILD >/dev/null
echo "relinked $bin"
