#!/usr/bin/env bash
# Builds one libFuzzer + AddressSanitizer target and fuzzes it for N seconds.
#   fuzz/run.sh [target] [seconds]     target: parser (default) | form | cbor | bottoken | json
#   fuzz/run.sh 600                    the parser for 600 s (the original form, kept)
#   fuzz/run.sh all 600 / smoke 10     every target in turn (each for that long)
# Each target is its harness compiled together with only the product sources it needs (no SwiftPM).
# Corpus: fuzz/corpus/<target> (created from fuzz/seeds/<target> on first run; the parser's seeds are the files
# directly in fuzz/seeds); crashes land in fuzz/artifacts/<target>-crash-*. Extra libFuzzer flags: FUZZ_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
targets=(parser form cbor bottoken json)

target=parser
if [[ $# -gt 0 && ! $1 =~ ^[0-9]+$ ]]; then target=$1; shift; fi
seconds=${1:-600}
if [[ $target == all || $target == smoke ]]; then
  [[ $target == smoke && $# -eq 0 ]] && seconds=10
  for t in "${targets[@]}"; do "$0" "$t" "$seconds"; done
  exit 0
fi

out=.build-fuzz
mkdir -p "$out" fuzz/artifacts
http=(Sources/HTTPServer/{RequestParser,HeadParser,ByteClasses,HTTPLimits,HTTPMethod,HTTPHeaders,HTTPRequest,RequestStorage,HTTPStatus,HTTPParseError,FormURLEncoding}.swift)
# A product file that imports a sibling module (compiled into the same module here) gets that line removed.
strip_import() { # module file → path of the generated copy
  local copy="$out/gen/$(basename "$2")"
  mkdir -p "$out/gen"
  sed -E "/^(public |internal |package )?import ($1)\$/d" "$2" > "$copy.new"
  if cmp -s "$copy.new" "$copy"; then rm "$copy.new"; else mv "$copy.new" "$copy"; fi
  echo "$copy"
}
# The real C shim (OpenSSL/libsodium wrappers), for targets that need FluxerCrypto.
shim() {
  [[ $out/shim.o -nt Sources/CFluxerShim/shim.c ]] ||
    clang -c -O1 -ISources/CFluxerShim/include Sources/CFluxerShim/shim.c -o "$out/shim.o"
  echo -ISources/CFluxerShim/include "$out/shim.o" -lsqlite3 -lssl -lcrypto -lsodium -lqrencode
}

http+=(Sources/FluxerJSON/JSONText.swift "$(strip_import FluxerJSON Sources/HTTPServer/HTTPResponse.swift)")
extra=()
max_len=4096
case $target in
  parser)
    sources=("${http[@]}"); dict=fuzz/http.dict; seeds=fuzz/seeds   # files at the top level only
    # libFuzzer reads corpus directories recursively: an older flat fuzz/corpus moves into fuzz/corpus/parser
    mkdir -p fuzz/corpus/parser
    find fuzz/corpus -maxdepth 1 -type f -exec mv -n {} fuzz/corpus/parser/ \; ;;
  form)
    sources=(Sources/HTTPServer/{FormURLEncoding,MultipartFormData}.swift); dict=fuzz/form.dict ;;
  cbor)
    sources=(Sources/FluxerCrypto/{CBORValue,CBORDecoder,CBOREncoder}.swift); dict=fuzz/cbor.dict ;;
  bottoken)
    sources=(Sources/FluxerCrypto/{HMAC,HMACKey,ConstantTime,CryptoRuntime,SHA256,SecureRandom,Base64URL,Base64Codec,UnsafeBytes}.swift
             "$(strip_import FluxerCrypto Sources/FluxerDomain/Applications/BotToken.swift)")
    read -ra extra <<< "$(shim)"; dict=fuzz/bottoken.dict; max_len=512 ;;
  json)
    sources=("${http[@]}"
             "$(strip_import 'HTTPServer|FluxerJSON|FluxerDomain' Sources/FluxerAPI/API/JSONBody.swift)"
             Sources/FluxerJSON/{StrictJSON,JSONValue}.swift Sources/FluxerDomain/Support/FieldError.swift
             "$(strip_import 'HTTPServer|FluxerJSON|FluxerDomain' Sources/FluxerAPI/API/APIError.swift)"
             "$(strip_import 'HTTPServer|FluxerJSON' Sources/FluxerAPI/API/JSONResponse.swift)"
             Sources/FluxerDomain/OAuth2/OAuthScope.swift)
    dict=fuzz/json.dict ;;
  *) echo "unknown target $target (one of: ${targets[*]} all smoke)" >&2; exit 2 ;;
esac
corpus=${corpus:-fuzz/corpus/$target}
seeds=${seeds:-fuzz/seeds/$target}
harness=fuzz/$(case $target in parser) echo ParserFuzz;; form) echo FormFuzz;; cbor) echo CBORFuzz;;
                bottoken) echo BotTokenFuzz;; json) echo JSONFuzz;; esac).swift
mkdir -p "$corpus"
[[ -d $seeds ]] && find "$seeds" -maxdepth 1 -type f -exec cp -n {} "$corpus/" \; 2>/dev/null || true

bin=$out/$target-fuzz
if [[ -x $bin ]] && [[ -z $(find "$harness" "${sources[@]}" "$0" -newer "$bin" 2>/dev/null) ]]; then
  echo "== $target is up to date ($bin)"
else
  echo "== building $target ($harness + ${#sources[@]} product files)"
  swiftc -O -parse-as-library -sanitize=fuzzer,address -package-name fluxer_fuzz -module-name "$(basename "$harness" .swift)" \
    "$harness" "${sources[@]}" "${extra[@]}" -o "$bin"
fi
echo "== fuzzing $target for ${seconds}s"
# shellcheck disable=SC2086
"$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  ${dict:+-dict=$dict} -artifact_prefix="fuzz/artifacts/$target-" -print_final_stats=1 ${FUZZ_FLAGS:-} "$corpus"
