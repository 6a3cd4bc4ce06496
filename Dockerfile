# syntax=docker/dockerfile:1
# Multi-stage build: Swift 6.3 builder with the -dev packages, slim Debian runtime with only the runtime libraries.

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
RUN swift build -c release --product fluxer-auth --static-swift-stdlib \
 && install -D .build/release/fluxer-auth /out/fluxer-auth

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libssl3 libsodium23 libqrencode4 libpq5 libcurl4 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin fluxer \
 && mkdir -p /data && chown fluxer /data
COPY --from=build /out/fluxer-auth /usr/local/bin/fluxer-auth
COPY config/fluxer-auth.example.toml /etc/fluxer-auth/fluxer-auth.example.toml
USER fluxer
VOLUME ["/data"]
ENV FLUXER_AUTH_HOST=0.0.0.0 \
    FLUXER_AUTH_PORT=8080 \
    FLUXER_AUTH_DATABASE=/data/fluxer-auth.sqlite
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# Production needs FLUXER_AUTH_SECRET_KEY (base64url, >= 32 bytes); add --dev for a throwaway mock.
ENTRYPOINT ["/usr/local/bin/fluxer-auth"]
CMD ["serve"]
