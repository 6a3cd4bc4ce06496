"""/auth/sso/*: status, start, and completion through dev mode's built-in mock OpenID provider."""

import secrets
from urllib.parse import urljoin

import requests

from conftest import assert_error, assert_json
from flows import query


def start(api, **body):
    return assert_json(api.post("/auth/sso/start", json=body, expect=200))


def provider_round_trip(server, started, email):
    """What the browser does between start and complete: the provider's authorize page (login_hint signs in at
    once), then our callback, which answers 303 to the web app with a one-time code."""
    browser = requests.Session()
    resp = browser.get(started["authorization_url"] + "&login_hint=" + email, allow_redirects=False, timeout=10)
    assert resp.status_code in (302, 303), resp.text[:500]
    callback = urljoin(server.base_url, resp.headers["Location"])
    resp = browser.get(callback, allow_redirects=False, timeout=10)
    assert resp.status_code == 303, resp.text[:500]
    return query(resp.headers["Location"])


def test_status(api):
    got = assert_json(api.get("/auth/sso/status", expect=200))
    assert got["enabled"] is True and got["enforced"] is False and got["redirect_uri"].endswith("/auth/sso/callback")
    assert {p["name"] for p in got["providers"]} >= {"mock"}


def test_start_complete_with_the_mock_provider(api, server):
    started = start(api, provider="mock", redirect_to="/me")
    assert set(started) >= {"authorization_url", "state", "redirect_uri"}
    email = f"sso{secrets.token_hex(4)}@example.com"
    params = provider_round_trip(server, started, email)
    got = assert_json(api.post("/auth/sso/complete", json={"code": params["code"]}, expect=200))
    assert got["token"].startswith("flx_") and got["redirect_to"] == "/me"
    me = api.get("/users/@me", auth=got["token"], expect=200).json()
    assert me["id"] == got["user_id"] and me["email"] == email
    # The code is single use.
    assert_error(api.post("/auth/sso/complete", json={"code": params["code"]}), 400, "INVALID_FORM_BODY")


def test_start_refusals(api):
    assert_error(api.post("/auth/sso/start", json={"provider": "nope"}), 400, "INVALID_FORM_BODY", paths=["provider"],
                 item_code="UNKNOWN_SSO_PROVIDER")
    assert_error(api.post("/auth/sso/start", json={"redirect_to": 5}), 400, "INVALID_FORM_BODY")


def test_complete_refusals(api):
    assert_error(api.post("/auth/sso/complete", json={"code": "nope"}), 400, "INVALID_FORM_BODY")
    assert_error(api.post("/auth/sso/complete", json={"code": "nope", "state": "nope"}), 400, "INVALID_FORM_BODY")
    assert_error(api.post("/auth/sso/complete", json={}), 400, "INVALID_FORM_BODY", paths=["code"])


def test_complete_with_a_foreign_provider_code(api):
    """The real server's form: the web app owns the callback and sends the provider's code with our state."""
    started = start(api, provider="mock")
    assert_error(api.post("/auth/sso/complete", json={"code": "not-a-provider-code", "state": started["state"]}), 400,
                 "SSO_AUTHENTICATION_FAILED")
