# syntax=docker/dockerfile:1
# Multi-stage build (`make docker`). The builder installs exactly the Makefile's BUILD_DEPS and runs exactly
# `make build`'s command (RELEASE_BUILD); Tests/… integration/deploy/test_deploy_files.py holds the two in step. The
# runtime is Swift's slim image plus the libraries of BUILD_DEPS (the binary links the Swift runtime in, so it does
# not load the image's copy).

FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-dev libssl-dev libsodium-dev libqrencode-dev libpq-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY migrations ./migrations
COPY Plugins ./Plugins
COPY openapi/fluxer-auth.json ./openapi/fluxer-auth.json
COPY resources ./resources
RUN swift build -c release --product fluxer-auth --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xlinker --symbol-ordering-file=resources/link-order.txt -Xlinker --no-warn-symbol-ordering -Xlinker -T -Xlinker resources/link-order.ld -Xlinker --no-export-dynamic \
 && install -D .build/release/fluxer-auth /out/fluxer-auth

FROM swift:6.3-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libssl3 libsodium23 libqrencode4 libpq5 libcurl4 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin fluxer \
 && mkdir -p /data && chown fluxer /data && chmod 0700 /data
COPY --from=build /out/fluxer-auth /usr/local/bin/fluxer-auth
COPY config/fluxer-auth.example.toml /etc/fluxer-auth/fluxer-auth.example.toml
# Non-root; the database on a volume.
USER fluxer
WORKDIR /data
VOLUME ["/data"]
ENV FLUXER_AUTH_HOST=0.0.0.0 \
    FLUXER_AUTH_PORT=8080 \
    FLUXER_AUTH_DATABASE=/data/fluxer-auth.sqlite
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
# Production needs FLUXER_AUTH_SECRET_KEY (base64url, >= 32 bytes); `serve --dev` runs a throwaway mock (no seed
# file in the image: `--seed /data/seed.json` with one mounted, or `--no-seed`).
ENTRYPOINT ["/usr/local/bin/fluxer-auth"]
CMD ["serve"]
