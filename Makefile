# FluxerAuth — the two commands a newcomer needs: `make run` and `make test`.
SWIFT ?= swift
# The -dev packages `make build` needs: the Dockerfile's builder installs exactly these (a test compares them).
BUILD_DEPS := libsqlite3-dev libssl-dev libsodium-dev libqrencode-dev libpq-dev libcurl4-openssl-dev
# What the tests need besides: the openssl CLI (TLS test certificates), PostgreSQL, jq (the mock walk-through),
# chromium (integration/browser, which fails rather than skips without it unless FLUXER_SKIP_BROWSER=1).
TEST_DEPS := openssl postgresql jq chromium
DEPS := $(BUILD_DEPS) $(TEST_DEPS)
# What the benchmarks run besides the server: the load generator, and nginx for the same-run ratios (linux-perf
# for PERF=1 profiles, valgrind for bench/instructions.sh).
BENCH_DEPS := wrk nginx-light linux-perf valgrind
# The release build `make build` runs, and the Dockerfile and bench/ too (a test compares the Dockerfile's). The Swift
# runtime and Foundation are linked in (--static-swift-stdlib): calls into the runtime (retain, release) are direct
# rather than through the PLT, about 8 % less user CPU per token check, and fewer pages resident at idle than with the
# shared libraries (issue 17); the binary then needs only the system libraries of BUILD_DEPS at run time. The
# toolchain's lld links it, with relative relocations packed (DT_RELR, glibc 2.36+): 10 KB of them instead of 1.2 MB
# read at every start (gold, the default, also warns about the static Foundation's use of mktemp). Every function
# gets a section of its own, and the linker puts those that start-up and token checks run together at the front
# (resources/link-order.txt, written by `make link-order`; resources/link-order.ld for the unnamed ones): start-up
# then touches ~3.5 MB of code pages instead of ~7.2 MB (idle RSS, issue 17). The toolchain links executables with
# --export-dynamic, which put every public symbol of ours in the dynamic symbol table (1 MB of .dynsym, .dynstr and
# .gnu.hash, all resident: the dynamic linker searches the executable first for every symbol of every library);
# nothing looks our symbols up at run time (no dlsym; backtraces read .symtab), so they stay out of it.
RELEASE_BUILD := build -c release --product fluxer-auth --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xlinker --symbol-ordering-file=resources/link-order.txt -Xlinker --no-warn-symbol-ordering -Xlinker -T -Xlinker resources/link-order.ld -Xlinker --no-export-dynamic
# SwiftPM itself has crashed (SIGSEGV in libdispatch's event loop) on an up-to-date build: a crash of the build tool
# is retried once; a compile error fails the same way twice.
swift_build = $(SWIFT) build $(1) || $(SWIFT) build $(1)
PORT ?= 8080
FUZZ_SECONDS ?= 600
# make bench-report: seconds per run (a full report takes about 4 minutes at 10).
BENCH_SECONDS ?= 10
DURABILITY_ITERATIONS ?= 100
FUZZ_SMOKE_SECONDS ?= 10
PY_DEPS = PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
  python3 -m pip install -q -r integration/python/requirements.txt
PY_OPENAPI_DEPS = PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
  python3 -m pip install -q -r integration/openapi/requirements.txt
# The OpenAPI document the schema suite and Schemathesis check responses against: a file (relative to the
# repository), an http(s) URL, or a path the server under test serves: by default our own document, whose reference
# operations are the reference's, verbatim (openapi/reference/fluxer-openapi-auth.json).
OPENAPI_DOCUMENT ?= /api/v1/openapi.json
# make test-schemathesis: cases per operation and phase, and the time budget in seconds (make test runs 8 / 40 s).
SCHEMATHESIS_EXAMPLES ?= 200
SCHEMATHESIS_SECONDS ?= 600
# The seed of make test's bounded run (make test-schemathesis draws a new one unless SCHEMATHESIS_SEED is set).
SCHEMATHESIS_TEST_SEED ?= 20261206

