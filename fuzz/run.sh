#!/usr/bin/env bash
# Builds the parser with libFuzzer + AddressSanitizer and fuzzes it for $1 seconds (default 600).
# Corpus: fuzz/corpus (created from fuzz/seeds on first run); crashes land in fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
seconds=${1:-600}
out=.build-fuzz
mkdir -p "$out" fuzz/corpus fuzz/artifacts
cp -n fuzz/seeds/* fuzz/corpus/ 2>/dev/null || true
sources=(Sources/HTTPServer/{RequestParser,HeadParser,ByteClasses,HTTPLimits,HTTPMethod,HTTPHeaders,HTTPRequest,HTTPStatus,HTTPParseError,FormURLEncoding,HTTPResponse}.swift)
swiftc -O -parse-as-library -sanitize=fuzzer,address -module-name ParserFuzz \
  fuzz/ParserFuzz.swift "${sources[@]}" -o "$out/parser-fuzz"
"$out/parser-fuzz" -max_total_time="$seconds" -max_len=4096 -dict=fuzz/http.dict \
  -artifact_prefix=fuzz/artifacts/ -print_final_stats=1 fuzz/corpus
