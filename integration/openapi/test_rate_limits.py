"""The 429 every operation documents, and the rate-limit headers, from a second server with the limiter on (the
session server runs with it off)."""

import tempfile

import pytest

from conftest import Api, assert_error, start_server, stop_server
from reference import Document

# Two starts per minute on the SSO bucket; the rest as the real server's table.
LIMITED_ENV = {"FLUXER_AUTH_RATELIMIT_ENABLED": "true", "FLUXER_AUTH_RATELIMIT_BUCKETS": "auth:sso:start=2/1m"}


@pytest.fixture(scope="module")
def limited():
    with tempfile.TemporaryDirectory(prefix="fluxer-openapi-429-") as tmp:
        srv = start_server(tmp, LIMITED_ENV)
        try:
            yield Api(srv, Document.load(srv.base_url))
        finally:
            stop_server(srv)


def test_rate_limit_headers_then_429(limited):
    first = limited.post("/auth/sso/start", json={}, expect=200)
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert first.headers.get(name, "").isdigit(), first.headers
    assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
    limited.post("/auth/sso/start", json={}, expect=200)
    refused = limited.post("/auth/sso/start", json={})
    body = assert_error(refused, 429, "RATE_LIMITED")
    assert body["global"] is False and body["retry_after"] >= 1
    assert int(refused.headers["Retry-After"]) >= 1 and refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Global"] == "false"