export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: run test test-python test-adversarial test-adversarial-long build deps bench fuzz clean
.PHONY: test-openapi test-schemathesis
.PHONY: link-order
.PHONY: run test test-postgres test-python test-durability test-durability-long test-cluster test-mock build deps deps-build docker bench bench-report fuzz fuzz-all fuzz-smoke clean

## deps: install what the build and the tests need when missing (as root; otherwise print the apt line and stop)
## deps-build: only what `make build` needs (BUILD_DEPS)
define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing packages:$$missing"; echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install_missing,$(DEPS))

deps-build:
	$(call install_missing,$(BUILD_DEPS))

## build: release binary at .build/release/fluxer-auth
build: deps-build
	$(SWIFT) $(RELEASE_BUILD)

## link-order: regenerate resources/link-order.txt from a start-up and first requests under callgrind, then relink
link-order: build
	RELEASE_BUILD='$(RELEASE_BUILD)' scripts/link-order.sh

## docker: the container image (Dockerfile: the same packages and build command as `make build`), tagged fluxer-auth
docker:
	@command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "make docker: no Docker engine here (docker info fails)"; exit 1; }
	docker build -t fluxer-auth .

## run: build, migrate and serve http://127.0.0.1:$(PORT) in dev mode (database ./data/fluxer-auth.sqlite)
run: build
	.build/release/fluxer-auth serve --dev --port $(PORT)

## test: the whole suite (unit, parser tables, loopback socket and SQLite file tests), the release build `make run`
## uses (an import only a debug build forgives must not break it), the app suite again on
## PostgreSQL (test-postgres), then test-python, test-openapi, test-adversarial, test-durability and test-cluster
test: deps
	$(call swift_build,--build-tests)
	$(SWIFT) test --skip-build
	$(call swift_build,$(wordlist 2,99,$(RELEASE_BUILD)))
	$(MAKE) test-postgres
	$(MAKE) test-python
	$(MAKE) test-openapi
	$(MAKE) test-adversarial
	$(MAKE) test-durability
	$(MAKE) test-cluster
	$(MAKE) test-mock
	$(MAKE) fuzz-smoke FUZZ_SMOKE_SECONDS=3

## test-postgres: every app test that reaches the database through the app, on a fresh PostgreSQL database each
## (a throwaway cluster the tests start from the Debian postgresql package): the same tests, both backends
test-postgres: deps
	$(call swift_build,--build-tests)
	FLUXER_AUTH_TEST_BACKEND=postgres $(SWIFT) test --skip-build --filter FluxerAuthTests

## test-python: real OAuth2 client libraries (authlib, requests-oauthlib), an Authlib-signed OIDC provider, and
## headless Chromium (integration/browser: the authorize page, a virtual authenticator, dark mode and 390 px;
## screenshots in integration/browser/artifacts or $FLUXER_TEST_ARTIFACTS/browser) against the debug server. A
## browser test that would skip (no chromium) fails instead, unless FLUXER_SKIP_BROWSER=1 is set on purpose.
## (pip may install into a Debian system python: PEP 668's guard is lifted for this one install)
test-python: deps
	$(call swift_build,--product fluxer-auth)
	PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
	  python3 -m pip install -q -r integration/python/requirements.txt
	FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth python3 -m pytest -q integration/python integration/browser integration/deploy -rs -p no:cacheprovider -W "ignore:authlib.jose module is deprecated"

## test-openapi: every operation of the OpenAPI document the server serves, through its success path and main
## failures, each response validated against the document (integration/openapi, ~2 min), then a bounded
## Schemathesis run against it (SCHEMATHESIS_EXAMPLES=8, at most 40 s) with a fixed seed, so that a run is
## reproducible and CI does not turn red on a new random draw: exploring is test-schemathesis's job (random seeds)
test-openapi: deps
	$(call swift_build,--product fluxer-auth)
	$(PY_OPENAPI_DEPS)
	OPENAPI_DOCUMENT=$(OPENAPI_DOCUMENT) FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth SCHEMATHESIS_EXAMPLES=8 \
	  SCHEMATHESIS_SECONDS=40 SCHEMATHESIS_SEED=$(SCHEMATHESIS_TEST_SEED) python3 -m pytest -q integration/openapi -rs

## test-schemathesis: the Schemathesis run alone, longer: SCHEMATHESIS_EXAMPLES (default 200) cases per operation and
## phase within SCHEMATHESIS_SECONDS (default 600); SCHEMATHESIS_SEED=N replays a run
test-schemathesis: deps
	$(call swift_build,--product fluxer-auth)
	$(PY_OPENAPI_DEPS)
	OPENAPI_DOCUMENT=$(OPENAPI_DOCUMENT) FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth \
	  SCHEMATHESIS_EXAMPLES=$(SCHEMATHESIS_EXAMPLES) SCHEMATHESIS_SECONDS=$(SCHEMATHESIS_SECONDS) \
	  python3 -m pytest -q -s integration/openapi/test_schemathesis.py

## test-adversarial: raw-socket framing (H1–H27, H32), slow clients and floods, bad-input sweep (< 90 s)
test-adversarial: deps
	$(call swift_build,--product fluxer-auth)
	FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth python3 -m pytest -q integration/adversarial -m "not slow"

## test-adversarial-long: the adversarial tests marked slow (checklist timings against the default timeouts)
test-adversarial-long: deps
	$(call swift_build,--product fluxer-auth)
	FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth python3 -m pytest -q integration/adversarial -m slow
## test-durability: kill -9 under login/refresh load (3 restarts), a held write lock, a full disk (~20 s)
test-durability: deps
	$(call swift_build,--product fluxer-auth)
	$(PY_DEPS)
	FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth DURABILITY_ITERATIONS=3 python3 -m pytest -q integration/durability

## test-durability-long: the kill -9 test for DURABILITY_ITERATIONS restarts (default 100, ~3 min); DURABILITY_SEED=N replays
test-durability-long: deps
	$(call swift_build,--product fluxer-auth)
	$(PY_DEPS)
	FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth DURABILITY_ITERATIONS=$(DURABILITY_ITERATIONS) \
	  python3 -m pytest -q -s integration/durability/test_crash.py

## test-cluster: three nodes on one throwaway PostgreSQL database (started from the Debian postgresql package):
## cross-node logout, codes, refresh races and bot token resets, 200 concurrent `user create`, kill -9 under load (~30 s)
test-cluster: deps
	$(call swift_build,--product fluxer-auth)
	$(PY_DEPS)
	FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth python3 -m pytest -q integration/cluster

## test-mock: the README's "Use it as a mock" walk-through, exactly its lines, against a fresh dev server seeded
## from config/seed.dev.json, and the start table's curl lines as printed (scripts/mock-walkthrough.sh, ~10 s)
test-mock: deps
	$(call swift_build,--product fluxer-auth)
	FLUXER_AUTH_BIN=$(CURDIR)/.build/debug/fluxer-auth scripts/mock-walkthrough.sh

## bench: wrk on /healthz and /users/@me (session, bot, bearer) beside nginx; logins vs argon2id; token endpoint;
## instructions per token check (callgrind)
bench: deps
	$(call install_missing,$(BENCH_DEPS))
	bench/healthz.sh
	bench/accounts.sh
	bench/bots.sh
	bench/oauth.sh
	bench/instructions.sh

## bench-report: issue 17's figures in one run beside nginx (bench/report.sh; BENCH_SECONDS per run, default 10):
## a Markdown table on stdout and in bench/results/ (BIN=path measures another build)
bench-report: deps
	$(call install_missing,$(BENCH_DEPS))
	@bench/report.sh $(BENCH_SECONDS)

## fuzz: libFuzzer on the HTTP request parser for FUZZ_SECONDS (default 600)
fuzz:
	fuzz/run.sh parser $(FUZZ_SECONDS)

## fuzz-all: every libFuzzer target (parser, form, cbor, bottoken, json) for FUZZ_SECONDS each
fuzz-all:
	fuzz/run.sh all $(FUZZ_SECONDS)

## fuzz-smoke: every target for FUZZ_SMOKE_SECONDS each (default 10; make test runs it with 3)
fuzz-smoke:
	fuzz/run.sh smoke $(FUZZ_SMOKE_SECONDS)

clean:
	rm -rf .build .build-fuzz
